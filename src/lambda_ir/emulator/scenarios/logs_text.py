"""Lambda's text log format: `INIT_START`, `EXTENSION`, `START`, the runtime's own lines,
`Task timed out after …`, `END`, and the tab-separated `REPORT` line."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from lambda_ir.emulator.scenarios.invocations import (
    Invocation,
    LogTarget,
    Outcome,
    Sandbox,
    iso_ms,
    runtime_version,
)


def _init_lines(target: LogTarget, sandbox: Sandbox) -> Iterator[tuple[datetime, str]]:
    arn_id = uuid.uuid5(uuid.NAMESPACE_URL, target.runtime).hex * 2
    yield (
        sandbox.started,
        f"INIT_START Runtime Version: {runtime_version(target.runtime)}\t"
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
        return f"[INFO]\t{iso_ms(at)}\t{rid}\t{message}"
    if target.runtime.startswith("nodejs"):
        return f"{iso_ms(at)}\t{rid}\tINFO\t{message}"
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
        return f"{iso_ms(at)}\t{rid}\tERROR\tInvoke Error \t{body}"
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
        yield end, f"{iso_ms(end)} {rid} Task timed out after {target.timeout_s:.2f} seconds"
    yield end, f"END RequestId: {rid}"
    yield end, report_line(target, invocation, init_ms)


def text_events(target: LogTarget, sandbox: Sandbox) -> list[tuple[datetime, str]]:
    """Every line of one sandbox in Lambda's text format, as `(time, message)`."""
    events = list(_init_lines(target, sandbox))
    for index, invocation in enumerate(sandbox.invocations):
        init = sandbox.init_ms if index == 0 else None
        events.extend(_invocation_lines(target, invocation, init))
    return events
