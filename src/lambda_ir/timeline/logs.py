"""Function logs from the case index: one event per invocation, plus errors and timeouts.

A busy function logs millions of lines; the timeline keeps one line per request (its
REPORT line: duration, memory, status) and every error or timeout line, streamed from
DuckDB in time order. Log text is attacker-influenced; `merge` redacts it with the rest.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from typing import Any

import duckdb

from lambda_ir.evidence.logs import ERROR, TIMEOUT
from lambda_ir.model import EvidenceRef, TimelineEvent
from lambda_ir.redact import redact_shown
from lambda_ir.timeline.clock import utc_iso

_INVOCATIONS = """
SELECT ts, function_name, version, request_id, duration_ms, billed_ms, max_memory_mb,
       memory_mb, init_ms, status, evidence_path, evidence_sha256, account, region
FROM report_lines ORDER BY ts, request_id
"""
# Which log lines are problems worth a line of their own: the index's own timeout and error
# patterns (one definition, in `evidence.logs`), passed as parameters.
_PROBLEMS = """
SELECT ts, function_name, version, request_id, message, evidence_path, evidence_sha256,
       account, region
FROM log_events
WHERE regexp_matches(message, $timeout) OR regexp_matches(message, $error)
ORDER BY ts, request_id
"""
# What `log_events` yields, counted: a line without a time is no event.
_COUNT = """
SELECT (SELECT count(ts) FROM report_lines)
     + (SELECT count(ts) FROM log_events
        WHERE regexp_matches(message, $timeout) OR regexp_matches(message, $error))
"""
_BATCH = 5000
# The runtime's own line prefix (`<time> <request id> `): the event already says both.
_PREFIX = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z\s+[0-9a-f-]{36}\s+")
MESSAGE_CHARS = 400  # of a message, redacted, in its event (merge cuts the summary to 300)


def log_events(con: duckdb.DuckDBPyConnection) -> Iterator[TimelineEvent]:
    """Invocations and error/timeout lines, merged oldest first."""
    return heapq.merge(_invocations(con), _problems(con), key=lambda e: e.time)


def log_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many events `log_events` yields, counted by DuckDB rather than built."""
    row = con.cursor().execute(_COUNT, {"timeout": TIMEOUT, "error": ERROR}).fetchone()
    return int(row[0]) if row else 0


def _rows(
    con: duckdb.DuckDBPyConnection, query: str, params: dict[str, str] | None = None
) -> Iterator[tuple[Any, ...]]:
    cursor = con.cursor().execute(query, params)
    while rows := cursor.fetchmany(_BATCH):
        yield from rows


def _invocations(con: duckdb.DuckDBPyConnection) -> Iterator[TimelineEvent]:
    for row in _rows(con, _INVOCATIONS):
        (ts, request, duration, billed, used, memory, init, status) = (row[0], *row[3:10])
        time = utc_iso(ts)
        if time is None:
            continue
        summary = f"invocation {request}: {_ms(duration)} ms (billed {_ms(billed)})"
        summary += f", memory {used or '?'}/{memory or '?'} MB"
        if init:
            summary += f", cold start {_ms(init)} ms"
        if status and str(status).lower() not in ("ok", "success", ""):
            summary += f", status {status}"
        yield _event(time, "invocation", row, summary)


def _problems(con: duckdb.DuckDBPyConnection) -> Iterator[TimelineEvent]:
    patterns = {"timeout": TIMEOUT, "error": ERROR}
    for row in _rows(con, _PROBLEMS, patterns):
        ts, request, message = row[0], row[3], row[4]
        time = utc_iso(ts)
        if time is None:
            continue
        text = _PREFIX.sub("", " ".join(str(message or "").split()), count=1)
        kind = "timeout" if re.search(TIMEOUT, text) else "log-error"
        line = redact_shown(text, MESSAGE_CHARS)  # read past the cut: half a secret matches nothing
        summary = f"{kind} in request {request}: {line}" if request else f"{kind}: {line}"
        yield _event(time, kind, row, summary)


def _event(time: str, kind: str, row: tuple[Any, ...], summary: str) -> TimelineEvent:
    """An event from a row starting `ts, function, version` and ending with
    `evidence_path, evidence_sha256, account, region`."""
    function, version = str(row[1] or ""), str(row[2] or "")
    path, sha, account, region = row[-4:]
    return TimelineEvent(
        time=time,
        source="logs",
        kind=kind,
        resource=f"{function}:{version}" if version else function,
        summary=summary,
        evidence=(EvidenceRef(path=str(path or ""), sha256=str(sha or "")),),
        account=str(account or ""),
        region=str(region or ""),
        function=function,
        version=version,
    )


def _ms(value: object) -> str:
    return "?" if value is None else f"{float(str(value)):g}"
