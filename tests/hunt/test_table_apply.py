"""`hunt --create-table` writes to AWS only with --apply, with a plan and an undo (DROP TABLE).

On the emulator: its Athena keeps a catalog (CREATE/DROP DATABASE and TABLE, GetDatabase,
GetTableMetadata) and runs SELECTs over its S3's trail files (moto runs no SQL).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from lambda_ir.aws import ClientFactory, RetryPolicy
from lambda_ir.cli.hunt_table import make_table
from lambda_ir.cli.main import cli
from lambda_ir.cli.ui import CommandError, Ui
from lambda_ir.emulator.quotas import FaultSpec
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.custody import read_entries
from lambda_ir.evidence.layout import CUSTODY
from lambda_ir.hunt.athena import run_query
from lambda_ir.hunt.rules import LAMBDA_RULES, sigma_rules
from lambda_ir.hunt.run import HuntOptions, hunt
from lambda_ir.model import Kind
from lambda_ir.respond.hunt_table import TableRequest
from lambda_ir.respond.hunt_table_undo import TableUndoError, load_table_undo
from tests.hunt.conftest import hunt_cli
from tests.hunt.trail_files import REGION, SIGMA, result_workgroup, trail_bucket

WINDOW = ["--since", "2024-07-31", "--until", "2024-08-01T23:59:59Z"]


@pytest.fixture(scope="module")
def trail(aws: Emulator, admin: boto3.Session) -> dict[str, Any]:
    bucket, _ = trail_bucket(admin, aws.endpoint_url, "org-trail")
    return {"bucket": bucket, "workgroup": result_workgroup(admin, aws.endpoint_url, bucket)}


def _table_exists(admin: boto3.Session, aws: Emulator, db: str, table: str) -> bool:
    athena = admin.client("athena", endpoint_url=aws.endpoint_url)
    try:
        athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=db, TableName=table)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "MetadataException"
        return False
    return True


def test_create_table_plans_without_apply_creates_with_it_and_undoes(
    aws: Emulator, admin: boto3.Session, trail: dict[str, Any], tmp_path: Path
) -> None:
    case = tmp_path / "case"
    db = f"gate_{uuid.uuid4().hex[:6]}"
    where = ["--case", str(case), "--athena-workgroup", trail["workgroup"]]
    table = ["--trail-table", f"{db}.trail", "--create-table", f"s3://{trail['bucket']}/cloudtrail"]
    # 1. Without --apply: the plan (DDL, database, location, undo) and nothing in AWS.
    dry = hunt_cli(aws, *where, *table, *WINDOW)
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["applied"] is False
    steps = planned["plan"]["steps"]
    assert [s["undo"] for s in steps] == [
        f"DROP DATABASE IF EXISTS {db}",
        f"DROP TABLE IF EXISTS {db}.trail",
    ]
    # no IF NOT EXISTS: one made since fails; the mark tells ours from one made after the undo
    mark = planned["plan"]["mark"]
    assert steps[0]["sql"] == f"CREATE DATABASE {db} WITH DBPROPERTIES ('lambda_ir.plan'='{mark}')"
    assert steps[1]["sql"].startswith(f"CREATE EXTERNAL TABLE {db}.trail (")
    assert planned["plan"]["location"] == f"s3://{trail['bucket']}/cloudtrail/AWSLogs/o-test123456"
    assert "CREATE EXTERNAL TABLE" in dry.stderr and "dry run" not in dry.stderr
    assert not _table_exists(admin, aws, db, "trail")
    opened = Case.open(case)
    assert opened.entry(planned["plan_path"]) is not None
    assert not [e for e in opened.entries() if e.kind == Kind.TRAIL.value]  # no query ran
    # 2. With --apply: created, undo saved, then the hunt.
    done = hunt_cli(aws, *where, *table, *WINDOW, "--apply")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["events"] > 0 and _table_exists(admin, aws, db, "trail")
    undo_path = str(case / result["table_plan"]["undo_path"])
    undo = json.loads(Path(undo_path).read_text())
    assert undo["statements"] == [
        f"DROP TABLE IF EXISTS {db}.trail",
        f"DROP DATABASE IF EXISTS {db}",
    ]
    athena = admin.client("athena", endpoint_url=aws.endpoint_url)
    made = athena.get_table_metadata(
        CatalogName="AwsDataCatalog", DatabaseName=db, TableName="trail"
    )["TableMetadata"]["CreateTime"]
    assert undo["created"] == {f"{db}.trail": made.isoformat()}
    # 3. Again: the table is there, nothing to create (and nothing to undo), the hunt runs.
    again = hunt_cli(aws, *where, *table, *WINDOW)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["events"] == result["events"]
    assert "already in the catalog" in again.stderr
    # 4. The undo: shown without --apply, run with it; the trail's files stay.
    shown = hunt_cli(aws, "--case", str(case), "--undo", undo_path)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["applied"] is False and _table_exists(admin, aws, db, "trail")
    undone = hunt_cli(aws, "--case", str(case), "--undo", undo_path, "--apply")
    assert undone.returncode == 0, undone.stderr
    assert [o["error"] for o in json.loads(undone.stdout)["outcomes"]] == ["", ""]
    assert not _table_exists(admin, aws, db, "trail")
    s3 = admin.client("s3", endpoint_url=aws.endpoint_url)
    assert s3.list_objects_v2(Bucket=trail["bucket"], Prefix="cloudtrail/")["KeyCount"] > 0
    assert verify_case(case).ok
    # 5. Hunting the dropped table: named, with the way to make it, before any query.
    gone = hunt_cli(aws, *where, "--trail-table", f"{db}.trail", *WINDOW)
    assert gone.returncode == 1
    said = " ".join(gone.stderr.split())
    assert f"{db}.trail is not in the catalog: there is no database {db}" in said
    assert "make it with --create-table s3://BUCKET[/prefix]" in said
    assert "TABLE_NOT_FOUND" not in said
    hunts = [e.action for _, _, e in read_entries(case / CUSTODY) if e and e.action == "hunted"]
    assert len(hunts) == 2  # the two hunts above; none for the dropped table


def test_a_hunt_in_a_table_the_catalog_lacks_says_how_to_make_it(
    aws: Emulator, admin: boto3.Session, trail: dict[str, Any], tmp_path: Path
) -> None:
    db = f"bare_{uuid.uuid4().hex[:6]}"
    athena = admin.client("athena", endpoint_url=aws.endpoint_url)
    run_query(athena, f"CREATE DATABASE {db}", trail["workgroup"])
    where = ["--case", str(tmp_path / "case"), "--athena-workgroup", trail["workgroup"]]
    done = hunt_cli(aws, *where, "--trail-table", f"{db}.cloudtral", *WINDOW)  # misspelt
    assert done.returncode == 1
    said = " ".join(done.stderr.split())
    assert f"{db}.cloudtral is not in the catalog: {db} has no table cloudtral" in said
    assert f"(Athena's catalog in {REGION}); make it with --create-table" in said
    assert "check --trail-table and --region" in said
    started = [e for _, _, e in read_entries(tmp_path / "case" / CUSTODY) if e]
    assert "hunt-started" not in [e.action for e in started]  # no query was sent


def test_an_undo_plan_edited_or_not_only_drops_is_refused(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case", {"test": True})
    entry = case.put_json(
        "respond/x/undo.json",
        {"format": "lambda-ir-hunt-undo/1", "statements": ["DROP TABLE IF EXISTS a.b; SELECT 1"]},
        kind=Kind.RESPONSE.value,
    )
    with pytest.raises(TableUndoError, match="only DROP"):
        load_table_undo(case, str(entry.path))
    good = case.put_json(
        "respond/y/undo.json",
        {"format": "lambda-ir-hunt-undo/1", "statements": ["DROP TABLE IF EXISTS a.b"]},
        kind=Kind.RESPONSE.value,
    )
    assert load_table_undo(case, str(good.path)).statements == ("DROP TABLE IF EXISTS a.b",)
    path = case.path(str(good.path))
    path.write_text(path.read_text().replace("a.b", "a.c"))
    with pytest.raises(TableUndoError, match="changed since"):
        load_table_undo(case, str(good.path))


def test_a_hunt_split_into_several_queries_ingests_the_same_events(
    aws: Emulator, admin: boto3.Session, trail: dict[str, Any], tmp_path: Path
) -> None:
    db = f"split_{uuid.uuid4().hex[:6]}"
    where = ["--athena-workgroup", trail["workgroup"], "--trail-table", f"{db}.trail"]
    made = hunt_cli(
        aws,
        "--case",
        str(tmp_path / "made"),
        *where,
        "--create-table",
        f"s3://{trail['bucket']}/cloudtrail",
        "--apply",
        *WINDOW,
    )
    assert made.returncode == 0, made.stderr
    sigma, _ = sigma_rules([SIGMA])
    summaries = []
    for name, limit in (("one", 262_144), ("split", 6_000)):
        options = HuntOptions(
            workgroup=trail["workgroup"],
            table=f"{db}.trail",
            since=datetime(2024, 7, 31, tzinfo=UTC),
            until=datetime(2024, 8, 1, 23, 59, 59, tzinfo=UTC),
            rules=(*LAMBDA_RULES, *sigma),
            region=REGION,
            endpoint_url=aws.endpoint_url,
            max_query_bytes=limit,
        )
        summaries.append(hunt(Case.create(tmp_path / name, {"test": True}), admin, options))
    one, split = summaries
    assert len(one.query_ids) == 1 and len(split.query_ids) >= 3
    assert split.ingested.events == one.ingested.events > 0
    assert split.ingested.by_rule == one.ingested.by_rule
    assert split.ingested.by_account == one.ingested.by_account
    assert split.scanned_bytes == one.scanned_bytes * len(split.query_ids)  # each query scans


def test_apply_without_a_table_to_create_is_a_usage_error(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        cli,
        [
            *("hunt", "--case", str(tmp_path / "c"), "--athena-workgroup", "wg"),
            *("--trail-table", "db.t", "--apply"),
        ],
    )
    assert done.exit_code == 2 and "--create-table" in done.output
    assert not (tmp_path / "c").exists()


class _FailAfterFirstStep(Case):
    """A case that, once the first statement is logged, makes every later AWS call a 500."""

    emulator: Emulator

    def log(self, action: str, details: dict[str, Any] | None = None, *, caller: str = "") -> None:
        super().log(action, details, caller=caller)
        if action == "hunt-table-call":
            self.emulator.set_limits(faults=FaultSpec(rate=1.0, kinds=("500",)))


def test_an_aws_error_partway_still_saves_the_undo_and_fails_in_one_line(
    aws: Emulator, admin: boto3.Session, trail: dict[str, Any], tmp_path: Path
) -> None:
    db = f"cut_{uuid.uuid4().hex[:6]}"
    case = _FailAfterFirstStep.create(tmp_path / "case", {"test": True})
    case.emulator = aws
    clients = ClientFactory(admin, RetryPolicy(max_attempts=1), endpoint_url=aws.endpoint_url)
    request = TableRequest(
        f"{db}.trail", f"s3://{trail['bucket']}/cloudtrail", trail["workgroup"], REGION
    )
    try:
        with pytest.raises(CommandError) as raised:
            make_table(Ui(quiet=True), case, clients, request, apply=True)
    finally:
        aws.set_limits()
    message = raised.value.format_message()
    assert "\n" not in message and "create the table" in message and "InternalFailure" in message
    undo_file = Path(message.rsplit("undo plan saved: ", 1)[1])
    undo = json.loads(undo_file.read_text())
    # Step 1 made the database; step 2 may have run before its answer was lost: both undone.
    assert undo["statements"] == [
        f"DROP TABLE IF EXISTS {db}.trail",
        f"DROP DATABASE IF EXISTS {db}",
    ]
    athena = admin.client("athena", endpoint_url=aws.endpoint_url)
    assert athena.get_database(CatalogName="AwsDataCatalog", DatabaseName=db)["Database"]
    undone = hunt_cli(aws, "--case", str(tmp_path / "case"), "--undo", str(undo_file), "--apply")
    assert undone.returncode == 0, undone.stderr
    with pytest.raises(ClientError):
        athena.get_database(CatalogName="AwsDataCatalog", DatabaseName=db)
    assert verify_case(tmp_path / "case").ok
