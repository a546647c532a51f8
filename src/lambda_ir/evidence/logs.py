"""Lambda's own log lines: the platform `REPORT` line and request ids, parsed.

`REPORT RequestId: … Duration: 12.3 ms Billed Duration: 13 ms Memory Size: 128 MB Max
Memory Used: 70 MB Init Duration: 150.5 ms [Status: timeout]` is the one line Lambda writes
per invocation; it says how long a request ran, whether it was a cold start and whether it
timed out. The same patterns are used by the index (as DuckDB regexes) and here in Python,
so both read a line the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# Runtime log formats put the request id after "RequestId: " (START/END/REPORT), as a
# tab- or space-separated field (Python `[INFO]\t<time>\t<id>\t…`, Node `<time>\t<id>\t…`),
# or, with LoggingConfig `LogFormat: JSON`, in a `"requestId"` member.
REQUEST_ID = rf"(?:RequestId:\s*|\"requestId\"\s*:\s*\"|[\t ])({UUID})"

REPORT_PREFIX = "REPORT RequestId:"
REPORT_FIELDS: tuple[tuple[str, str], ...] = (
    ("request_id", r"RequestId:\s*(\S+)"),
    ("duration_ms", r"RequestId:\s*\S+\s+Duration:\s*([0-9.]+)"),
    ("billed_ms", r"Billed Duration:\s*([0-9.]+)"),
    ("memory_mb", r"Memory Size:\s*([0-9]+)"),
    ("max_memory_mb", r"Max Memory Used:\s*([0-9]+)"),
    ("init_ms", r"Init Duration:\s*([0-9.]+)"),
    ("status", r"Status:\s*([A-Za-z]+)"),
)
# JSON log format: the platform's REPORT is a `platform.report` event whose record holds
# `requestId`, `metrics` (durationMs, billedDurationMs, memorySizeMB, maxMemoryUsedMB,
# initDurationMs) and `status`.
JSON_REPORT_TYPE = "platform.report"
JSON_REPORT_FIELDS: tuple[tuple[str, str], ...] = (
    ("request_id", "$.record.requestId"),
    ("duration_ms", "$.record.metrics.durationMs"),
    ("billed_ms", "$.record.metrics.billedDurationMs"),
    ("memory_mb", "$.record.metrics.memorySizeMB"),
    ("max_memory_mb", "$.record.metrics.maxMemoryUsedMB"),
    ("init_ms", "$.record.metrics.initDurationMs"),
    ("status", "$.record.status"),
)
TIMEOUT = r"Task timed out after"
# An error line, as each runtime and log format marks one: the level where the format puts
# it, never the word in the text (`INFO\tno error found` is no error). Python's text format
# opens with `[ERROR]` (`[CRITICAL]` for logging.critical); Node.js's is
# `<time>\t<request id>\tERROR\t<message>` (console.error; the request id is `undefined`
# during init); JSON logs (LoggingConfig `LogFormat: JSON`, Powertools) carry a `"level"`
# member, upper or lower case. The runtime's own failures say `Runtime.…Error`, an
# `"errorType"` or `Process exited before completing`. One regex that RE2 (the index, the
# timeline, the report) and Python's `re` read alike (no `\s`: Python's matches more than RE2's).
ERROR = "|".join(
    (
        r"\[(?:ERROR|CRITICAL)\]",
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^\t]*\t[^\t]*\t(?:ERROR|FATAL)(?:[\t ]|$)",
        r"\"level\"[ \t]*:[ \t]*\"(?i:error|fatal|critical)\"",
        r"Runtime\.[A-Za-z]+Error",
        r"\"errorType\"",
        r"Process exited before completing",
    )
)


@dataclass(frozen=True)
class ReportLine:
    """The numbers of one invocation from its REPORT line (durations in ms, memory in MB)."""

    request_id: str
    duration_ms: float | None
    billed_ms: float | None
    memory_mb: int | None
    max_memory_mb: int | None
    init_ms: float | None
    status: str | None

    @property
    def cold_start(self) -> bool:
        """An `Init Duration` appears only on the first request of a new execution environment."""
        return self.init_ms is not None


def parse_report(message: str) -> ReportLine | None:
    """Parse a REPORT line (text or JSON log format); any other line gives None."""
    if message.lstrip().startswith("{") and JSON_REPORT_TYPE in message:
        return _parse_json_report(message)
    if not message.lstrip().startswith(REPORT_PREFIX):
        return None
    found = {}
    for name, pattern in REPORT_FIELDS:
        match = re.search(pattern, message)
        found[name] = match.group(1) if match else None
    return ReportLine(
        request_id=found["request_id"] or "",
        duration_ms=_number(found["duration_ms"]),
        billed_ms=_number(found["billed_ms"]),
        memory_mb=_integer(found["memory_mb"]),
        max_memory_mb=_integer(found["max_memory_mb"]),
        init_ms=_number(found["init_ms"]),
        status=found["status"].lower() if found["status"] else None,
    )


def _parse_json_report(message: str) -> ReportLine | None:
    try:
        event = orjson.loads(message)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(event, dict) or event.get("type") != JSON_REPORT_TYPE:
        return None
    record = _member(event, "record")
    metrics = _member(record, "metrics")
    status = record.get("status")
    return ReportLine(
        request_id=str(record.get("requestId") or ""),
        duration_ms=_number(metrics.get("durationMs")),
        billed_ms=_number(metrics.get("billedDurationMs")),
        memory_mb=_integer(metrics.get("memorySizeMB")),
        max_memory_mb=_integer(metrics.get("maxMemoryUsedMB")),
        init_ms=_number(metrics.get("initDurationMs")),
        status=str(status).lower() if status else None,
    )


def _member(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def request_id_of(message: str) -> str | None:
    """The request id a log line belongs to, when the runtime's format shows it."""
    match = re.search(REQUEST_ID, message)
    return match.group(1) if match else None


def version_of_stream(log_stream: str) -> str | None:
    """`2024/05/01/[$LATEST]abc…` → `$LATEST`; `…/[3]abc…` → `3`."""
    match = re.search(r"\[([^\]]+)\]", log_stream)
    return match.group(1) if match else None


def _number(value: object) -> float | None:
    try:
        return None if value is None or value == "" else float(str(value))
    except ValueError:
        return None


def _integer(value: object) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def configured_group(name: str, config: dict[str, Any]) -> str:
    """The log group one version's configuration sends its logs to: its `LoggingConfig`'s,
    else Lambda's default `/aws/lambda/<name>`."""
    logging = config.get("LoggingConfig")
    group = logging.get("LogGroup") if isinstance(logging, dict) else None
    return str(group or f"/aws/lambda/{name}")
