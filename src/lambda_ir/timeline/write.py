"""Write the case's timeline file and record it in the chain of custody."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lambda_ir.evidence import Case
from lambda_ir.heap import collector_paused
from lambda_ir.model import TimelineEvent
from lambda_ir.timeline.filters import EventFilter, is_function
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

    With `only`, just the events that filter keeps go to `timeline-filtered.jsonl` (or
    `.csv`): the whole timeline the report points to, and a user imports, is never replaced
    by a part of it. Appends a `timeline` custody entry with the output's SHA-256 (and the
    filter, and the warnings: what the file lacks). Reads only the case and its index;
    calls nothing outside.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown timeline format {fmt!r}; choose one of {', '.join(FORMATS)}")
    warnings: list[str] = []
    with collector_paused():  # the findings and each source's events are alive at once
        merged = Counter(build_timeline(case, index, warnings))
        seen: set[str] = set()
        kept = only.apply(_noting(merged, only.functions, seen)) if only is not None else merged
        events = Counter(kept)
        chunks = jsonl_chunks(events) if fmt == "jsonl" else csv_chunks(events)
        name = "timeline-filtered" if only is not None and only.active else "timeline"
        path, digest = case.write_derived_stream(f"{name}.{fmt}", chunks)
        details: dict[str, object] = {"output": path.name, "sha256": digest, "events": events.count}
        if only is not None and only.active:
            details["filter"] = dataclasses.asdict(only)
        if warnings:  # what the file lacks (calls left out for their time, no index) is kept
            details["warnings"] = list(warnings)
        case.log("timeline", details)
    # A function filter no event of the case matches (a typo, a function not collected):
    # said, rather than an empty file taken for a quiet function.
    warnings.extend(
        f"no event of the case is about function {name!r} (is it in the case?)"
        for name in (only.functions if only is not None else ())
        if name not in seen
    )
    return TimelineResult(path, events.count, digest, tuple(warnings), merged.count)


def _noting(
    events: Iterable[TimelineEvent], functions: tuple[str, ...], seen: set[str]
) -> Iterator[TimelineEvent]:
    """The events as they are, putting in `seen` each of `functions` one of them is about."""
    for event in events:
        if functions:
            seen.update(f for f in functions if f not in seen and is_function(event, f))
        yield event
