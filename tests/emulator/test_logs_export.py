"""CreateExportTask writes what AWS writes: `<UTC time to the millisecond> <message>` lines."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

from lambda_ir.emulator.logs_export import export_time

FIXED = 1_795_168_800_000  # 2026-11-20T10:00:00Z: export_time is pure, so a fixed time is safe

# PutLogEvents refuses events over 14 days old, so the exported events are from today's clock:
# the start of the hour three hours back, a time whose UTC text the test spells out itself.
HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
START = int(HOUR.timestamp() * 1000)
DAY = f"{HOUR:%Y/%m/%d}"


def test_an_export_keeps_each_event_millisecond_in_utc(admin: Any, name: str) -> None:
    logs, s3 = admin.client("logs"), admin.client("s3")
    logs.create_log_group(logGroupName=f"/aws/lambda/{name}")
    for stream in (f"{DAY}/[$LATEST]a", f"{DAY}/[$LATEST]b"):
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
    folder = f"/{DAY.replace('/', '-')}-[$LATEST]a/"
    [first] = [k for k in exported if folder in k]  # one folder a stream
    lines = gzip.decompress(s3.get_object(Bucket=name, Key=first)["Body"].read())
    assert lines.decode().splitlines() == [
        f"{HOUR:%Y-%m-%dT%H}:00:00.001Z {DAY}/[$LATEST]a line 1",
        f"{HOUR:%Y-%m-%dT%H}:00:00.002Z {DAY}/[$LATEST]a line 2",
    ]


def test_export_time_is_utc_to_the_millisecond() -> None:
    assert export_time(FIXED + 999) == "2026-11-20T10:00:00.999Z"
    assert export_time(0) == "1970-01-01T00:00:00.000Z"


def test_put_log_events_refuses_what_aws_refuses(admin: Any, name: str) -> None:
    """Over 14 days old or over 2 hours ahead: rejected and never stored, as AWS does."""
    logs = admin.client("logs")
    group = f"/aws/lambda/{name}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = datetime.now(UTC)
    stamps = [now - timedelta(days=15), now - timedelta(hours=1), now + timedelta(hours=3)]
    answer = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": int(t.timestamp() * 1000), "message": f"m{n}"}
            for n, t in enumerate(stamps)
        ],
    )
    assert answer["rejectedLogEventsInfo"] == {
        "tooOldLogEventEndIndex": 0,
        "tooNewLogEventStartIndex": 2,
    }
    stored = logs.filter_log_events(logGroupName=group)["events"]
    assert [e["message"] for e in stored] == ["m1"]
