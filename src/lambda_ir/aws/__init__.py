"""AWS plumbing shared by acquire and respond: sessions, retries, paging, quota buckets.

- `build_session()` / `ClientFactory(session, retry, endpoint_url, quotas, meter)`: clients
  from the standard boto3 chain, one per (service, region), each request paced and counted.
- `QuotaBook` / `QuotaPolicy` / `quota_class()`: Lambda's per-region quota classes
  (GetFunction 100/s, GetPolicy 15/s, the rest 15/s) and the logs/CloudTrail read quotas
  (LookupEvents 2/s, FilterLogEvents 5/s, …) as token buckets.
- `pages()` / `call()`: the one paginator helper and the one single-call helper.
- `classify()` -> `CallError`: denied / not-found / unsupported / throttled / timeout / error.
"""

from lambda_ir.aws.errors import CallError, ErrorClass, classify
from lambda_ir.aws.meter import CallMeter, MeterReading
from lambda_ir.aws.paging import call, pages, strip_metadata
from lambda_ir.aws.quota import (
    LAMBDA_RATES,
    READ_RATES,
    QuotaBook,
    QuotaClass,
    QuotaPolicy,
    TokenBucket,
    quota_class,
)
from lambda_ir.aws.session import ClientFactory, RetryPolicy, build_session, client_config

__all__ = [
    "LAMBDA_RATES",
    "READ_RATES",
    "CallError",
    "CallMeter",
    "ClientFactory",
    "ErrorClass",
    "MeterReading",
    "QuotaBook",
    "QuotaClass",
    "QuotaPolicy",
    "RetryPolicy",
    "TokenBucket",
    "build_session",
    "call",
    "classify",
    "client_config",
    "pages",
    "quota_class",
    "strip_metadata",
]
