"""CloudWatch Logs exports as AWS writes them: each line's time to the millisecond, in UTC.

moto 5.2.5's CreateExportTask writes `<time> <message>` lines with the milliseconds dropped
(`.000Z`) and the time in the server's local zone, so events a millisecond apart read back
from an export as simultaneous. After moto has run the task, the objects it wrote for that
task are rewritten from the same events with the times AWS gives
(`2026-11-20T10:00:00.001Z message`), each object still gzip, as AWS delivers exports.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import Any

from moto.logs.models import logs_backends
from moto.s3.models import s3_backends

from lambda_ir.emulator.http import Response


def export_keys(account: str, params: dict[str, Any]) -> set[str]:
    """Keys already under the export's destination prefix (to tell this task's objects)."""
    bucket = _bucket(account, params)
    prefix = f"{params.get('destinationPrefix') or 'exportedlogs'}/"
    return {key for key in bucket.keys if key.startswith(prefix)} if bucket else set()


def fix_export(
    account: str, region: str, params: dict[str, Any], before: set[str], response: Response
) -> None:
    """Rewrite the objects moto's task just wrote with millisecond, UTC times."""
    bucket = _bucket(account, params)
    if response.status != 200 or bucket is None:
        return
    group = logs_backends[account][region].groups.get(str(params.get("logGroupName")))
    if group is None:
        return
    streams = {name.replace("/", "-"): name for name in group.streams}
    for key in sorted(export_keys(account, params) - before):
        folder = key.rsplit("/", 2)
        stream = streams.get(folder[-2]) if len(folder) == 3 else None
        if stream is None:
            continue
        events, _, _ = logs_backends[account][region].filter_log_events(
            log_group_name=group.name,
            log_stream_names=[stream],
            start_time=int(params.get("from") or 0),
            end_time=int(params.get("to") or 0),
            limit=None,
            next_token=None,
            filter_pattern="",
            interleaved=False,
        )
        text = "\n".join(f"{export_time(e['timestamp'])} {e['message']}" for e in events)
        s3_backends[account]["aws"].put_object(
            bucket_name=bucket.name, key_name=key, value=gzip.compress(text.encode())
        )


def export_time(epoch_ms: int) -> str:
    """`2026-11-20T10:00:00.001Z`: an export line's time, UTC, to the millisecond."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{epoch_ms % 1000:03d}Z"


def _bucket(account: str, params: dict[str, Any]) -> Any:
    return s3_backends[account]["aws"].buckets.get(str(params.get("destination")))
