"""CreateExportTask writes what AWS writes: `<UTC time to the millisecond> <message>` lines."""

from __future__ import annotations

import gzip
from typing import Any

from lambda_ir.emulator.logs_export import export_time

START = 1_795_168_800_000  # 2026-11-20T10:00:00Z


def test_an_export_keeps_each_event_millisecond_in_utc(admin: Any, name: str) -> None:
    logs, s3 = admin.client("logs"), admin.client("s3")
    logs.create_log_group(logGroupName=f"/aws/lambda/{name}")
    for stream in ("2026/11/20/[$LATEST]a", "2026/11/20/[$LATEST]b"):
        logs.create_log_stream(logGroupName=f"/aws/lambda/{name}", logStreamName=stream)
        logs.put_log_events(
            logGroupName=f"/aws/lambda/{name}",
            logStreamName=stream,
            logEvents=[{"timestamp": START + i, "message": f"{stream} line {i}"} for i in (1, 2)],
        )
    s3.create_bucket(Bucket=name)
    logs.create_export_task(
        logGroupName=f"/aws/lambda/{name}",
        fromTime=START,
        to=START + 10_000,
        destination=name,
        destinationPrefix="exports",
    )
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]]
    exported = sorted(k for k in keys if k.endswith("000000.gz"))
    assert len(exported) == 2 and all(k.startswith("exports/") for k in exported)
    [first] = [k for k in exported if "/2026-11-20-[$LATEST]a/" in k]  # one folder a stream
    lines = gzip.decompress(s3.get_object(Bucket=name, Key=first)["Body"].read())
    assert lines.decode().splitlines() == [
        "2026-11-20T10:00:00.001Z 2026/11/20/[$LATEST]a line 1",
        "2026-11-20T10:00:00.002Z 2026/11/20/[$LATEST]a line 2",
    ]


def test_export_time_is_utc_to_the_millisecond() -> None:
    assert export_time(START + 999) == "2026-11-20T10:00:00.999Z"
    assert export_time(0) == "1970-01-01T00:00:00.000Z"
