"""Collect CloudTrail with `cloudtrail:LookupEvents`: Lambda's calls and the functions' own.

LookupEvents allows 2 requests/s per account and region, 50 events a page, one lookup
attribute per request and 90 days of history, so the plan is small: one lookup per region
for `EventSource=lambda.amazonaws.com` (every change to every function), and one per
function for `Username=<function name>` — the session name Lambda gives the execution role,
so it finds what the function's code did with its credentials. Each lookup streams its
records (the parsed `CloudTrailEvent`, one per line) into
`trail/<acct>/<region>/lookup/<attribute>=<value>.jsonl.gz`; the index de-duplicates them
with trail-bucket and imported copies by eventID. A window older than 90 days is clamped and
the clamp recorded as a gap; when a lookup needs many pages the case says the trail bucket
(`--trail-bucket`) would be faster.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import record_failure, store
from lambda_ir.acquire.logs import PageStream, store_listing
from lambda_ir.acquire.steps import FunctionTarget
from lambda_ir.aws import classify, pages
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import Kind

API = "cloudtrail:LookupEvents"
HISTORY_DAYS = 90
RATE_PER_SECOND = 2.0
EVENTS_PER_PAGE = 50
# Above this many pages (5 minutes at 2 requests/s) reading the trail bucket is faster.
BUCKET_ADVICE_PAGES = 600


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
        return f"trail/{path_segment(account)}/{path_segment(region)}/lookup/{name}.jsonl.gz"


def lookup_window(
    since: str | None, until: str | None, now: datetime | None = None
) -> tuple[str, str, bool]:
    """(start, end, clamped): the window inside LookupEvents' 90 days of history."""
    now = now or datetime.now(UTC)
    oldest = now - timedelta(days=HISTORY_DAYS)
    start = _parse(since) if since else oldest
    # Rounded up to the next second: ISO seconds would otherwise drop this second's events.
    end = _parse(until) if until else now.replace(microsecond=0) + timedelta(seconds=1)
    clamped = start < oldest
    return _iso(max(start, oldest)), _iso(end), clamped


def estimated_seconds(events: int) -> float:
    """How long LookupEvents needs for `events` at 50 a page and 2 requests/s."""
    return -(-events // EVENTS_PER_PAGE) / RATE_PER_SECOND


def collect_lambda_trail(ctx: CollectContext, region: str) -> None:
    """Every lambda.amazonaws.com event in the region and window (one lookup per region)."""
    start, end, clamped = lookup_window(ctx.scope.since, ctx.scope.until)
    if clamped:
        _record_clamp(ctx, region, start)
    _run(ctx, region, Lookup("EventSource", "lambda.amazonaws.com", start, end))


def collect_role_trail(ctx: CollectContext, fn: FunctionTarget) -> None:
    """What the function's execution role did: `Username=<function name>` (its session name)."""
    start, end, _ = lookup_window(ctx.scope.since, ctx.scope.until)
    _run(ctx, fn.region, Lookup("Username", fn.name, start, end))


def _run(ctx: CollectContext, region: str, lookup: Lookup) -> None:
    params = lookup.params()
    if ctx.resume.find(Kind.TRAIL, API, params, ctx.account, region) is not None:
        return
    client = ctx.client("cloudtrail", region)
    stream = PageStream(pages(client, "LookupEvents", {**params, "MaxResults": 50}), _records)
    store_listing(
        ctx,
        stream,
        kind=Kind.TRAIL,
        api=API,
        params=params,
        path=lookup.path(ctx.account, region),
        region=region,
        meta=_advice,
    )
    if stream.error is not None:
        record_failure(ctx, Kind.TRAIL, API, params, region, classify(stream.error))
    elif stream.pages >= BUCKET_ADVICE_PAGES:
        ctx.case.log("cloudtrail-advice", _advice(stream) | {"region": region, **params})


def _records(page: dict[str, Any], counts: dict[str, int]) -> Iterator[bytes]:
    """The full CloudTrail record of each event (`CloudTrailEvent` is a JSON string)."""
    for event in page.get("Events") or []:
        text = event.get("CloudTrailEvent")
        if not isinstance(text, str):
            counts["without_record"] = counts.get("without_record", 0) + 1
            continue
        yield orjson.dumps(orjson.loads(text)) + b"\n"


def _advice(stream: PageStream) -> dict[str, Any]:
    if stream.pages < BUCKET_ADVICE_PAGES:
        return {}
    minutes = stream.pages / RATE_PER_SECOND / 60
    return {
        "advice": f"{stream.pages} LookupEvents pages took at least {minutes:.0f} min at "
        "2 requests/s; reading the trail bucket (--trail-bucket) would be faster"
    }


def _record_clamp(ctx: CollectContext, region: str, start: str) -> None:
    gap = {
        "gap": "cloudtrail-lookup-90-days",
        "detail": f"LookupEvents keeps {HISTORY_DAYS} days; events before {start} need the "
        "trail bucket (--trail-bucket) or a CloudTrail Lake / Athena query",
    }
    store(
        ctx,
        f"{paths.account_root(ctx.account, region)}/gaps/cloudtrail-lookup-window.json",
        gap,
        kind=Kind.GAP,
        api=API,
        params={"since": ctx.scope.since, "clamped_to": start},
        region=region,
    )


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
