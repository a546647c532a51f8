"""Collect a function's own CloudWatch Logs: every event in the window, streamed to the case.

The log group is the one the function's `LoggingConfig` names, else `/aws/lambda/<name>`.
`logs:FilterLogEvents` over the whole group returns the events of every stream in the
window; pages are streamed straight into `logs/<acct>/<region>/<group>/events-<window>.jsonl.gz`
(one raw event per line, never held in memory). REPORT lines are parsed by the index
(`report_lines`); the artifact's `meta` counts events, REPORT lines and timeouts. A missing
or deleted log group is an evidence gap (kind `gap`), not an error.

With `--log-export-bucket s3://bucket/prefix` (`log_export_step`), a group is exported with
`logs:CreateExportTask` instead — the one call here that creates something, and only in
the responder's own bucket — and the export's objects are read back into the same shape
(`logs/<acct>/<region>/<group>/export/<object>.jsonl.gz`, api `s3:GetObject`).
"""

from __future__ import annotations

import io
import itertools
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson

from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import record_failure, store
from lambda_ir.acquire.steps import FunctionTarget, Step
from lambda_ir.acquire.window import window_segment
from lambda_ir.aws import CallError, ErrorClass, QuotaClass, classify, pages
from lambda_ir.evidence import logs as log_lines
from lambda_ir.evidence.layout import path_segment
from lambda_ir.evidence.trail import gzip_lines
from lambda_ir.evidence.trail_read import open_stream
from lambda_ir.model import Kind

API = "logs:FilterLogEvents"


@dataclass
class PageStream:
    """Lines from a paged listing; a failure mid-way ends the stream and is kept in `error`."""

    source: Iterator[dict[str, Any]]
    to_lines: Callable[[dict[str, Any], dict[str, int]], Iterator[bytes]]
    error: BaseException | None = None
    pages: int = 0
    lines: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def __iter__(self) -> Iterator[bytes]:
        try:
            for page in self.source:
                self.pages += 1
                for line in self.to_lines(page, self.counts):
                    self.lines += 1
                    yield line
        except Exception as exc:  # the pages before it are evidence too: keep them
            self.error = exc


def store_listing(
    ctx: CollectContext,
    stream: PageStream,
    *,
    kind: str,
    api: str,
    params: dict[str, Any],
    path: str,
    region: str,
    meta: Callable[[PageStream], dict[str, Any]],
) -> bool:
    """Stream a listing into one gzip JSON-lines artifact; False when nothing was stored.

    A listing that answered with no events is stored too (an empty artifact): "we looked
    and there was nothing" is evidence, and a resumed run does not ask again. A listing
    whose first page failed stores nothing; the caller records the failure.
    """
    lines = iter(stream)
    first = next(lines, None)
    if first is not None or stream.error is None:
        head = () if first is None else (first,)
        # put_stream reads every chunk before it writes the manifest line, so the counts
        # filled in at the end of the stream are the final ones.
        facts: dict[str, Any] = {}
        ctx.case.put_stream(
            gzip_lines(_then(itertools.chain(head, lines), facts, stream, meta)),
            path,
            kind=kind,
            api=api,
            params=params,
            account=ctx.account,
            region=region,
            meta=facts,
        )
        count_artifact(ctx, kind)
        return True
    return False


def count_artifact(ctx: CollectContext, kind: str) -> None:
    """Count one stored artifact in the run's summary (keys as plain str, for JSON)."""
    with ctx.tally.lock:
        ctx.tally.artifacts += 1
        ctx.tally.by_kind[str(kind)] += 1


def _then(
    lines: Iterator[bytes],
    facts: dict[str, Any],
    stream: PageStream,
    meta: Callable[[PageStream], dict[str, Any]],
) -> Iterator[bytes]:
    yield from lines
    facts.update(pages=stream.pages, lines=stream.lines, complete=stream.error is None)
    facts.update(meta(stream))


def log_group_of(fn: FunctionTarget) -> str:
    """The log group a function writes to: `LoggingConfig.LogGroup`, else the default."""
    logging = fn.listed.get("LoggingConfig") or {}
    return str(logging.get("LogGroup") or f"/aws/lambda/{fn.name}")


def window_ms(ctx: CollectContext) -> dict[str, int]:
    """`startTime`/`endTime` in epoch milliseconds from the scope's --since/--until."""
    out = {}
    for key, value in (("startTime", ctx.scope.since), ("endTime", ctx.scope.until)):
        if value:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            out[key] = round(moment.timestamp() * 1000)
    return out


def _window_segment(ctx: CollectContext) -> str:
    return window_segment(ctx.scope.since, ctx.scope.until)


def collect_logs(ctx: CollectContext, fn: FunctionTarget) -> None:
    """logs:FilterLogEvents on the function's log group over the window, streamed to the case."""
    group = log_group_of(fn)
    params: dict[str, Any] = {"logGroupName": group, **window_ms(ctx)}
    if ctx.resume.find(Kind.LOGS, API, params, ctx.account, fn.region) is not None:
        return
    client = ctx.client("logs", fn.region)
    stream = PageStream(pages(client, "FilterLogEvents", dict(params)), _event_lines)
    path = f"logs/{path_segment(ctx.account)}/{path_segment(fn.region)}/{path_segment(group)}"
    stored = store_listing(
        ctx,
        stream,
        kind=Kind.LOGS,
        api=API,
        params=params,
        path=f"{path}/events-{_window_segment(ctx)}.jsonl.gz",
        region=fn.region,
        meta=lambda s: {"function_name": fn.name, **s.counts},
    )
    if stream.error is not None:
        _failed(ctx, fn, params, stream.error, stored)


def _event_lines(page: dict[str, Any], counts: dict[str, int]) -> Iterator[bytes]:
    """Raw events as lines; REPORT lines, timeouts and cold starts counted on the way."""
    for event in page.get("events") or []:
        report = log_lines.parse_report(str(event.get("message", "")))
        if report is not None:
            counts["reports"] = counts.get("reports", 0) + 1
            counts["timeouts"] = counts.get("timeouts", 0) + (report.status == "timeout")
            counts["cold_starts"] = counts.get("cold_starts", 0) + report.cold_start
        yield orjson.dumps(event) + b"\n"


def _failed(
    ctx: CollectContext,
    fn: FunctionTarget,
    params: dict[str, Any],
    exc: BaseException,
    stored: bool,
) -> None:
    error = classify(exc)
    if error.error_class is ErrorClass.NOT_FOUND and not stored:
        gap = {"gap": "log-group-missing", "detail": f"{params['logGroupName']}: {error.text}"}
        name = f"log-group-{path_segment(fn.name)}-{_window_segment(ctx)}.json"
        store(
            ctx,
            f"{paths.account_root(ctx.account, fn.region)}/gaps/{name}",
            gap,
            kind=Kind.GAP,
            api=API,
            params=params,
            region=fn.region,
        )
        return
    record_failure(ctx, Kind.LOGS, API, params, fn.region, error)


# Export objects hold `<ISO time> <message>` lines; a line without a time continues a message.
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


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix/"); the prefix may be empty."""
    if not url.startswith("s3://") or len(url) <= 5:
        raise ValueError(f"{url!r} is not s3://bucket[/prefix]")
    bucket, _, prefix = url[5:].partition("/")
    return bucket, prefix.strip("/") + "/" if prefix.strip("/") else ""


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
    window = window_ms(ctx)
    destination = f"{export.prefix}lambda-ir/{ctx.case.id}/{path_segment(fn.name)}"
    params = {
        "logGroupName": group,
        "fromTime": window.get("startTime", 0),
        "to": window.get("endTime", int(time.time() * 1000)),
        "destination": export.bucket,
        "destinationPrefix": destination,
    }
    logs = ctx.client("logs", fn.region)
    with lock:
        try:
            task = str(logs.create_export_task(taskName=f"lambda-ir-{fn.name}", **params)["taskId"])
            status = _wait_for_export(logs, task, export)
        except Exception as exc:  # a missing group is a gap; anything else is recorded
            _failed(ctx, fn, params, exc, stored=False)
            return
    ctx.case.log("log-export-task", {"taskId": task, "status": status, **params})
    if status != "COMPLETED":
        error = CallError(ErrorClass.ERROR, "ExportTask" + status.title(), f"task {task}")
        record_failure(ctx, Kind.LOGS, "logs:CreateExportTask", params, fn.region, error)
        return
    s3 = ctx.client("s3", fn.region)
    listing = {"Bucket": export.bucket, "Prefix": destination + "/"}
    for page in pages(s3, "ListObjectsV2", listing):
        for item in page.get("Contents") or []:
            if str(item["Key"]).endswith(".gz"):
                key = str(item["Key"])
                _store_export_object(ctx, s3, fn, group, export.bucket, key, destination)


def _wait_for_export(logs: Any, task: str, export: LogExport) -> str:
    deadline = time.monotonic() + export.timeout_s
    while True:
        found = logs.describe_export_tasks(taskId=task).get("exportTasks") or [{}]
        status = str((found[0].get("status") or {}).get("code", "UNKNOWN"))
        if status not in ("PENDING", "RUNNING", "PENDING_CANCEL") or time.monotonic() > deadline:
            return status
        time.sleep(export.poll_s)


def _store_export_object(
    ctx: CollectContext,
    s3: Any,
    fn: FunctionTarget,
    group: str,
    bucket: str,
    key: str,
    destination: str,
) -> None:
    params = {"Bucket": bucket, "Key": key, "logGroupName": group}
    try:
        body = s3.get_object(Bucket=params["Bucket"], Key=key)["Body"].read(MAX_EXPORT_OBJECT)
        text = open_stream(io.BytesIO(body)).read(MAX_EXPORT_OBJECT)  # bounded: no gzip bomb
    except Exception as exc:
        record_failure(ctx, Kind.LOGS, "s3:GetObject", params, fn.region, classify(exc))
        return
    # <destination>/<task id>/<stream name>/000000.gz
    stream_name = key[len(destination) + 1 :].split("/", 1)[-1].rsplit("/", 1)[0]
    lines = list(export_events(text, stream_name))
    if not lines:
        return
    root = f"logs/{path_segment(ctx.account)}/{path_segment(fn.region)}/{path_segment(group)}"
    ctx.case.put_stream(
        gzip_lines(iter(lines)),
        f"{root}/export/{path_segment(key[len(destination) + 1 :])}.jsonl.gz",
        kind=Kind.LOGS,
        api="s3:GetObject",
        params=params,
        account=ctx.account,
        region=fn.region,
        meta={"function_name": fn.name, "lines": len(lines)},
    )
    count_artifact(ctx, Kind.LOGS)


def export_events(text: bytes, stream_name: str) -> Iterator[bytes]:
    """Export lines back into FilterLogEvents' event shape (timestamp in ms, message)."""
    current: dict[str, Any] | None = None
    for line in text.split(b"\n"):
        match = _EXPORT_LINE.match(line)
        if match is None:
            if current is not None:  # a multi-line message (a traceback) continues
                current["message"] += "\n" + line.decode("utf-8", "replace")
            continue
        if current is not None:
            yield orjson.dumps(current) + b"\n"
        moment = datetime.fromisoformat(match.group(1).decode().replace("Z", "+00:00"))
        current = {
            "timestamp": round(moment.astimezone(UTC).timestamp() * 1000),
            "message": match.group(2).decode("utf-8", "replace"),
            "logStreamName": stream_name,
        }
    if current is not None:
        yield orjson.dumps(current) + b"\n"
