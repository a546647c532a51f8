"""Write the timeline as Timesketch-importable JSON lines or CSV.

Timesketch needs `message`, `datetime` and `timestamp_desc` on every line (older importers
also read `timestamp`, epoch microseconds). `timestamp_desc` says *which* timestamp of the
evidence this is (plaso's lesson: a version's LastModified is not
the time it was published, a REPORT line's time is the end of the invocation).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from lambda_ir import sanitize
from lambda_ir.model import PIVOT_FIELDS, TimelineEvent
from lambda_ir.timeline.clock import as_datetime

# What each kind's timestamp means; anything else from CloudTrail is the call's time.
TIMESTAMP_DESC = {
    "version-modified": "Last Modified",
    "code-changed": "Last Modified",
    "config-changed": "Last Modified",
    "alias-state": "Collection Time",
    "invocation": "Invocation End",
    "timeout": "Log Time",
    "log-error": "Log Time",
    "runtime-snapshot": "Capture Time",
    "runtime-file": "Modification Time",
    "runtime-process": "Process Start Time",
}
SOURCE_DESC = {"cloudtrail": "Event Time", "finding": "Detection Time"}
CHUNK = 1 << 20
CSV_COLUMNS = (
    "datetime",
    "timestamp",
    "timestamp_desc",
    "source",
    "kind",
    "resource",
    "actor",
    "message",
    "evidence",
    *PIVOT_FIELDS,
)


def timestamp_desc(event: TimelineEvent) -> str:
    """Which timestamp of the evidence `event.time` is, in Timesketch's words."""
    return TIMESTAMP_DESC.get(event.kind) or SOURCE_DESC.get(event.source, "Event Time")


def timesketch_record(event: TimelineEvent) -> dict[str, Any]:
    """The event as one Timesketch JSON line: our fields plus message/datetime/timestamp_desc."""
    record = event.to_json()
    record["message"] = event.summary
    record["datetime"] = event.time
    record["timestamp_desc"] = timestamp_desc(event)
    record["timestamp"] = epoch_micros(event.time)
    return record


def epoch_micros(time: str) -> int:
    """Microseconds since the epoch, the `timestamp` older Timesketch importers read."""
    if time.endswith("Z"):  # `utc_iso`'s own form, read as it is (a fifth the time)
        try:
            return int(datetime.fromisoformat(time).timestamp() * 1_000_000)
        except ValueError:
            pass
    moment = as_datetime(time)
    if moment is None:
        return 0
    return int(moment.replace(tzinfo=moment.tzinfo or UTC).timestamp() * 1_000_000)


def jsonl_chunks(events: Iterable[TimelineEvent]) -> Iterator[bytes]:
    """The events as JSON lines, in chunks of about `CHUNK` bytes (for streaming to disk)."""
    batch: list[bytes] = []
    size = 0
    for event in events:
        line = orjson.dumps(timesketch_record(event)) + b"\n"
        batch.append(line)
        size += len(line)
        if size >= CHUNK:
            yield sanitize.json_bytes(b"".join(batch))  # C1/bidi as \uXXXX: `cat` is safe
            batch, size = [], 0
    if batch:
        yield sanitize.json_bytes(b"".join(batch))


def csv_chunks(events: Iterable[TimelineEvent]) -> Iterator[bytes]:
    """The events as CSV (Timesketch's CSV columns first), in chunks of about `CHUNK` bytes;
    every cell quoted, as findings.csv's (`report.findings_csv`)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for event in events:
        writer.writerow(_row(event))
        if text.tell() >= CHUNK:
            yield text.getvalue().encode()
            text.seek(0)
            text.truncate()
    if text.tell():
        yield text.getvalue().encode()


def to_jsonl(events: Iterable[TimelineEvent]) -> tuple[bytes, int]:
    """The events as JSON lines in memory, and how many there were (tests, small cases)."""
    counted = Counter(events)
    return b"".join(jsonl_chunks(counted)), counted.count


def to_csv(events: Iterable[TimelineEvent]) -> tuple[bytes, int]:
    """The events as CSV in memory, and how many there were (tests, small cases)."""
    counted = Counter(events)
    return b"".join(csv_chunks(counted)), counted.count


class Counter:
    """Passes events through and counts them, so a streamed writer can say how many."""

    def __init__(self, events: Iterable[TimelineEvent]) -> None:
        self._events = iter(events)
        self.count = 0

    def __iter__(self) -> Iterator[TimelineEvent]:
        for event in self._events:
            self.count += 1
            yield event


def _row(event: TimelineEvent) -> list[str]:
    evidence = " ".join(ref.path for ref in event.evidence)
    return [
        sanitize.field(event.time),
        str(epoch_micros(event.time)),
        sanitize.spreadsheet_cell(timestamp_desc(event)),
        sanitize.spreadsheet_cell(event.source),
        sanitize.spreadsheet_cell(event.kind),
        sanitize.spreadsheet_cell(event.resource),
        sanitize.spreadsheet_cell(event.actor),
        sanitize.spreadsheet_cell(event.summary),
        sanitize.spreadsheet_cell(evidence),
        *(sanitize.spreadsheet_cell(str(getattr(event, name))) for name in PIVOT_FIELDS),
    ]
