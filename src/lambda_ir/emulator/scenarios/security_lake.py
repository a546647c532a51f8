"""Scenario `security-lake`: Amazon Security Lake collecting the account's CloudTrail.

Run after other scenarios. It reads the default account's management events back from
CloudTrail's event history (cloudtrail:LookupEvents in every region the earlier scenarios used
and us-east-1, where IAM's global events are; 50 a page, the last 90 days) and lays them down
as Security Lake's CloudTrail source in us-east-1 (`emulator.security_lake`: OCSF 1.1 Parquet
in `aws-security-data-lake-us-east-1-…`, the Glue table and its partitions), with an Athena
workgroup `lambda-ir` to hunt it. The content is ours: the events are what the earlier
scenarios did; alone it makes an empty lake.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config

from lambda_ir.emulator.scenarios.actors import Target
from lambda_ir.emulator.scenarios.result import ScenarioResult
from lambda_ir.emulator.security_lake import seed_security_lake

LAKE_REGION = "us-east-1"
WORKGROUP = "lambda-ir"


def security_lake(
    emulator: Target, prior: Sequence[ScenarioResult] = (), *, now: datetime | None = None
) -> ScenarioResult:
    """Seed Security Lake from the account's event history (see the module doc).

    The content is ours: the events of the scenarios run before it."""
    session = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (the emulator's admin)
        region_name=LAKE_REGION,
    )
    regions = sorted({LAKE_REGION, *(r for result in prior for r in result.regions)})
    records = [
        record
        for region in regions
        for record in _history(session, emulator.endpoint_url, region)
        if record.get("awsRegion") == region  # IAM's global events once, in us-east-1
    ]
    lake = seed_security_lake(session, emulator.endpoint_url, records, LAKE_REGION)
    athena = session.client("athena", endpoint_url=emulator.endpoint_url)
    with contextlib.suppress(athena.exceptions.InvalidRequestException):
        athena.create_work_group(
            Name=WORKGROUP,
            Configuration={
                "ResultConfiguration": {"OutputLocation": f"s3://{lake.bucket}/athena/"}
            },
        )
    return ScenarioResult(
        name="security-lake", account_id=emulator.account_id, regions=(LAKE_REGION,), functions=()
    )


def _history(session: boto3.Session, endpoint: str, region: str) -> list[dict[str, Any]]:
    """Every event LookupEvents holds for the region, as CloudTrail records."""
    cloudtrail = session.client(
        "cloudtrail",
        region_name=region,
        endpoint_url=endpoint,
        config=Config(retries={"mode": "standard", "max_attempts": 10}),  # 2/s with --quotas
    )
    found: list[dict[str, Any]] = []
    end = datetime.now(UTC) + timedelta(minutes=5)  # the emulator records at its own now
    params: dict[str, Any] = {"StartTime": end - timedelta(days=89), "EndTime": end}
    while True:
        page = cloudtrail.lookup_events(**params)
        found.extend(json.loads(e["CloudTrailEvent"]) for e in page.get("Events") or [])
        if not page.get("NextToken"):
            return found
        params["NextToken"] = page["NextToken"]
