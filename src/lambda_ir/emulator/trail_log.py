"""The emulator's CloudTrail event history: every recorded call, and `LookupEvents` over it.

Like AWS, LookupEvents is per account and region (IAM's global events show in us-east-1),
newest first, one lookup attribute at a time, at most 50 events a page, and only the last
90 days (event history keeps no more). NextToken points at the last event returned, so
events recorded between pages (including the LookupEvents calls themselves) never shift a
page.
"""

from __future__ import annotations

import base64
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from lambda_ir.emulator.http import Response, json_error, json_response

HISTORY_DAYS = 90  # CloudTrail event history: LookupEvents sees the last 90 days only


@dataclass(frozen=True)
class TrailEntry:
    """One recorded event with what LookupEvents filters on."""

    sequence: int
    time: datetime
    account_id: str
    region: str
    username: str
    access_key_id: str
    resources: tuple[tuple[str, str], ...]
    record: dict[str, Any]
    trails: tuple[tuple[str, str, str], ...]  # (account, bucket, key prefix) logging at record time


@dataclass
class TrailLog:
    """Thread-safe event history plus the queue of entries not yet delivered to trail buckets."""

    entries: list[TrailEntry] = field(default_factory=list)
    pending: list[TrailEntry] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def add(self, entry: TrailEntry) -> None:
        """Append a recorded event (and queue it for delivery when a trail was logging)."""
        with self.lock:
            self.entries.append(entry)
            if entry.trails:
                self.pending.append(entry)

    def next_sequence(self) -> int:
        """A number that orders events recorded in the same second."""
        with self.lock:
            return next(self.counter)

    def take_pending(self) -> list[TrailEntry]:
        """Entries awaiting delivery; the queue is emptied."""
        with self.lock:
            pending, self.pending = self.pending, []
        return pending

    def records(self, account_id: str | None = None) -> list[dict[str, Any]]:
        """All recorded CloudTrail records (oldest first), optionally for one account."""
        with self.lock:
            return [e.record for e in self.entries if account_id in (None, e.account_id)]


_ATTRIBUTES: dict[str, Callable[[TrailEntry], list[str]]] = {
    "EventId": lambda e: [e.record["eventID"]],
    "EventName": lambda e: [e.record["eventName"]],
    "ReadOnly": lambda e: [str(e.record["readOnly"]).lower()],
    "Username": lambda e: [e.username],
    "EventSource": lambda e: [e.record["eventSource"]],
    "AccessKeyId": lambda e: [e.access_key_id],
    "ResourceType": lambda e: [kind for kind, _ in e.resources],
    "ResourceName": lambda e: [name for _, name in e.resources],
}


@dataclass(frozen=True)
class _Query:
    """A validated LookupEvents request."""

    matcher: tuple[Callable[[TrailEntry], list[str]], str] | None
    max_results: int
    start: datetime
    end: datetime
    after: tuple[datetime, int] | None

    def matches(self, entry: TrailEntry) -> bool:
        return (
            self.start <= entry.time <= self.end
            and (self.matcher is None or self.matcher[1] in self.matcher[0](entry))
            and (self.after is None or (entry.time, entry.sequence) < self.after)
        )


def lookup_events(
    log: TrailLog, account_id: str, region: str, params: dict[str, Any], now: datetime | None = None
) -> Response:
    """Answer cloudtrail:LookupEvents as AWS does (shape, filters, order, paging, errors).

    Event history keeps 90 days: an older event is never returned, whatever StartTime asks.
    `now` is AWS's time (the emulator's clock).
    """
    query = _parse_query(params, now or datetime.now(UTC))
    if isinstance(query, Response):
        return query
    with log.lock:
        candidates = list(log.entries)
    selected = sorted(
        (
            e
            for e in candidates
            if e.account_id == account_id and e.region == region and query.matches(e)
        ),
        key=lambda e: (e.time, e.sequence),
        reverse=True,
    )
    page = selected[: query.max_results]
    document: dict[str, Any] = {"Events": [_event(e) for e in page]}
    if len(selected) > query.max_results:
        last = page[-1]
        document["NextToken"] = _encode_token(last.time, last.sequence)
    return json_response(document, content_type="application/x-amz-json-1.1")


def _parse_query(params: dict[str, Any], now: datetime) -> _Query | Response:
    """The request's filters, or the error CloudTrail answers for invalid ones."""
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        return json_error(
            "InvalidLookupAttributesException", "You cannot specify more than one lookup attribute."
        )
    matcher = None
    if attributes:
        key, value = attributes[0].get("AttributeKey"), attributes[0].get("AttributeValue")
        if key not in _ATTRIBUTES or value is None:
            return json_error(
                "InvalidLookupAttributesException", f"Invalid lookup attribute key: {key}"
            )
        matcher = (_ATTRIBUTES[key], str(value))
    max_results = int(params.get("MaxResults") or 50)
    if not 1 <= max_results <= 50:
        return json_error("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    oldest = now - timedelta(days=HISTORY_DAYS)
    start = _time(params.get("StartTime"), oldest)
    end = _time(params.get("EndTime"), now)
    if start > end:
        return json_error("InvalidTimeRangeException", "StartTime must be before EndTime.")
    start = max(start, oldest)
    after = _decode_token(params.get("NextToken"))
    if params.get("NextToken") and after is None:
        return json_error("InvalidNextTokenException", "Invalid NextToken.")
    return _Query(matcher, max_results, start, end, after)


def _event(entry: TrailEntry) -> dict[str, Any]:
    record = entry.record
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": str(record["readOnly"]).lower(),
        "AccessKeyId": entry.access_key_id,
        "EventTime": entry.time.timestamp(),
        "EventSource": record["eventSource"],
        "Username": entry.username,
        "Resources": [{"ResourceType": t, "ResourceName": n} for t, n in entry.resources],
        "CloudTrailEvent": orjson.dumps(record).decode(),
    }


def _time(value: Any, default: datetime) -> datetime:
    if value is None:
        return default
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _encode_token(time: datetime, sequence: int) -> str:
    return base64.urlsafe_b64encode(f"{time.timestamp()}|{sequence}".encode()).decode()


def _decode_token(token: Any) -> tuple[datetime, int] | None:
    if not token:
        return None
    try:
        stamp, sequence = base64.urlsafe_b64decode(str(token)).decode().split("|")
        return datetime.fromtimestamp(float(stamp), UTC), int(sequence)
    except ValueError:
        return None
