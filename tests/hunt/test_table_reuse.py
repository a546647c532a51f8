"""`hunt --create-table` reuses a table of that name only when it reads the trail asked for.

Found by review, reproduced on the emulator before the fix: with `lambda_ir.cloudtrail`
already over one organisation's trail bucket, `--create-table s3://other-bucket --apply` said
"already in the catalog: nothing to create" and hunted the first bucket (other accounts),
exit 0, as if it had searched the second.
"""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from lambda_ir.aws import ClientFactory
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.hunt.catalog import read_table
from lambda_ir.model import Kind
from lambda_ir.respond import hunt_table
from lambda_ir.respond.hunt_table import TableRequest
from tests.hunt.conftest import hunt_cli
from tests.hunt.trail_files import ORG, REGION, result_workgroup, trail_bucket

WINDOW = ["--since", "2024-07-31", "--until", "2024-08-01T23:59:59Z"]


@pytest.fixture(scope="module")
def trail(aws: Emulator, admin: boto3.Session) -> dict[str, Any]:
    bucket, _ = trail_bucket(admin, aws.endpoint_url, "org-trail")
    return {"bucket": bucket, "workgroup": result_workgroup(admin, aws.endpoint_url, bucket)}


def _other_trail(admin: boto3.Session, aws: Emulator) -> str:
    """Another account's trail bucket: one CloudTrail file, in the window."""
    bucket = f"other-trail-{uuid.uuid4().hex[:8]}"
    s3 = admin.client("s3", endpoint_url=aws.endpoint_url)
    s3.create_bucket(Bucket=bucket)
    record = {
        "eventVersion": "1.08",
        "eventTime": "2024-07-31T10:00:00Z",
        "eventSource": "lambda.amazonaws.com",
        "eventName": "AddPermission20150331v2",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "eventID": str(uuid.uuid4()),
    }
    s3.put_object(
        Bucket=bucket,
        Key="AWSLogs/111122223333/CloudTrail/us-east-1/2024/07/31/x.json.gz",
        Body=gzip.compress(json.dumps({"Records": [record]}).encode()),
    )
    return bucket


def test_a_table_of_that_name_over_another_trail_is_refused_not_hunted(
    aws: Emulator, admin: boto3.Session, trail: dict[str, Any], tmp_path: Path
) -> None:
    table = f"reuse_{uuid.uuid4().hex[:6]}.cloudtrail"
    first = f"s3://{trail['bucket']}/cloudtrail"
    where = ["--athena-workgroup", trail["workgroup"], "--trail-table", table]
    made = hunt_cli(aws, "--case", str(tmp_path / "a"), *where, "--create-table", first, "--apply")
    assert made.returncode == 0, made.stderr
    other = _other_trail(admin, aws)
    case = tmp_path / "b"
    for apply in ([], ["--apply"]):
        asked = hunt_cli(
            aws, "--case", str(case), *where, "--create-table", f"s3://{other}", *WINDOW, *apply
        )
        assert asked.returncode == 1, asked.stderr
        said = " ".join(asked.stderr.split())
        assert f"{table} is already in the catalog over {first}/AWSLogs/{ORG} (accounts" in said
        assert f"not over s3://{other}/AWSLogs as asked" in said
        assert "Give another --trail-table DB.TABLE" in said and f"drop {table}" in said
        assert "already in the catalog: nothing to create" not in said
    opened = Case.open(case)
    assert not [e for e in opened.entries() if e.kind == Kind.TRAIL.value]  # no hunt ran
    athena = admin.client("athena", endpoint_url=aws.endpoint_url)
    found = read_table(athena, table)
    assert found is not None and found.location.startswith(f"{first}/AWSLogs/{ORG}/")
    # The same trail again: the table is reused, and the hunt runs.
    again = hunt_cli(aws, "--case", str(case), *where, "--create-table", first, *WINDOW)
    assert again.returncode == 0, again.stderr
    assert "already in the catalog: nothing to create" in again.stderr
    assert json.loads(again.stdout)["events"] > 0


def test_a_table_over_the_trail_that_projects_fewer_regions_is_refused(
    aws: Emulator, admin: boto3.Session, trail: dict[str, Any], tmp_path: Path
) -> None:
    clients = ClientFactory(admin, endpoint_url=aws.endpoint_url)
    table = f"fewer_{uuid.uuid4().hex[:6]}.cloudtrail"
    location = f"s3://{trail['bucket']}/cloudtrail"
    narrow = TableRequest(table, location, trail["workgroup"], REGION, regions=("eu-west-2r",))
    case = Case.create(tmp_path / "case", {"test": True})
    plan = hunt_table.plan_table(clients, narrow)
    run = hunt_table.save_plan(case, plan, apply=True, now="20261207T000000Z")
    assert hunt_table.apply_table(case, clients, plan, run).in_place
    assert hunt_table.plan_table(clients, narrow).conflict == ""  # as it was made: reused
    wide = hunt_table.plan_table(clients, TableRequest(table, location, trail["workgroup"], REGION))
    assert not wide.steps
    assert wide.conflict.startswith(f"{table} is already in the catalog over {location}/AWSLogs")
    assert "regions eu-west-2r: the trail also holds " in wide.conflict
    assert "us-north-2r" in wide.conflict and "which a hunt in it would not read" in wide.conflict
