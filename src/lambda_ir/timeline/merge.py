"""Merge every evidence kind into one UTC-ordered stream of timeline events.

Each source yields its events already in time order (DuckDB sorts the big ones), so the
merge is a streaming k-way merge and never holds the logs in memory.
"""

from __future__ import annotations

import dataclasses
import heapq
import re
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb

from lambda_ir.evidence import Case
from lambda_ir.model import Finding, TimelineEvent
from lambda_ir.redact import redact_text
from lambda_ir.timeline.aliases import alias_events
from lambda_ir.timeline.cloudtrail import left_out, trail_count, trail_events
from lambda_ir.timeline.findings import finding_events, read_findings
from lambda_ir.timeline.logs import log_count, log_events
from lambda_ir.timeline.runtime import runtime_events
from lambda_ir.timeline.versions import read_versions, version_events

SUMMARY_CHARS = 300
# `logs._invocations`' wording exactly: only digits, a UUID and words from a fixed set.
_OWN_WORDING = re.compile(
    r"invocation [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}: [0-9.?]+ ms "
    r"\(billed [0-9.?]+\), memory [0-9?]+/[0-9?]+ MB(?:, cold start [0-9.]+ ms)?"
    r"(?:, status (?:error|timeout|success|crash|[a-z]{1,12}))?"
)
# Tables a source needs in the index; a missing one is a warning, not a crash.
_INDEX_SOURCES = (("trail_events", trail_events), ("report_lines", log_events))


def build_timeline(
    case: Case,
    index: duckdb.DuckDBPyConnection | None,
    warnings: list[str] | None = None,
    findings: Sequence[Finding] | None = None,
) -> Iterator[TimelineEvent]:
    """Every event of the case, oldest first (ties keep source order: trail, lambda, logs…).

    Summaries come out redacted (`lambda_ir.redact`) and at most one line of 300 characters.

    `index` is the case's DuckDB index (CloudTrail and logs); without it the timeline holds
    only what the API responses and findings date, and `warnings` says so, as it says how
    many CloudTrail calls are left out for a time it cannot read (`cloudtrail.left_out`).
    `findings` are the case's, when the caller has read them already (else findings.json is
    read).
    """
    notes = warnings if warnings is not None else []
    sources: list[Iterator[TimelineEvent]] = []
    if index is None:
        notes.append("no index: CloudTrail and log events are missing (run `lambda-ir index`)")
    else:
        tables = _tables(index)
        for table, source in _INDEX_SOURCES:
            if table in tables:
                sources.append(source(index))
            else:
                notes.append(f"index has no {table} table; its events are missing")
        if "trail_events" in tables:
            notes.extend(left_out(index))
    sources.append(iter(version_events(read_versions(case, notes))))
    sources.append(iter(alias_events(case, notes)))
    sources.append(iter(runtime_events(case, notes)))
    if findings is None:
        findings = read_findings(case, notes)
    sources.append(iter(finding_events(findings)))
    merged = heapq.merge(*sources, key=lambda event: event.time)
    return (_redacted(event) for event in merged)


def timeline_size(
    case: Case,
    index: duckdb.DuckDBPyConnection | None,
    findings: Sequence[Finding],
    own: tuple[str, list[Any]] | None = None,
) -> tuple[int, int]:
    """How many events `build_timeline(case, index, findings=findings)` yields, and how many of
    them are CloudTrail calls matching `own` (the collector's own calls, as a condition on
    `trail_events` and its parameters): DuckDB counts the trail and the logs, so a million
    calls are counted without building one event each."""
    total = len(version_events(read_versions(case)))
    total += len(alias_events(case)) + len(runtime_events(case))
    total += sum(1 for finding in findings if finding.time)  # `finding_events`' own test
    by_own = 0
    if index is not None:
        tables = _tables(index)
        if "trail_events" in tables:
            trail, by_own = trail_count(index, own)
            total += trail
        if "report_lines" in tables:
            total += log_count(index)
    return total, by_own


def _redacted(event: TimelineEvent) -> TimelineEvent:
    """The one point where event text is redacted (and cut to one readable line).

    Sources leave text as found, so it is redacted here, whole: cutting before redacting
    could leave half a secret (the two that cut a command line or a log message redact it
    first, and this finds nothing more). A summary that is wholly our own wording around
    numbers and a UUID (an invocation) cannot hold a secret and skips the regexes: it is
    most of a busy function's timeline.
    """
    if _OWN_WORDING.fullmatch(event.summary):
        return event
    summary = " ".join(redact_text(event.summary).split())
    if len(summary) > SUMMARY_CHARS:
        summary = summary[: SUMMARY_CHARS - 1] + "…"
    if summary == event.summary:
        return event
    return dataclasses.replace(event, summary=summary)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {str(row[0]) for row in rows}
