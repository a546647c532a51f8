"""Read-only collection from AWS into a case folder: concurrent, quota-aware, never fatal.

The library API (the CLI's `collect`, `investigate` and `demo` call it):

    collect(case, session, scope, options=None, progress=None) -> CollectSummary

with `Scope(regions, functions=(), since=None, until=None)`, `CollectOptions(workers=16,
max_threads=64, max_package_mb=512, quotas=True, download_retries=2, max_attempts=8,
endpoint_url=None, trail_bucket=None, log_export_bucket=None, bucket_advice_pages=600)` and a
`ProgressSink` (`update(region, done, total)`). Every run stores each region's CloudTrail
coverage (kind `trail-config`). With `since`/`until` the run also collects each function's
logs and CloudTrail (LookupEvents: Lambda's events, evidence-erasing calls, the roles'
sessions; the window is part of each artifact's identity); with
`CollectOptions(trail_bucket="s3://…")` the trail bucket's files for the window.
`CollectSummary.advice` holds lines such as "the trail bucket would be faster".
`iam_policy()` is the least-privilege policy the collector needs.
"""

from lambda_ir.acquire.collect import FUNCTION_STEPS, REGION_STEPS, collect
from lambda_ir.acquire.context import CollectContext, CollectOptions, ProgressSink, Scope
from lambda_ir.acquire.policy import iam_policy
from lambda_ir.acquire.steps import FunctionTarget, Step
from lambda_ir.acquire.summary import CollectSummary

__all__ = [
    "FUNCTION_STEPS",
    "REGION_STEPS",
    "CollectContext",
    "CollectOptions",
    "CollectSummary",
    "FunctionTarget",
    "ProgressSink",
    "Scope",
    "Step",
    "collect",
    "iam_policy",
]
