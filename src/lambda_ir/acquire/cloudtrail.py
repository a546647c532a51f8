"""Collect CloudTrail with `cloudtrail:LookupEvents`: Lambda's calls and the functions' own.

LookupEvents allows 2 requests/s per account and region, 50 events a page, one lookup
attribute per request and 90 days of history, so the plan is small: per region one lookup
for `EventSource=lambda.amazonaws.com` (every change to every function) and one per
`EventName` in `ERASURE_EVENTS` (the calls that erase evidence: log groups and streams
deleted or shortened, the trail stopped, deleted or narrowed, functions deleted) and in
`STACK_EVENTS` (the stack operations that make CloudFormation change functions, over the
baseline too when `--baseline` asks: LIR-CT-014 judges who started them), and per
function one for `Username=<function name>` — the session name Lambda gives the execution
role, so it finds what the function's code did with its credentials. `lookup_plan()` says
the cost (at least one request each; the custody log's `cloudtrail-plan` records it).

Each lookup streams its records (the parsed `CloudTrailEvent`, one per line) into
`trail/<acct>/<region>/lookup/<window>/<attribute>=<value>.jsonl.gz`. The window is in the
params and the path, so a run over another window (a relative `--since 7d` is resolved
once per run, to the second, and recorded in custody's `collect-started`) adds artifacts
and a run over the same window resumes. The index de-duplicates overlapping windows,
trail-bucket and imported copies by eventID. A window older than 90 days is clamped and
the clamp recorded as a gap; when a lookup needs many pages the case says the trail bucket
(`--trail-bucket`) would be faster.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson

from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import record_failure, store
from lambda_ir.acquire.logs import PageStream, attempt_path, store_listing
from lambda_ir.acquire.steps import FunctionTarget
from lambda_ir.acquire.window import window_segment
from lambda_ir.aws import CallError, ErrorClass, classify, pages
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import Kind

API = "cloudtrail:LookupEvents"
HISTORY_DAYS = 90
RATE_PER_SECOND = 2.0
EVENTS_PER_PAGE = 50
# Calls that erase or blind evidence, looked up by EventName (not all are lambda.amazonaws.com
# events). Lambda's own names carry an API version in CloudTrail, so both spellings are asked.
ERASURE_EVENTS = (
    "DeleteLogGroup",
    "DeleteLogStream",
    "PutRetentionPolicy",
    "StopLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",
    "DeleteFunction",
    "DeleteFunction20150331",
)
# Stack operations, looked up by EventName: CloudFormation's own Lambda calls carry its
# address and agent, these the caller's (LIR-CT-014's `STACK_CALLS`).
STACK_EVENTS = (
    "UpdateStack",
    "ExecuteChangeSet",
    "CreateStack",
    "UpdateStackSet",
    "CreateStackInstances",
    "UpdateStackInstances",
)
PER_REGION = 1 + len(ERASURE_EVENTS) + len(STACK_EVENTS)  # lookups each region gets


@dataclass(frozen=True)
class Lookup:
    """One LookupEvents query: a single attribute (the API takes only one) over a window."""

    attribute: str
    value: str
    start: str
    end: str

    def params(self) -> dict[str, Any]:
        return {
            "LookupAttributes": [{"AttributeKey": self.attribute, "AttributeValue": self.value}],
            "StartTime": self.start,
            "EndTime": self.end,
        }

    def path(self, account: str, region: str) -> str:
        name = path_segment(f"{self.attribute}={self.value}")
        window = window_segment(self.start, self.end)
        root = f"trail/{path_segment(account)}/{path_segment(region)}/lookup"
        return f"{root}/{window}/{name}.jsonl.gz"


def lookup_window(
    since: str | None, until: str | None, now: datetime | None = None
) -> tuple[str, str, bool]:
    """(start, end, clamped): the window inside LookupEvents' 90 days of history.

    `now` is the run's clock (`run_clock`): the moment `--since`/`--baseline` were read
    from, so `90d` is not clamped by the seconds between reading it and this call."""
    now = now or datetime.now(UTC)
    oldest = now - timedelta(days=HISTORY_DAYS)
    start = _parse(since) if since else oldest
    # Rounded up to the next second: ISO seconds would otherwise drop this second's events.
    end = _parse(until) if until else now.replace(microsecond=0) + timedelta(seconds=1)
    clamped = start < oldest
    return _iso(max(start, oldest)), _iso(end), clamped


@dataclass(frozen=True)
class LookupPlan:
    """How many LookupEvents queries a run makes and the least time they take at 2/s."""

    regions: int
    functions: int

    @property
    def lookups(self) -> int:
        """EventSource, erasure and stack events per region, Username per function (≥1
        request each)."""
        return self.regions * PER_REGION + self.functions

    @property
    def least_seconds(self) -> float:
        """About the least: one page per lookup at 2 requests/s, regions in parallel."""
        per_region = PER_REGION + -(-self.functions // max(1, self.regions))
        return per_region / RATE_PER_SECOND

    def to_json(self) -> dict[str, Any]:
        """The plan as custody records it."""
        return {"lookups": self.lookups, "least_seconds": self.least_seconds}


def estimated_seconds(events: int) -> float:
    """How long LookupEvents needs for `events` at 50 a page and 2 requests/s."""
    return -(-events // EVENTS_PER_PAGE) / RATE_PER_SECOND


def run_clock(ctx: CollectContext) -> datetime | None:
    """The moment the run's relative times were resolved from (`Scope.resolved_at`), or
    None (then `lookup_window` reads the clock itself)."""
    return _parse(ctx.scope.resolved_at) if ctx.scope.resolved_at else None


def collect_lambda_trail(ctx: CollectContext, region: str) -> None:
    """Every lambda.amazonaws.com event in the region and window (one lookup per region)."""
    start, end, clamped = lookup_window(ctx.scope.since, ctx.scope.until, run_clock(ctx))
    if clamped:
        _record_clamp(ctx, region, ctx.scope.since, start, end)
    _run(ctx, region, Lookup("EventSource", "lambda.amazonaws.com", start, end))


def collect_baseline_trail(ctx: CollectContext, region: str) -> None:
    """`--baseline`: every lambda.amazonaws.com event from the baseline start up to the
    window's start (its own artifact and window), so analysis learns the account's usual
    principals, networks, tools and hours from further back. Read-only, like the rest."""
    if not ctx.scope.baseline:
        return
    asked = ctx.scope.baseline
    start, end, clamped = lookup_window(asked, ctx.scope.since or ctx.scope.until, run_clock(ctx))
    if clamped:
        _record_clamp(ctx, region, asked, start, end)
    if start < end:
        _run(ctx, region, Lookup("EventSource", "lambda.amazonaws.com", start, end))


def collect_erasure_trail(ctx: CollectContext, region: str) -> None:
    """One `EventName=` lookup per call in `ERASURE_EVENTS`: who deleted or blinded evidence."""
    start, end, _ = lookup_window(ctx.scope.since, ctx.scope.until, run_clock(ctx))
    for name in ERASURE_EVENTS:
        _run(ctx, region, Lookup("EventName", name, start, end))


def collect_stack_trail(ctx: CollectContext, region: str) -> None:
    """One `EventName=` lookup per stack operation in `STACK_EVENTS`, from the baseline's
    start when there is one: a stack update is judged against the account's earlier ones."""
    asked = ctx.scope.baseline or ctx.scope.since
    start, end, _ = lookup_window(asked, ctx.scope.until, run_clock(ctx))
    for name in STACK_EVENTS:
        _run(ctx, region, Lookup("EventName", name, start, end))


def collect_role_trail(ctx: CollectContext, fn: FunctionTarget) -> None:
    """What the function's execution role did: `Username=<function name>` (its session name)."""
    start, end, _ = lookup_window(ctx.scope.since, ctx.scope.until, run_clock(ctx))
    _run(ctx, fn.region, Lookup("Username", fn.name, start, end))


def _run(ctx: CollectContext, region: str, lookup: Lookup) -> None:
    params = lookup.params()
    if ctx.resume.find(Kind.TRAIL, API, params, ctx.account, region) is not None:
        return
    earlier = ctx.resume.partial(Kind.TRAIL, API, params, ctx.account, region)
    client = ctx.client("cloudtrail", region)
    stream = PageStream(pages(client, "LookupEvents", {**params, "MaxResults": 50}), _records)
    advice = partial(_advice, limit=ctx.options.bucket_advice_pages)
    stored = store_listing(
        ctx,
        stream,
        kind=Kind.TRAIL,
        api=API,
        params=params,
        path=attempt_path(lookup.path(ctx.account, region), len(earlier)),
        region=region,
        meta=advice,
    )
    if stream.error is not None:
        kept = [e.path for e in (*earlier, stored) if e is not None]
        record_failure(ctx, Kind.TRAIL, API, params, region, _partway(stream.error, kept))
    elif said := advice(stream):
        ctx.case.log("cloudtrail-advice", said | {"region": region, **params})
        with ctx.tally.lock:
            ctx.tally.advice.append(f"{region} {lookup.attribute}={lookup.value}: {said['advice']}")


def _partway(exc: BaseException, kept: list[str | None]) -> CallError:
    """A failure after pages were kept is never "nothing there": a `not-found` then is an
    `error` (reported as a gap, tried again by a rerun) that names what was kept."""
    error = classify(exc)
    if error.error_class is not ErrorClass.NOT_FOUND or not kept:
        return error
    said = f"not-found after part of the listing was kept in {', '.join(map(str, kept))}"
    return CallError(ErrorClass.ERROR, error.code, f"{said}: {error.message}")


def _records(page: dict[str, Any], counts: dict[str, int]) -> Iterator[bytes]:
    """The full CloudTrail record of each event (`CloudTrailEvent` is a JSON string)."""
    for event in page.get("Events") or []:
        text = event.get("CloudTrailEvent")
        if not isinstance(text, str):
            counts["without_record"] = counts.get("without_record", 0) + 1
            continue
        yield orjson.dumps(orjson.loads(text)) + b"\n"


def _advice(stream: PageStream, *, limit: int) -> dict[str, Any]:
    if stream.pages < limit:
        return {}
    minutes = stream.pages / RATE_PER_SECOND / 60
    return {
        "advice": f"{stream.pages} LookupEvents pages took at least {minutes:.0f} min at "
        "2 requests/s; reading the trail bucket (--trail-bucket) would be faster"
    }


def _record_clamp(
    ctx: CollectContext, region: str, asked: str | None, start: str, end: str
) -> None:
    """The gap a clamped window leaves; `asked_from` is the start the lookup was asked for
    (the baseline's for the baseline lookup), `clamped_to` the one LookupEvents can answer."""
    gap = {
        "gap": "cloudtrail-lookup-90-days",
        "detail": f"LookupEvents keeps {HISTORY_DAYS} days; events before {start} need the "
        "trail bucket (--trail-bucket) or a CloudTrail Lake / Athena query",
    }
    store(
        ctx,
        f"{paths.account_root(ctx.account, region)}/gaps/"
        f"cloudtrail-lookup-window-{window_segment(start, end)}.json",
        gap,
        kind=Kind.GAP,
        api=API,
        params={"asked_from": asked, "clamped_to": start, "end": end},
        region=region,
    )


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
