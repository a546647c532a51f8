"""Invocation logs as Lambda writes them to CloudWatch Logs: one stream per execution environment.

Lines follow the function's LoggingConfig format: Lambda's text format (`logs_text.py`:
`INIT_START`, `EXTENSION`, `START`, the runtime's lines, `Task timed out after …`, `END`, the
tab-separated `REPORT`) or its JSON format (`logs_json.py`: `platform.start`,
`platform.report` with metrics and status, JSON application lines). Streams are named like
AWS (`2026/11/20/[$LATEST]<32 hex>`; `2026/11/20/<function>[$LATEST]<32 hex>` in a custom
group). Events go through `logs:PutLogEvents` in timestamp order; CloudWatch (and the
emulator) rejects events older than 14 days, so scenarios keep logged activity inside that
window.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lambda_ir.emulator.scenarios.invocations import (
    Invocation,
    LogTarget,
    Outcome,
    Sandbox,
    epoch_ms,
    request_id,
)
from lambda_ir.emulator.scenarios.logs_json import json_events
from lambda_ir.emulator.scenarios.logs_text import error_line, report_line, text_events

# PutLogEvents limits: 10,000 events, 1 MiB (26 bytes overhead per event), 24 hours per batch.
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000


class LogWriteError(Exception):
    """CloudWatch Logs did not accept every event a scenario wrote."""


@dataclass(frozen=True)
class WrittenLogs:
    """What `write_invocation_logs` put into CloudWatch Logs."""

    log_group: str
    streams: tuple[str, ...]
    events: int
    reports: int


def stream_name(target: LogTarget, sandbox: Sandbox) -> str:
    """`YYYY/MM/DD/[<version>]<32 hex>`, dated by the sandbox's start (UTC); in a custom log
    group, which several functions may share, `YYYY/MM/DD/<function>[<version>]<32 hex>`
    (docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html)."""
    custom = target.group != f"/aws/lambda/{target.function_name}"
    owner = target.function_name if custom else ""
    return f"{sandbox.started:%Y/%m/%d}/{owner}[{target.version}]{sandbox.stream_id}"


def render_sandbox(target: LogTarget, sandbox: Sandbox) -> list[tuple[int, str]]:
    """Every log event of one sandbox as `(timestamp ms, message)`, in time order."""
    events = (
        json_events(target, sandbox)
        if target.log_format == "JSON"
        else text_events(target, sandbox)
    )
    # A stable sort keeps START before the app lines and END before REPORT at equal times.
    ordered = sorted((epoch_ms(at), n, text) for n, (at, text) in enumerate(events))
    return [(ms, text) for ms, _, text in ordered]


def _batches(events: Sequence[tuple[int, str]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    size = 0
    for ms, text in events:
        cost = len(text.encode()) + EVENT_OVERHEAD
        full = len(batch) >= MAX_BATCH_EVENTS or size + cost > MAX_BATCH_BYTES
        if batch and (full or ms - batch[0]["timestamp"] > MAX_BATCH_SPAN_MS):
            yield batch
            batch, size = [], 0
        batch.append({"timestamp": ms, "message": text})
        size += cost
    if batch:
        yield batch


def write_invocation_logs(
    logs: Any, target: LogTarget, sandboxes: Sequence[Sandbox], *, create_group: bool = True
) -> WrittenLogs:
    """Write the sandboxes' streams with `logs:CreateLogStream` and `logs:PutLogEvents`.

    `logs` is a boto3 CloudWatch Logs client in the function's region. The group is created
    when missing (`create_group`); a rejected event raises `LogWriteError`, never passes quietly.
    """
    if create_group:
        _ensure_group(logs, target.group)
    streams: list[str] = []
    total = reports = 0
    for sandbox in sandboxes:
        name = stream_name(target, sandbox)
        logs.create_log_stream(logGroupName=target.group, logStreamName=name)
        events = render_sandbox(target, sandbox)
        for batch in _batches(events):
            answer = logs.put_log_events(
                logGroupName=target.group, logStreamName=name, logEvents=batch
            )
            if answer.get("rejectedLogEventsInfo"):
                raise LogWriteError(f"{target.group}/{name}: {answer['rejectedLogEventsInfo']}")
        streams.append(name)
        total += len(events)
        reports += sum(1 for _, text in events if text.startswith("REPORT "))
    return WrittenLogs(target.group, tuple(streams), total, reports)


def _ensure_group(logs: Any, group: str) -> None:
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)


__all__ = [
    "Invocation",
    "LogTarget",
    "LogWriteError",
    "Outcome",
    "Sandbox",
    "WrittenLogs",
    "error_line",
    "render_sandbox",
    "report_line",
    "request_id",
    "stream_name",
    "write_invocation_logs",
]
