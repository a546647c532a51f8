"""Write the case's timeline file and record it in the chain of custody."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lambda_ir.evidence import Case
from lambda_ir.heap import collector_paused
from lambda_ir.timeline.filters import EventFilter
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
    total: int = 0  # events in the whole timeline, before any filter


def write_timeline(
    case: Case,
    index: duckdb.DuckDBPyConnection | None,
    fmt: str = "jsonl",
    only: EventFilter | None = None,
) -> TimelineResult:
    """Build the timeline and write `timeline.jsonl` or `timeline.csv` (a derived output).

    With `only`, the file holds just the events that filter keeps. Appends a `timeline`
    custody entry with the output's SHA-256 (and the filter). Reads only the case and its
    index; calls nothing outside.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown timeline format {fmt!r}; choose one of {', '.join(FORMATS)}")
    warnings: list[str] = []
    with collector_paused():  # the findings and each source's events are alive at once
        merged = Counter(build_timeline(case, index, warnings))
        events = Counter(only.apply(merged) if only is not None else merged)
        chunks = jsonl_chunks(events) if fmt == "jsonl" else csv_chunks(events)
        path, digest = case.write_derived_stream(f"timeline.{fmt}", chunks)
        details: dict[str, object] = {"output": path.name, "sha256": digest, "events": events.count}
        if only is not None and only.active:
            details["filter"] = dataclasses.asdict(only)
        case.log("timeline", details)
        return TimelineResult(path, events.count, digest, tuple(warnings), merged.count)
