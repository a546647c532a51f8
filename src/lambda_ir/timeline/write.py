"""Write the case's timeline file and record it in the chain of custody."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from lambda_ir.evidence import Case
from lambda_ir.timeline.merge import build_timeline
from lambda_ir.timeline.output import Counter, csv_chunks, jsonl_chunks

FORMATS = ("jsonl", "csv")


@dataclass(frozen=True)
class TimelineResult:
    """What `write_timeline` wrote: the file, how many events, its hash, and what is missing."""

    path: Path
    events: int
    sha256: str
    warnings: tuple[str, ...]


def write_timeline(
    case: Case, index: duckdb.DuckDBPyConnection | None, fmt: str = "jsonl"
) -> TimelineResult:
    """Build the timeline and write `timeline.jsonl` or `timeline.csv` (a derived output).

    Appends a `timeline` custody entry with the output's SHA-256. Reads only the case and
    its index; calls nothing outside.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown timeline format {fmt!r}; choose one of {', '.join(FORMATS)}")
    warnings: list[str] = []
    events = Counter(build_timeline(case, index, warnings))
    chunks = jsonl_chunks(events) if fmt == "jsonl" else csv_chunks(events)
    path, digest = case.write_derived_stream(f"timeline.{fmt}", chunks)
    case.log("timeline", {"output": path.name, "sha256": digest, "events": events.count})
    return TimelineResult(path, events.count, digest, tuple(warnings))
