"""Invocation logs as Lambda writes them to CloudWatch Logs: one stream per execution environment.

Lines follow Lambda's text format: `INIT_START`, `EXTENSION`, `START`, application lines in the
runtime's logging format, `Task timed out after …`, `END`, and the tab-separated `REPORT` line
(`Duration`, `Billed Duration`, `Memory Size`, `Max Memory Used`, `Init Duration` on a cold
start, `Status: timeout|error`). Streams are named like AWS (`2026/11/20/[$LATEST]<32 hex>`).
Events go through `logs:PutLogEvents` in timestamp order; CloudWatch (and the emulator) rejects
events older than 14 days, so scenarios keep logged activity inside that window.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

# PutLogEvents limits: 10,000 events, 1 MiB (26 bytes overhead per event), 24 hours per batch.
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000


class LogWriteError(Exception):
    """CloudWatch Logs did not accept every event a scenario wrote."""


class Outcome(StrEnum):
    """How an invocation ended, as its `REPORT` line says."""

    OK = "ok"
    TIMEOUT = "timeout"
    ERROR = "error"


@dataclass(frozen=True)
class Invocation:
    """One request handled by a sandbox; `lines` are the application's messages.

    A `{time}` in a line becomes the line's own time as `[YYYY-MM-DD HH:MM:SS.mmm]`, the
    stamp tools such as XMRig print on their own.
    """

    request_id: str
    start: datetime
    duration_ms: float
    max_memory_mb: int
    outcome: Outcome = Outcome.OK
    lines: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Sandbox:
    """One execution environment: a log stream, a cold start, then the invocations it served."""

    started: datetime
    init_ms: float
    stream_id: str
    invocations: tuple[Invocation, ...]
    init_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogTarget:
    """Whose logs: the function, the version that ran, and the settings `REPORT` echoes."""

    function_name: str
    runtime: str
    memory_mb: int
    timeout_s: int
    region: str
    version: str = "$LATEST"
    log_group: str | None = None
    extensions: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        """The log group Lambda writes to (`/aws/lambda/<function>` unless configured)."""
        return self.log_group or f"/aws/lambda/{self.function_name}"


@dataclass(frozen=True)
class WrittenLogs:
    """What `write_invocation_logs` put into CloudWatch Logs."""

    log_group: str
    streams: tuple[str, ...]
    events: int
    reports: int


def request_id(rng: random.Random) -> str:
    """A Lambda request id (a UUID), reproducible from the scenario's random source."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def stream_name(target: LogTarget, sandbox: Sandbox) -> str:
    """`YYYY/MM/DD/[<version>]<32 hex>`, dated by the sandbox's start (UTC)."""
    return f"{sandbox.started:%Y/%m/%d}/[{target.version}]{sandbox.stream_id}"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _runtime_version(runtime: str) -> str:
    family = runtime.rstrip(".x").replace("nodejs", "nodejs:").replace("python", "python:")
    if runtime.startswith("provided"):
        family = "provided:" + runtime.removeprefix("provided.")
    return f"{family}.v{sum(map(ord, runtime)) % 40 + 20}"


def _init_lines(target: LogTarget, sandbox: Sandbox) -> Iterator[tuple[datetime, str]]:
    arn_id = uuid.uuid5(uuid.NAMESPACE_URL, target.runtime).hex * 2
    yield (
        sandbox.started,
        f"INIT_START Runtime Version: {_runtime_version(target.runtime)}\t"
        f"Runtime Version ARN: arn:aws:lambda:{target.region}::runtime:{arn_id}",
    )
    for offset, extension in enumerate(target.extensions, start=1):
        at = sandbox.started + timedelta(milliseconds=sandbox.init_ms * offset / 4)
        yield at, f"EXTENSION\tName: {extension}\tState: Ready\tEvents: [INVOKE,SHUTDOWN]"
    for line in sandbox.init_lines:
        yield sandbox.started + timedelta(milliseconds=sandbox.init_ms / 2), line


def _app_line(target: LogTarget, at: datetime, rid: str, message: str) -> str:
    if "{time}" in message:
        message = message.replace(
            "{time}", f"[{at:%Y-%m-%d %H:%M:%S}.{at.microsecond // 1000:03d}]"
        )
    if target.runtime.startswith("python"):
        return f"[INFO]\t{_iso(at)}\t{rid}\t{message}"
    if target.runtime.startswith("nodejs"):
        return f"{_iso(at)}\t{rid}\tINFO\t{message}"
    return message  # custom runtimes write raw stdout


def error_line(target: LogTarget, at: datetime, rid: str, error: str) -> str:
    """An unhandled error as the runtime logs it; `error` reads `Type: message`."""
    kind, _, message = error.partition(": ")
    if target.runtime.startswith("python"):
        return (
            f"[ERROR] {error}\nTraceback (most recent call last):\n"
            f'  File "/var/task/app.py", line 18, in handler\n    raise {kind}({message!r})'
        )
    if target.runtime.startswith("nodejs"):
        body = json.dumps(
            {
                "errorType": kind,
                "errorMessage": message,
                "stack": [f"{kind}: {message}", "    at Runtime.handler (/var/task/app.js:5:11)"],
            }
        )
        return f"{_iso(at)}\t{rid}\tERROR\tInvoke Error \t{body}"
    return error


def report_line(target: LogTarget, invocation: Invocation, init_ms: float | None) -> str:
    """Lambda's tab-separated `REPORT` line for one invocation."""
    billed = math.ceil(invocation.duration_ms + (init_ms or 0.0))
    parts = [
        f"REPORT RequestId: {invocation.request_id}",
        f"Duration: {invocation.duration_ms:.2f} ms",
        f"Billed Duration: {billed} ms",
        f"Memory Size: {target.memory_mb} MB",
        f"Max Memory Used: {invocation.max_memory_mb} MB",
    ]
    if init_ms is not None:
        parts.append(f"Init Duration: {init_ms:.2f} ms")
    if invocation.outcome is not Outcome.OK:
        parts.append(f"Status: {invocation.outcome.value}")
    return "\t".join(parts) + "\t"


def _invocation_lines(
    target: LogTarget, invocation: Invocation, init_ms: float | None
) -> Iterator[tuple[datetime, str]]:
    rid = invocation.request_id
    start, end = invocation.start, invocation.start + timedelta(milliseconds=invocation.duration_ms)
    yield start, f"START RequestId: {rid} Version: {target.version}"
    step = invocation.duration_ms / (len(invocation.lines) + 1)
    for index, message in enumerate(invocation.lines, start=1):
        at = start + timedelta(milliseconds=step * index)
        yield at, _app_line(target, at, rid, message)
    if invocation.error:
        yield end, error_line(target, end, rid, invocation.error)
    if invocation.outcome is Outcome.TIMEOUT:
        yield end, f"{_iso(end)} {rid} Task timed out after {target.timeout_s:.2f} seconds"
    yield end, f"END RequestId: {rid}"
    yield end, report_line(target, invocation, init_ms)


def render_sandbox(target: LogTarget, sandbox: Sandbox) -> list[tuple[int, str]]:
    """Every log event of one sandbox as `(timestamp ms, message)`, in time order."""
    events = list(_init_lines(target, sandbox))
    for index, invocation in enumerate(sandbox.invocations):
        init = sandbox.init_ms if index == 0 else None
        events.extend(_invocation_lines(target, invocation, init))
    # A stable sort keeps START before the app lines and END before REPORT at equal times.
    ordered = sorted(((_ms(at), n, text) for n, (at, text) in enumerate(events)))
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
