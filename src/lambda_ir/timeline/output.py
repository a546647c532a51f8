"""Write the timeline as Timesketch-importable JSON lines or CSV.

Timesketch needs `message`, `datetime` and `timestamp_desc` on every line; the last says
*which* timestamp of the evidence this is (plaso's lesson: a version's LastModified is not
the time it was published, a REPORT line's time is the end of the invocation).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import orjson

from lambda_ir.model import TimelineEvent

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
}
SOURCE_DESC = {"cloudtrail": "Event Time", "finding": "Detection Time"}
CSV_COLUMNS = (
    "datetime",
    "timestamp_desc",
    "source",
    "kind",
    "resource",
    "actor",
    "message",
    "evidence",
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
    return record


def to_jsonl(events: Iterable[TimelineEvent]) -> tuple[bytes, int]:
    """The events as JSON lines, and how many there were."""
    buffer = io.BytesIO()
    count = 0
    for event in events:
        buffer.write(orjson.dumps(timesketch_record(event)) + b"\n")
        count += 1
    return buffer.getvalue(), count


def to_csv(events: Iterable[TimelineEvent]) -> tuple[bytes, int]:
    """The events as CSV (Timesketch's CSV columns first), and how many there were."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events:
        evidence = " ".join(ref.path for ref in event.evidence)
        writer.writerow(
            [
                event.time,
                timestamp_desc(event),
                event.source,
                _cell(event.kind),
                _cell(event.resource),
                _cell(event.actor),
                _cell(event.summary),
                _cell(evidence),
            ]
        )
        count += 1
    return text.getvalue().encode(), count


def _cell(text: str) -> str:
    """Defuse spreadsheet formulas: a log line starting with `=` must not run in Excel."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
