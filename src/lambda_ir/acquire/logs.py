"""Collect a function's own CloudWatch Logs: every event in the window, streamed to the case.

The log group is the one the function's `LoggingConfig` names, else `/aws/lambda/<name>`;
a published version configured with another group (an alias still serving a version from
before the function's logs were moved, or a version published to log where nobody looks)
has that group read too, queued by `collect_versions` (`version_log_groups`). Each group is
read once per run, whichever function names it first: in a group several functions share,
Lambda names each stream after its function (`YYYY/MM/DD/<function>[<version>]<id>`), and
the index attributes events by that.
`logs:FilterLogEvents` over the whole group returns the events of every stream in the
window; pages are streamed straight into `logs/<acct>/<region>/<group>/events-<window>.jsonl.gz`
(one raw event per line, never held in memory). REPORT lines are parsed by the index
(`report_lines`); the artifact's `meta` counts events, REPORT lines and timeouts. A missing
or deleted log group is an evidence gap (kind `gap`), not an error.

With `--log-export-bucket s3://bucket/prefix` a group is exported instead (`logs_export`).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import record_failure, store
from lambda_ir.acquire.steps import FunctionTarget
from lambda_ir.acquire.window import window_segment
from lambda_ir.aws import ErrorClass, classify, pages
from lambda_ir.evidence import ManifestEntry
from lambda_ir.evidence import logs as log_lines
from lambda_ir.evidence.layout import path_segment
from lambda_ir.evidence.trail import gzip_lines
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
) -> ManifestEntry | None:
    """Stream a listing into one gzip JSON-lines artifact; its entry, None when nothing was
    stored.

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
        entry = ctx.case.put_stream(
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
        return entry
    return None


def attempt_path(path: str, earlier: int) -> str:
    """Where a listing goes when `earlier` attempts were stored only in part (a page failed):
    `events-<window>.jsonl.gz`, then `events-<window>.attempt-2.jsonl.gz`, … — each attempt
    its own write-once artifact; its `meta.complete` says whether it holds the whole listing."""
    if not earlier:
        return path
    stem = path.removesuffix(".jsonl.gz")
    return f"{stem}.attempt-{earlier + 1}{path[len(stem) :]}"


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
    """The log group a function's logs step reads: the version's group it was queued for,
    else `LoggingConfig.LogGroup` as listed ($LATEST), else the default."""
    return fn.log_group or log_lines.configured_group(fn.name, fn.listed)


def version_log_groups(fn: FunctionTarget, configs: list[dict[str, Any]]) -> list[str]:
    """The groups `configs` (every version's configuration) log to besides the one the
    function's own logs step reads, sorted; every one of them (the default group when no
    configuration was read) for a function that step left to its versions."""
    groups = {log_lines.configured_group(fn.name, config) for config in configs}
    if waits_for_versions(fn):
        return sorted(groups or {log_lines.configured_group(fn.name, {})})
    return sorted(groups - {log_group_of(fn)})


def waits_for_versions(fn: FunctionTarget) -> bool:
    """Whether the function's logs step leaves its groups to `collect_versions`: ListFunctions
    did not show it (denied, or named by `--function`), so which group $LATEST logs to is
    known only once ListVersionsByFunction answers (before, `/aws/lambda/<name>` was read
    and reported missing while the configured group went unread)."""
    return not fn.listed and not fn.log_group


def claim_group(ctx: CollectContext, fn: FunctionTarget, group: str) -> bool:
    """True the first time this run reads `group` in `fn`'s region: functions (and versions)
    that share a group read it once."""
    return ctx.claim("log-group", f"{fn.region}\n{group}")


def gap_name(ctx: CollectContext, fn: FunctionTarget, stem: str) -> str:
    """A log group's gap file: `<stem>-<function>-<window>.json`; for a version's own group
    (`fn.log_group`) `<stem>-<function>@<group>.<hash>-<window>.json`, a file per group: `@`
    is in no function's name (`orders` with a version's group `prod` is not `orders-prod`'s
    own), and a hash of the whole name tells two long groups cut alike apart."""
    own = ""
    if fn.log_group:
        digest = hashlib.sha256(fn.log_group.encode()).hexdigest()[:12]
        own = f"@{path_segment(fn.log_group)[:80]}.{digest}"
    return f"{stem}-{path_segment(fn.name)}{own}-{_window_segment(ctx)}.json"


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
    if waits_for_versions(fn):
        return
    group = log_group_of(fn)
    params: dict[str, Any] = {"logGroupName": group, **window_ms(ctx)}
    if ctx.resume.find(Kind.LOGS, API, params, ctx.account, fn.region) is not None:
        return
    if not claim_group(ctx, fn, group):
        return
    earlier = ctx.resume.partial(Kind.LOGS, API, params, ctx.account, fn.region)
    client = ctx.client("logs", fn.region)
    stream = PageStream(pages(client, "FilterLogEvents", dict(params)), _event_lines)
    path = f"logs/{path_segment(ctx.account)}/{path_segment(fn.region)}/{path_segment(group)}"
    stored = store_listing(
        ctx,
        stream,
        kind=Kind.LOGS,
        api=API,
        params=params,
        path=attempt_path(f"{path}/events-{_window_segment(ctx)}.jsonl.gz", len(earlier)),
        region=fn.region,
        meta=lambda s: {"function_name": fn.name, **s.counts},
    )
    if stream.error is not None:
        kept = [*earlier, *([stored] if stored else [])]
        record_log_failure(ctx, fn, params, stream.error, kept)


def _event_lines(page: dict[str, Any], counts: dict[str, int]) -> Iterator[bytes]:
    """Raw events as lines; REPORT lines, timeouts and cold starts counted on the way."""
    for event in page.get("events") or []:
        report = log_lines.parse_report(str(event.get("message", "")))
        if report is not None:
            counts["reports"] = counts.get("reports", 0) + 1
            counts["timeouts"] = counts.get("timeouts", 0) + (report.status == "timeout")
            counts["cold_starts"] = counts.get("cold_starts", 0) + report.cold_start
        yield orjson.dumps(event) + b"\n"


def record_log_failure(
    ctx: CollectContext,
    fn: FunctionTarget,
    params: dict[str, Any],
    exc: BaseException,
    kept: list[ManifestEntry],
) -> None:
    """Record a failed read of a function's log group: a missing group is an evidence gap
    (kind `gap`), anything else a failed call. A group gone after pages of it were stored
    (`kept`, by this run or an earlier one) was never "absent": its gap is
    `log-group-deleted-during-collection` and names what was kept."""
    error = classify(exc)
    if error.error_class is ErrorClass.NOT_FOUND:
        group = params["logGroupName"]
        gap = {"gap": "log-group-missing", "detail": f"{group}: {error.text}"}
        name = gap_name(ctx, fn, "log-group")
        if kept:
            gap = _deleted_gap(group, error.text, kept)
            name = gap_name(ctx, fn, "log-group-deleted")
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


def _deleted_gap(group: str, error: str, kept: list[ManifestEntry]) -> dict[str, Any]:
    """The gap of a log group deleted while (or since) it was read: what was kept, where."""
    said = "; ".join(
        f"{e.path} ({e.meta.get('lines', 0)} events, {e.meta.get('pages', 0)} pages)" for e in kept
    )
    return {
        "gap": "log-group-deleted-during-collection",
        "detail": f"{group} answered not-found after part of it was read ({error}): kept "
        f"{said}; events after those pages were not read and cannot be any more",
        "kept": [{"path": e.path, "sha256": e.sha256} for e in kept],
    }


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix/"); the prefix may be empty."""
    if not url.startswith("s3://") or len(url) <= 5:
        raise ValueError(f"{url!r} is not s3://bucket[/prefix]")
    bucket, _, prefix = url[5:].partition("/")
    return bucket, prefix.strip("/") + "/" if prefix.strip("/") else ""
