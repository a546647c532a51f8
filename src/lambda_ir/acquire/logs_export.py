"""Collect a function's CloudWatch Logs through an export task (`--log-export-bucket`).

`logs:CreateExportTask` is the one call here that creates something, and only in the
responder's own bucket. Each object the task writes is kept as received
(`logs/<acct>/<region>/<group>/export/<object>`, kind `other`), then read back into
FilterLogEvents' shape (`<object>.jsonl.gz`, kind `logs`, what the index reads); both api
`s3:GetObject`.

An export is `<time> <message>` lines, a message's own line breaks written as they are
(AWS's S3Export guide sorts exports by taking each line that starts with a digit for an
event). So a line starts an event when it starts with a time the export can hold: ISO 8601
UTC, a real date, inside the task's window; any other line continues the message before it.
A message line that starts with such a time cannot be told from a new event, and becomes
one: the object as received is the evidence, its events a reading of it.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import orjson

from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import record_failure, store
from lambda_ir.acquire.logs import (
    API,
    claim_group,
    count_artifact,
    log_group_of,
    parse_s3_url,
    record_log_failure,
    waits_for_versions,
    window_ms,
)
from lambda_ir.acquire.steps import FunctionTarget, Step
from lambda_ir.acquire.window import window_segment
from lambda_ir.aws import CallError, ErrorClass, QuotaClass, classify, pages
from lambda_ir.evidence.layout import path_segment
from lambda_ir.evidence.trail import gzip_lines
from lambda_ir.evidence.trail_read import open_stream
from lambda_ir.model import Kind

EXPORT_API = "logs:CreateExportTask"
_EXPORT_LINE = re.compile(rb"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) (.*)$", re.S)
MAX_EXPORT_OBJECT = 256 << 20


@dataclass(frozen=True)
class LogExport:
    """Where `logs:CreateExportTask` writes (`s3://bucket/prefix`) and how long to wait."""

    bucket: str
    prefix: str = ""
    timeout_s: float = 900.0
    poll_s: float = 2.0

    @classmethod
    def parse(cls, url: str) -> LogExport:
        """`s3://bucket/prefix` (prefix optional)."""
        return cls(*parse_s3_url(url))


@dataclass(frozen=True)
class ExportObject:
    """One object an export task wrote, and the window (epoch ms) the task exported."""

    bucket: str
    key: str
    destination: str
    group: str
    window: tuple[int, int]

    @property
    def name(self) -> str:
        """`<task id>/<stream name>/000000.gz`, under the task's destination prefix."""
        return self.key[len(self.destination) + 1 :]

    @property
    def stream(self) -> str:
        return self.name.split("/", 1)[-1].rsplit("/", 1)[0]


def log_export_step(export: LogExport) -> Step[FunctionTarget]:
    """The per-function step that replaces `collect_logs` when `--log-export-bucket` is given."""
    one_at_a_time = threading.Lock()  # AWS runs one export task per account at a time
    run = partial(collect_logs_export, export=export, lock=one_at_a_time)
    return Step("logs-export", QuotaClass.UNMETERED, run)


def collect_logs_export(
    ctx: CollectContext, fn: FunctionTarget, *, export: LogExport, lock: threading.Lock
) -> None:
    """Export the function's log group over the window to S3, then read the export back."""
    group = log_group_of(fn)
    if waits_for_versions(fn):
        return
    window = window_ms(ctx)
    exported = (window.get("startTime", 0), window.get("endTime", int(time.time() * 1000)))
    # a version's own group beside the function's, never under it (listed by prefix below)
    own = f".{path_segment(group)}" if fn.log_group else ""
    destination = f"{export.prefix}lambda-ir/{ctx.case.id}/{path_segment(fn.name)}{own}"
    params = {
        "logGroupName": group,
        "fromTime": exported[0],
        "to": exported[1],
        "destination": export.bucket,
        "destinationPrefix": destination,
    }
    # The export as a call a later run of the case finds done: the group, the window as
    # asked (an open end is each run's own "now", as FilterLogEvents' resume has it) and the
    # case's folder of the bucket, not the function's (a group several functions log to is
    # claimed by whichever reaches it first, in any run).
    call = {
        "logGroupName": group,
        **window,
        "destination": export.bucket,
        "destinationPrefix": f"{export.prefix}lambda-ir/{ctx.case.id}",
    }
    if _exported(ctx, fn, call) or not claim_group(ctx, fn, group):
        return
    logs = ctx.client("logs", fn.region)
    with lock:
        try:
            task = str(logs.create_export_task(taskName=f"lambda-ir-{fn.name}", **params)["taskId"])
            status = _wait_for_export(logs, task, export)
        except Exception as exc:  # a missing group is a gap; anything else is recorded
            record_log_failure(ctx, fn, call, exc, [])
            return
    ctx.case.log("log-export-task", {"taskId": task, "status": status, **params})
    if status != "COMPLETED":
        error = CallError(ErrorClass.ERROR, "ExportTask" + status.title(), f"task {task}")
        record_failure(ctx, Kind.LOGS, EXPORT_API, params, fn.region, error)
        return
    s3 = ctx.client("s3", fn.region)
    listing = {"Bucket": export.bucket, "Prefix": destination + "/"}
    kept: list[str] = []
    whole = True
    for page in pages(s3, "ListObjectsV2", listing):
        for item in page.get("Contents") or []:
            if str(item["Key"]).endswith(".gz"):
                found = ExportObject(export.bucket, str(item["Key"]), destination, group, exported)
                whole = _store_export_object(ctx, s3, fn, found) and whole
                kept.append(found.key)
    if whole:  # every object kept and read: a later run of the case does not export again
        task_done = {"taskId": task, "status": status, "objects": kept}
        window_name = window_segment(ctx.scope.since, ctx.scope.until)
        path = f"{_folder(ctx, fn, group)}/task-{window_name}.json"
        store(ctx, path, task_done, kind=Kind.OTHER, api=EXPORT_API, params=call, region=fn.region)


def _folder(ctx: CollectContext, fn: FunctionTarget, group: str) -> str:
    """Where a log group's export objects, their events and its task's record are kept."""
    place = f"{path_segment(ctx.account)}/{path_segment(fn.region)}"
    return f"logs/{place}/{path_segment(group)}/export"


def _exported(ctx: CollectContext, fn: FunctionTarget, params: dict[str, Any]) -> bool:
    """Whether an earlier run of the case exported this group over this window and kept
    every object (its task's record, kind `other`), or found the group missing (a gap): a
    rerun made a new export task (one at a time per account, minutes each) and read every
    object of the function's prefix again."""
    done = ctx.resume.find(Kind.OTHER, EXPORT_API, params, ctx.account, fn.region)
    missing = ctx.resume.find(Kind.GAP, API, params, ctx.account, fn.region)
    return done is not None or missing is not None


def _wait_for_export(logs: Any, task: str, export: LogExport) -> str:
    deadline = time.monotonic() + export.timeout_s
    while True:
        found = logs.describe_export_tasks(taskId=task).get("exportTasks") or [{}]
        status = str((found[0].get("status") or {}).get("code", "UNKNOWN"))
        if status not in ("PENDING", "RUNNING", "PENDING_CANCEL") or time.monotonic() > deadline:
            return status
        time.sleep(export.poll_s)


def _store_export_object(
    ctx: CollectContext, s3: Any, fn: FunctionTarget, obj: ExportObject
) -> bool:
    """Keep one export object as received, then its events, as FilterLogEvents gives them;
    whether it was kept and read whole (a failure is recorded, and a later run tries again).

    The object is stored before it is read: what it holds (a time no calendar has, a
    message that looks like an event) can cost its reading, never the evidence, and never
    the function's other objects.
    """
    params = {"Bucket": obj.bucket, "Key": obj.key, "logGroupName": obj.group}
    try:
        body = s3.get_object(Bucket=obj.bucket, Key=obj.key)["Body"].read(MAX_EXPORT_OBJECT + 1)
    except Exception as exc:
        record_failure(ctx, Kind.LOGS, "s3:GetObject", params, fn.region, classify(exc))
        return False
    if len(body) > MAX_EXPORT_OBJECT:  # kept whole or not at all
        error = CallError(ErrorClass.SKIPPED, "TooLarge", f"over {MAX_EXPORT_OBJECT} bytes")
        record_failure(ctx, Kind.LOGS, "s3:GetObject", params, fn.region, error)
        return True  # as large again next time: recorded, not fetched again
    _put(ctx, fn, obj, [body], Kind.OTHER, params, {})
    try:
        text, whole = export_text(body)
    except Exception as exc:  # a damaged object: kept above, its events not read
        record_failure(ctx, Kind.LOGS, "s3:GetObject", params, fn.region, classify(exc))
        return True
    if not whole:  # kept as received above; its events past the bound are not read
        said = f"inflates past {MAX_EXPORT_OBJECT} bytes: its events past them not read"
        error = CallError(ErrorClass.SKIPPED, "TooLarge", said)
        record_failure(ctx, Kind.LOGS, "s3:GetObject", params, fn.region, error)
    lines = list(export_events(text, obj.stream, obj.window))
    if lines:
        _put(ctx, fn, obj, gzip_lines(iter(lines)), Kind.LOGS, params, {"lines": len(lines)})
    return True


def export_text(body: bytes, limit: int = MAX_EXPORT_OBJECT) -> tuple[bytes, bool]:
    """An export object's text (gzip or plain), at most `limit` bytes of it (no gzip bomb),
    and whether that is all of it: one byte more is read to tell."""
    text = open_stream(io.BytesIO(body)).read(limit + 1)
    return text[:limit], len(text) <= limit


def _put(
    ctx: CollectContext,
    fn: FunctionTarget,
    obj: ExportObject,
    chunks: Iterable[bytes],
    kind: Kind,
    params: dict[str, Any],
    meta: dict[str, Any],
) -> None:
    """The object as received (kind `other`, its own name) or its events (kind `logs`,
    `.jsonl.gz` added: the index reads those), under the group's `export/` folder."""
    name = path_segment(obj.name) + (".jsonl.gz" if kind is Kind.LOGS else "")
    ctx.case.put_stream(
        chunks,
        f"{_folder(ctx, fn, obj.group)}/{name}",
        kind=kind,
        api="s3:GetObject",
        params=params,
        account=ctx.account,
        region=fn.region,
        meta={"function_name": fn.name, **meta},
    )
    count_artifact(ctx, kind)


def export_events(
    text: bytes, stream_name: str, window: tuple[int, int] | None = None
) -> Iterator[bytes]:
    """Export lines back into FilterLogEvents' event shape (timestamp in ms, message).

    A line starts an event when `_event_start` finds one; any other line continues the
    message before it (a traceback; a line starting `2026-02-30T00:00:00.000Z`, which
    raised ValueError and lost the function's other objects). Lines before the first
    event belong to none and are left out (AWS starts every object with an event).
    """
    current: tuple[int, list[bytes]] | None = None  # the event's time and its lines
    for line in text.split(b"\n"):
        start = _event_start(line, window)
        if start is None:
            if current is not None:  # a multi-line message continues
                current[1].append(line)
            continue
        if current is not None:
            yield _event_line(current, stream_name)
        current = (start[0], [start[1]])
    if current is not None:
        yield _event_line(current, stream_name)


def _event_line(event: tuple[int, list[bytes]], stream_name: str) -> bytes:
    """One event as a FilterLogEvents JSON line; its lines joined once (a message grown line
    by line was copied whole at each line: a 256 KB message of newlines took a second)."""
    timestamp, lines = event
    message = b"\n".join(lines).decode("utf-8", "replace")
    return (
        orjson.dumps({"timestamp": timestamp, "message": message, "logStreamName": stream_name})
        + b"\n"
    )


def _event_start(line: bytes, window: tuple[int, int] | None) -> tuple[int, bytes] | None:
    """(epoch ms, message) when `line` starts with a time an export line can have: ISO 8601
    UTC, a real date, within `window` (a task exports no event outside its window)."""
    match = _EXPORT_LINE.match(line)
    if match is None:
        return None
    try:
        moment = datetime.fromisoformat(match.group(1).decode().replace("Z", "+00:00"))
    except ValueError:  # 30 February, hour 25, year 0: no time, so part of a message
        return None
    timestamp = round(moment.timestamp() * 1000)
    if window is not None and not window[0] <= timestamp <= window[1]:
        return None
    return timestamp, match.group(2)
