"""Lambda's JSON log format (LoggingConfig `LogFormat: JSON`): platform events and JSON app lines.

System events are `{"time", "type", "record"}` objects (`platform.initStart`,
`platform.extension`, `platform.start`, `platform.report` with `metrics` and `status`);
application lines are `{"timestamp", "level", "requestId", "message"}` objects.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from lambda_ir.emulator.scenarios.invocations import (
    Invocation,
    LogTarget,
    Outcome,
    Sandbox,
    iso_ms,
    runtime_version,
)

STATUS = {Outcome.OK: "success", Outcome.TIMEOUT: "timeout", Outcome.ERROR: "error"}


def _event(at: datetime, kind: str, record: dict[str, Any]) -> tuple[datetime, str]:
    return at, json.dumps({"time": iso_ms(at), "type": kind, "record": record})


def _init(target: LogTarget, sandbox: Sandbox) -> Iterator[tuple[datetime, str]]:
    arn_id = uuid.uuid5(uuid.NAMESPACE_URL, target.runtime).hex * 2
    yield _event(
        sandbox.started,
        "platform.initStart",
        {
            "initializationType": "on-demand",
            "phase": "init",
            "runtimeVersion": runtime_version(target.runtime),
            "runtimeVersionArn": f"arn:aws:lambda:{target.region}::runtime:{arn_id}",
            "functionName": target.function_name,
            "functionVersion": target.version,
        },
    )
    for offset, extension in enumerate(target.extensions, start=1):
        at = sandbox.started + timedelta(milliseconds=sandbox.init_ms * offset / 4)
        record = {"name": extension, "state": "Ready", "events": ["INVOKE", "SHUTDOWN"]}
        yield _event(at, "platform.extension", record)


def _app(at: datetime, rid: str, level: str, message: object) -> tuple[datetime, str]:
    line = {"timestamp": iso_ms(at), "level": level, "requestId": rid, "message": message}
    return at, json.dumps(line)


def _report(target: LogTarget, invocation: Invocation, init_ms: float | None) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "durationMs": invocation.duration_ms,
        "billedDurationMs": math.ceil(invocation.duration_ms + (init_ms or 0.0)),
        "memorySizeMB": target.memory_mb,
        "maxMemoryUsedMB": invocation.max_memory_mb,
    }
    if init_ms is not None:
        metrics["initDurationMs"] = init_ms
    record: dict[str, Any] = {
        "requestId": invocation.request_id,
        "metrics": metrics,
        "status": STATUS[invocation.outcome],
    }
    if invocation.outcome is Outcome.TIMEOUT:
        record["errorType"] = "Sandbox.Timedout"
    return record


def _invocation(
    target: LogTarget, invocation: Invocation, init_ms: float | None
) -> Iterator[tuple[datetime, str]]:
    rid = invocation.request_id
    start, end = invocation.start, invocation.start + timedelta(milliseconds=invocation.duration_ms)
    yield _event(start, "platform.start", {"requestId": rid, "version": target.version})
    step = invocation.duration_ms / (len(invocation.lines) + 1)
    for index, message in enumerate(invocation.lines, start=1):
        yield _app(start + timedelta(milliseconds=step * index), rid, "INFO", message)
    if invocation.error:
        kind, _, text = invocation.error.partition(": ")
        error = {"errorType": kind, "errorMessage": text, "requestId": rid, "stackTrace": []}
        yield _app(end, rid, "ERROR", error)
    yield _event(end, "platform.report", _report(target, invocation, init_ms))


def json_events(target: LogTarget, sandbox: Sandbox) -> list[tuple[datetime, str]]:
    """Every event of one sandbox in Lambda's JSON format, as `(time, message)`."""
    events = list(_init(target, sandbox))
    for index, invocation in enumerate(sandbox.invocations):
        init = sandbox.init_ms if index == 0 else None
        events.extend(_invocation(target, invocation, init))
    return events
