"""Real CloudTrail (Stratus Red Team's published detonation logs) laid out as a trail bucket.

The records keep their own 2024 times: they go to S3 with PutObject, which checks no dates,
and the hunt's window is given in those dates, so no test depends on today's date.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from lambda_ir.hunt.local import load_table, run
from lambda_ir.hunt.query import hunt_query

STRATUS = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "stratus-red-team-detonation-logs"
)
SIGMA = Path(__file__).resolve().parents[3] / "shared" / "data" / "sigma-aws-cloudtrail"
ORG = "o-test123456"
# The hunt's window over those records, and the region the tests' emulator works in.
SINCE = datetime(2024, 7, 31, 0, 0, tzinfo=UTC)
UNTIL = datetime(2024, 8, 1, 23, 59, 59, tzinfo=UTC)
REGION = "us-east-1"


def records() -> list[dict[str, Any]]:
    """Every record of every detonation log, in file order."""
    found: list[dict[str, Any]] = []
    for path in sorted(STRATUS.glob("*.json")):
        document = json.loads(path.read_text())
        listed = document.get("Records", []) if isinstance(document, dict) else document
        found.extend(r for r in listed if isinstance(r, dict))
    return found


def partition(record: dict[str, Any]) -> dict[str, str]:
    """The table partition a record's file sits in."""
    return {
        "account": str(record.get("recipientAccountId", "")),
        "region": str(record.get("awsRegion", "")),
        "timestamp": str(record.get("eventTime", ""))[:10].replace("-", "/"),
    }


def trail_objects(prefix: str) -> dict[str, bytes]:
    """{key: gzip body}: one CloudTrail file per account, region and day, organisation layout."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records():
        where = partition(record)
        groups[(where["account"], where["region"], where["timestamp"])].append(record)
    objects = {}
    for (account, region, day), listed in sorted(groups.items()):
        stamp = day.replace("/", "")
        key = (
            f"{prefix}/AWSLogs/{ORG}/{account}/CloudTrail/{region}/{day}/"
            f"{account}_CloudTrail_{region}_{stamp}T0000Z_test.json.gz"
        )
        objects[key] = gzip.compress(json.dumps({"Records": listed}).encode(), mtime=0)
    return objects


def expected_events(rules: Sequence[Any], since: datetime, until: datetime) -> set[str]:
    """The events `rules` select in the window on DuckDB over the records, locally: what a
    hunt through any source must bring in."""
    con = duckdb.connect()
    load_table(con, "hunt.trail", ((r, partition(r)) for r in records()))
    names, rows = run(con, hunt_query("hunt.trail", rules, since, until, "duckdb"))
    return {str(dict(zip(names, row, strict=True))["eventid"]) for row in rows}


def trail_bucket(
    admin: Any, endpoint_url: str, prefix: str = "trail"
) -> tuple[str, dict[str, bytes]]:
    """A new bucket holding the trail's files under `cloudtrail/`, and those files."""
    bucket = f"{prefix}-{uuid.uuid4().hex[:8]}"
    s3 = admin.client("s3", endpoint_url=endpoint_url)
    s3.create_bucket(Bucket=bucket)
    objects = trail_objects("cloudtrail")
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return bucket, objects


def result_workgroup(admin: Any, endpoint_url: str, bucket: str) -> str:
    """A new Athena workgroup writing its results under `s3://bucket/results/`."""
    name = f"ir-{uuid.uuid4().hex[:6]}"
    admin.client("athena", endpoint_url=endpoint_url).create_work_group(
        Name=name,
        Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{bucket}/results/"}},
    )
    return name
