"""The collector: an AWS scope in, a case folder out — read-only, concurrent, never fatal.

`collect()` runs explicit tuples of steps: `REGION_STEPS` once per region and
`FUNCTION_STEPS` once per function in scope, `LISTED_STEPS` once per region over the
functions in scope; with a time window (`--since`/`--until`) also
the logs and CloudTrail steps, and with `--trail-bucket` the trail bucket's files. Each
step is a small function `(ctx, target) -> None` on the pool of the quota class it draws
from. To add a step, write it with that signature and add one line to a tuple here.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime

import boto3
import urllib3

from lambda_ir.acquire import functions as fn_steps
from lambda_ir.acquire.cloudtrail import (
    LookupPlan,
    collect_baseline_trail,
    collect_erasure_trail,
    collect_lambda_trail,
    collect_role_trail,
    collect_stack_trail,
)
from lambda_ir.acquire.code import download_packages
from lambda_ir.acquire.code_signing import RegionFunctions, collect_code_signing
from lambda_ir.acquire.context import CollectContext, CollectOptions, ProgressSink, Scope
from lambda_ir.acquire.fetch import record_failure, store
from lambda_ir.acquire.inventory import (
    EVENT_SOURCE_MAPPINGS,
    caller_identity,
    collect_account_settings,
    list_functions,
)
from lambda_ir.acquire.logs import collect_logs
from lambda_ir.acquire.logs_export import LogExport, log_export_step
from lambda_ir.acquire.paths import account_root
from lambda_ir.acquire.resume import ResumeIndex
from lambda_ir.acquire.runtime_snapshots import RuntimeBucket, runtime_bucket_step
from lambda_ir.acquire.steps import FunctionTarget, Step, schedule
from lambda_ir.acquire.summary import CollectSummary
from lambda_ir.acquire.trail_bucket import TrailBucket, trail_bucket_step
from lambda_ir.acquire.trail_config import collect_trail_config
from lambda_ir.acquire.triggers import (
    SNS_SUBSCRIPTIONS,
    collect_alias_rules,
    collect_bucket_notifications,
    collect_event_rules,
    collect_schedules,
)
from lambda_ir.acquire.window import parse_when
from lambda_ir.acquire.work import Work, pool_sizes
from lambda_ir.aws import (
    CallMeter,
    ClientFactory,
    QuotaBook,
    QuotaClass,
    QuotaPolicy,
    RetryPolicy,
    classify,
    strip_metadata,
)
from lambda_ir.aws.clock import ClockReading, ClockSkewError, clock_refusal, reading_from_response
from lambda_ir.evidence import Case
from lambda_ir.model import Kind

CP, GF, GP = QuotaClass.CONTROL_PLANE, QuotaClass.GET_FUNCTION, QuotaClass.GET_POLICY

FUNCTION_STEPS: tuple[Step[FunctionTarget], ...] = (
    Step("versions", CP, fn_steps.collect_versions),
    Step("policy", GP, fn_steps.collect_unqualified_policy),
    Step("aliases", CP, fn_steps.collect_aliases),
    Step("url-configs", CP, fn_steps.collect_url_configs),
    Step("event-invoke-configs", CP, fn_steps.collect_invoke_configs),
    Step("recursion", CP, fn_steps.collect_recursion),
    Step("runtime-management", CP, fn_steps.collect_runtime_management),
    # What can invoke it: EventBridge rules (not Lambda's quota).
    Step("event-rules", QuotaClass.UNMETERED, collect_event_rules),
)
# With a time window (--since/--until): the function's logs and what its role's sessions did.
WINDOW_FUNCTION_STEPS: tuple[Step[FunctionTarget], ...] = (
    Step("logs", QuotaClass.FILTER_LOG_EVENTS, collect_logs),
    Step("role-trail", QuotaClass.LOOKUP_EVENTS, collect_role_trail),
)


def function_steps(scope: Scope, options: CollectOptions) -> tuple[Step[FunctionTarget], ...]:
    """The steps every function in scope gets in a run (built once per run)."""
    if not scope.has_window:
        return FUNCTION_STEPS
    if not scope.logs:
        return FUNCTION_STEPS + tuple(s for s in WINDOW_FUNCTION_STEPS if s.name != "logs")
    if options.log_export_bucket:
        export = log_export_step(LogExport.parse(options.log_export_bucket))
        window = tuple(export if s.name == "logs" else s for s in WINDOW_FUNCTION_STEPS)
        return FUNCTION_STEPS + window
    return FUNCTION_STEPS + WINDOW_FUNCTION_STEPS


# Once per region over the functions in scope (region-wide listings with a per-function
# fallback). Provisioned concurrency follows ListVersionsByFunction (`collect_versions`).
LISTED_STEPS: tuple[Step[RegionFunctions], ...] = (Step("code-signing", CP, collect_code_signing),)


def collect_functions(ctx: CollectContext, region: str) -> None:
    """lambda:ListFunctions, then every function step for each function in scope, then the
    region's `LISTED_STEPS` over them."""
    targets = list_functions(ctx, region)
    for target in targets:
        for step in ctx.function_steps:
            schedule(ctx, step, target)
    listed = RegionFunctions(region, tuple(targets))
    for listed_step in LISTED_STEPS:
        schedule(ctx, listed_step, listed)


REGION_STEPS: tuple[Step[str], ...] = (
    Step("account-settings", CP, collect_account_settings),
    Step("event-source-mappings", CP, EVENT_SOURCE_MAPPINGS.collect),
    Step("functions", CP, collect_functions),
    # Trails, their status and selectors: can analysis trust an absence in the trail?
    Step("trail-config", QuotaClass.UNMETERED, collect_trail_config),
    # Triggers outside Lambda: EventBridge Scheduler schedules, SNS subscriptions.
    Step("schedules", QuotaClass.UNMETERED, collect_schedules),
    Step("sns-subscriptions", QuotaClass.UNMETERED, SNS_SUBSCRIPTIONS.collect),
)
# With a time window: every lambda.amazonaws.com CloudTrail event in the region, every call
# that erases evidence (cloudtrail.ERASURE_EVENTS) and every stack operation (STACK_EVENTS).
WINDOW_REGION_STEPS: tuple[Step[str], ...] = (
    Step("lambda-trail", QuotaClass.LOOKUP_EVENTS, collect_lambda_trail),
    Step("erasure-trail", QuotaClass.LOOKUP_EVENTS, collect_erasure_trail),
    Step("stack-trail", QuotaClass.LOOKUP_EVENTS, collect_stack_trail),
)


def region_steps(scope: Scope, options: CollectOptions) -> tuple[Step[str], ...]:
    """The steps every region in scope gets in this run (`--trail-bucket` adds one)."""
    steps = REGION_STEPS + (WINDOW_REGION_STEPS if scope.has_window else ())
    if scope.baseline:
        steps += (Step("baseline-trail", QuotaClass.LOOKUP_EVENTS, collect_baseline_trail),)
    if options.trail_bucket:
        steps += (trail_bucket_step(TrailBucket.parse(options.trail_bucket)),)
    if options.runtime_bucket:
        steps += (runtime_bucket_step(RuntimeBucket.parse(options.runtime_bucket)),)
    return steps


def collect(
    case: Case,
    session: boto3.Session,
    scope: Scope,
    options: CollectOptions | None = None,
    progress: ProgressSink | None = None,
) -> CollectSummary:
    """Collect `scope` into `case` and return what happened.

    Read-only: only Get/List/BatchGet calls (see `iam_policy.json`). Calls already in the
    case are not made again (resume). Every failed call is a manifest entry with `error`.
    Ctrl-C stops scheduling, lets running calls finish writing, records the interruption in
    custody and returns a summary with `interrupted=True`.
    """
    options = options or CollectOptions()
    started = time.monotonic()
    ctx = _context(case, session, scope, options, progress)
    scope = ctx.scope  # an open window now ends at AWS's time
    started_with = {"scope": scope.to_json(), "account": ctx.account}
    case.log("collect-started", started_with | ({"org": True} if options.in_org else {}))
    steps = region_steps(scope, options)
    for region in scope.regions:
        for step in steps:
            schedule(ctx, step, region)
    interrupted = _drive(ctx)
    summary = _summary(ctx, time.monotonic() - started, interrupted)
    if scope.has_window:
        plan = LookupPlan(len(scope.regions), summary.functions)
        case.log("cloudtrail-plan", plan.to_json())
    if interrupted:
        # what Ctrl-C left undone: the case says so until a later collect completes
        case.log("collect-interrupted", {**summary.to_json(), "not_done": ctx.work.not_done()})
    else:
        case.log("collected", summary.to_json())
    return summary


def _context(
    case: Case,
    session: boto3.Session,
    scope: Scope,
    options: CollectOptions,
    progress: ProgressSink | None,
) -> CollectContext:
    """The run's clients, buckets, pools and bookkeeping; the caller's identity stored."""
    policy = QuotaPolicy(enabled=options.quotas)
    retry = RetryPolicy(
        max_attempts=options.max_attempts, max_pool_connections=max(10, options.workers * 2)
    )
    clients = ClientFactory(session, retry, options.endpoint_url, QuotaBook(policy), CallMeter())
    home = scope.regions[0] if scope.regions else "us-east-1"
    identity, identity_error, clock = _identity(clients, home)  # before any pool is started
    scope = _window_end(case, scope, clock)
    on_progress = progress.update if progress else None
    work = Work(pool_sizes(options.workers, policy), on_progress, options.max_threads, options.stop)
    http = urllib3.PoolManager(maxsize=options.workers, timeout=urllib3.Timeout(10, 120))
    ctx = CollectContext(
        case, clients, options, scope, caller_identity(identity), work, ResumeIndex(case), http
    )
    ctx.function_steps = function_steps(scope, options)
    _store_identity(ctx, identity, identity_error)
    if clock is not None and clock.worth_saying:
        ctx.tally.advice.append(
            f"this machine's clock is {clock.describe()}: the window's open end used AWS's time"
        )
    return ctx


def _drive(ctx: CollectContext) -> bool:
    """Run every queued call, then the package downloads; True when Ctrl-C cut it short."""
    try:
        ctx.work.wait()
        collect_bucket_notifications(ctx)  # the buckets the collected policies name
        collect_alias_rules(ctx)  # EventBridge rules that target an alias
        download_packages(ctx)  # after every version is known: one blob per unique package
        ctx.work.wait()
    except KeyboardInterrupt:
        ctx.work.stop()
        return True
    finally:
        ctx.work.close()
        ctx.http.clear()
    return False


def _identity(
    clients: ClientFactory, region: str
) -> tuple[dict[str, object] | None, Exception | None, ClockReading | None]:
    """Who we are, or why not; and AWS's clock against ours, from the answer's Date header.

    Raises ClockSkewError when AWS refused the call for this machine's clock: every other
    call would be refused too, so the run stops with one line that says how far off it is.
    """
    sent = datetime.now(UTC)
    try:
        response = clients.client("sts", region).get_caller_identity()
    except Exception as exc:  # recorded once the context exists
        refusal = clock_refusal(exc)
        if refusal is not None:
            raise ClockSkewError(refusal) from exc
        return None, exc, None
    clock = reading_from_response(response, sent, datetime.now(UTC))
    return strip_metadata(response), None, clock


def _window_end(case: Case, scope: Scope, clock: ClockReading | None) -> Scope:
    """An open window ends now by AWS's clock: one end for the whole run's artifacts.

    With this machine's clock behind AWS's, ending at the machine's `now` would leave out
    the newest events, which AWS stamped "in the future" of this machine.
    """
    if clock is not None:
        case.log("clock", {"skew_seconds": round(clock.skew.total_seconds(), 3)})
    if not scope.has_window or scope.until is not None:
        return scope
    now = clock.aws_now() if clock is not None else datetime.now(UTC)
    return dataclasses.replace(scope, until=parse_when("0s", now=now))


def _store_identity(
    ctx: CollectContext, identity: dict[str, object] | None, error: Exception | None
) -> None:
    api, path = (
        "sts:GetCallerIdentity",
        f"{account_root(ctx.account, None)}/sts/caller-identity.json",
    )
    if identity is not None:
        store(ctx, path, identity, kind=Kind.ACCOUNT, api=api, params={}, region=None)
    elif error is not None:
        record_failure(ctx, Kind.ACCOUNT, api, {}, None, classify(error))


def _summary(ctx: CollectContext, seconds: float, interrupted: bool) -> CollectSummary:
    tally = ctx.tally
    with tally.lock:
        return CollectSummary(
            account=ctx.account,
            regions=ctx.scope.regions,
            functions=len(tally.functions),
            deleted=tuple(sorted(tally.deleted)),
            artifacts=tally.artifacts,
            resumed=tally.resumed,
            downloaded_bytes=tally.downloaded_bytes,
            errors=tuple(tally.errors),
            by_kind=dict(tally.by_kind),
            meter=ctx.clients.meter.reading(),
            seconds=seconds,
            interrupted=interrupted,
            advice=tuple(tally.advice),
            asked=ctx.scope.functions,
        )
