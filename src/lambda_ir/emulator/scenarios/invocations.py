"""Invocations, sandboxes and whose logs they are: the values both log formats render."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
    """Whose logs: the function, the version that ran, and the settings `REPORT` echoes.

    `log_format` is the function's LoggingConfig format: `Text` or `JSON`.
    """

    function_name: str
    runtime: str
    memory_mb: int
    timeout_s: int
    region: str
    version: str = "$LATEST"
    log_group: str | None = None
    extensions: tuple[str, ...] = ()
    log_format: str = "Text"

    @property
    def group(self) -> str:
        """The log group Lambda writes to (`/aws/lambda/<function>` unless configured)."""
        return self.log_group or f"/aws/lambda/{self.function_name}"


def request_id(rng: random.Random) -> str:
    """A Lambda request id (a UUID), reproducible from the scenario's random source."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, as CloudWatch Logs timestamps events."""
    return int(moment.timestamp() * 1000)


def iso_ms(moment: datetime) -> str:
    """`2026-11-20T10:00:00.123Z`, the runtimes' timestamp format."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def runtime_version(runtime: str) -> str:
    """A plausible runtime version string (`python:3.12.v36`) for `INIT_START`."""
    family = runtime.rstrip(".x").replace("nodejs", "nodejs:").replace("python", "python:")
    if runtime.startswith("provided"):
        family = "provided:" + runtime.removeprefix("provided.")
    return f"{family}.v{sum(map(ord, runtime)) % 40 + 20}"
