"""CloudTrail's shapes once parsed: where the records are, and what a bad one costs.

`trail_read` finds documents and lines in a stream; this turns one parsed JSON value into
record lines (a Records file, an array, LookupEvents output), iteratively and within
limits, and counts what it skips (`BadLines`). A value that did not parse goes to
`trail_salvage`, record by record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import orjson

from lambda_ir.evidence.trail_salvage import MAX_DEPTH, MAX_NAMED, depth_exceeds, salvage

RECORD_KEYS = ("eventName", "eventID", "eventTime")
# Wrappers around records (a list of Records files, Events...): CloudTrail's shapes need 4.
SHAPE_DEPTH = 8
_END = object()
# A JSON escaped backslash, a surrogate pair, or a lone surrogate escape (`\ud800` not
# followed by a low one, or a low one alone): scanned left to right, so an escaped
# backslash is consumed first and `\\ud800` (the text) is never taken for an escape.
_HIGH, _LOW, _ANY = rb"\\u[dD][89abAB]", rb"\\u[dD][c-fC-F]", rb"\\u[dD][89a-fA-F]"
_ESCAPES = re.compile(
    rb"\\\\|" + _HIGH + rb"[0-9a-fA-F]{2}" + _LOW + rb"[0-9a-fA-F]{2}|" + _ANY + rb"[0-9a-fA-F]{2}"
)
_LONE = len(rb"\ud800")  # a lone escape: six bytes


def surrogates_as_text(data: bytes) -> bytes | None:
    """`data` with each lone surrogate escape made text, or None when it holds none.

    JSON's grammar allows an escape such as `\\ud800` without its low half, and Python's
    json reads it, but orjson, msgspec and DuckDB's JSON reader refuse the whole document:
    the record was skipped, and one stored as it is would make DuckDB refuse every read of
    the trail. Made text (a backslash, then `ud800`) the code unit is kept, shown as
    `sanitize` shows a lone surrogate, and every reader reads the record.
    """
    if b"\\u" not in data:
        return None
    text = _ESCAPES.sub(_lone_as_text, data)
    return None if text == data else text


def _lone_as_text(match: re.Match[bytes]) -> bytes:
    escape = match.group()
    return b"\\" + escape if len(escape) == _LONE else escape


def records_of(value: Any, ignored: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """The CloudTrail records inside one parsed JSON value, whatever its shape.

    Iterative, and no deeper than SHAPE_DEPTH wrappers (arrays of arrays, Records, Events):
    an array nested a thousand deep is no shape of CloudTrail, and holds no record. Each
    element of a wrapper that is no record (a number, an object without eventName, eventID
    or eventTime, wrappers too deep) is named in `ignored`, so none is dropped unsaid.
    """
    ignored = ignored if ignored is not None else []
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
            continue
        inner = _unwrap(item)
        if inner is not None:
            if len(stack) <= SHAPE_DEPTH:
                stack.append(iter(inner))
            else:
                ignored.append(f"wrapper nested deeper than {SHAPE_DEPTH} levels")
        elif isinstance(item, _Unreadable):
            ignored.append(f"CloudTrailEvent that does not parse ({item.reason})")
        elif isinstance(item, dict) and any(key in item for key in RECORD_KEYS):
            yield item
        elif len(stack) > 1:
            ignored.append(f"{type(item).__name__} that is not a CloudTrail record")


def _unwrap(item: Any) -> list[Any] | None:
    """What a CloudTrail wrapper holds (an array, Records, Events, a LookupEvents entry)."""
    if isinstance(item, list):
        return item
    if not isinstance(item, dict):
        return None
    for key in ("Records", "Events"):
        if isinstance(item.get(key), list):
            return list(item[key])
    if isinstance(item.get("CloudTrailEvent"), str):
        return [_event_of(item["CloudTrailEvent"])]
    return None


def _event_of(text: str) -> Any:
    """A LookupEvents entry's CloudTrailEvent, parsed (its lone surrogates made text)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        fixed = surrogates_as_text(text.encode("utf-8", "surrogatepass"))
        if fixed is None:
            return _Unreadable(reason(exc))  # a damaged LookupEvents entry: counted
        return _event_of(fixed.decode("utf-8", "surrogatepass"))


class _Unreadable(NamedTuple):
    """A LookupEvents entry whose CloudTrailEvent text does not parse (a nesting bomb...)."""

    reason: str


class BadLines:
    """Counts unparseable lines so a million bad lines make one warning, not a million."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.first: dict[str, int] = {}

    named = 0  # bad records named one by one so far (MAX_NAMED at most)

    def add(self, reason: str, line: int) -> None:
        if reason not in self.counts and reason.startswith("record "):
            self.named += 1
        self.counts[reason] = self.counts.get(reason, 0) + 1
        self.first.setdefault(reason, line)

    def clear(self) -> None:
        self.counts.clear()
        self.first.clear()

    def summary(self) -> list[str]:
        return [
            f"{count} line(s) skipped: {reason} (first at line {self.first[reason]})"
            for reason, count in self.counts.items()
        ]


def named_record(record: dict[str, Any], position: int) -> str:
    event_id = record.get("eventID")
    return f"record {position}" + (f" (eventID {event_id})" if isinstance(event_id, str) else "")


def loads(data: bytes, bad: BadLines, line: int) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        bad.add(reason(exc), line)
        return None


def reason(exc: orjson.JSONDecodeError) -> str:
    message = str(exc)
    if "recursion" in message.lower() or "depth limit" in message:
        return f"nested deeper than {MAX_DEPTH} levels"
    return "not UTF-8" if "UTF-8" in message else "invalid JSON"


def salvaged(
    data: bytes, exc: orjson.JSONDecodeError, bad: BadLines, number: int, problems: list[str]
) -> Iterator[bytes]:
    """The good records of a line that is a whole document but does not parse."""
    lines = salvage(data, problems, f" of line {number}")
    if lines is None:
        bad.add(reason(exc), number)
        return iter(())
    return lines


def records_as_lines(value: Any, problems: list[str]) -> Iterator[bytes]:
    """A whole parsed document's records as lines; what is skipped is named in `problems`."""
    ignored: list[str] = []
    for number, record in enumerate(records_of(value, ignored), start=1):
        if depth_exceeds(record, MAX_DEPTH):
            problems.append(f"record {number} skipped: nested deeper than {MAX_DEPTH} levels")
            continue
        yield orjson.dumps(record) + b"\n"
    problems.extend(_ignored_summary(ignored))


def _ignored_summary(ignored: list[str]) -> list[str]:
    counts: dict[str, int] = {}
    for what in ignored:
        counts[what] = counts.get(what, 0) + 1
    return [f"{n} element(s) skipped: {what}" for what, n in counts.items()]


def lines_of(value: Any, raw: bytes, bad: BadLines, number: int) -> Iterator[bytes]:
    if isinstance(value, dict) and any(key in value for key in RECORD_KEYS):
        if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and depth_exceeds(value, MAX_DEPTH):
            bad.add(f"record nested deeper than {MAX_DEPTH} levels", number)
            return
        yield raw.strip() + b"\n"  # already one record on one line: keep its bytes
        return
    produced = False
    ignored: list[str] = []
    for position, record in enumerate(records_of(value, ignored), start=1):
        produced = True
        if depth_exceeds(record, MAX_DEPTH):
            named = named_record(record, position) if bad.named < MAX_NAMED else "record"
            bad.add(f"{named} nested deeper than {MAX_DEPTH} levels", number)
            continue
        yield orjson.dumps(record) + b"\n"
    for what in ignored:
        bad.add(f"element skipped: {what}", number)
    if not produced and not ignored:
        bad.add("JSON that holds no CloudTrail record", number)
