"""`hunt --source security-lake` on Security Lake's CloudTrail source laid down in the emulator.

moto has no Security Lake and runs no SQL: `emulator/security_lake.py` writes the Stratus
records as Security Lake does (OCSF 1.1 Parquet under `aws/CLOUD_TRAIL_MGMT/2.0/region=…/
accountId=…/eventDay=…/`, the Glue table and its partitions through glue's API), and the
emulator's Athena reads that Glue table with DuckDB, the Trino text transpiled by sqlglot,
only the partitions the query keeps. So these tests show the table's shape, the pruning, the
workflow and the ingestion; the rules' agreement across schemas is `test_cloudtrail_lake_rules`'.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from lambda_ir.cli.main import cli
from lambda_ir.emulator.scenarios import seed
from lambda_ir.emulator.security_lake import SeededLake, seed_security_lake
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.index import build_index, open_index
from lambda_ir.hunt.athena import QueryFailed, cost_usd, run_query
from lambda_ir.hunt.rules import LAMBDA_RULES
from lambda_ir.hunt.run import HuntOptions
from lambda_ir.hunt.security_lake import default_table, hunt_security_lake
from tests.conftest import aws_env
from tests.hunt.trail_files import REGION, SINCE, UNTIL, expected_events, records, result_workgroup


@pytest.fixture(scope="module")
def lake(aws: Emulator, admin: boto3.Session) -> SeededLake:
    return seed_security_lake(admin, aws.endpoint_url, records(), REGION)


@pytest.fixture(scope="module")
def workgroup(aws: Emulator, admin: boto3.Session, lake: SeededLake) -> str:
    return result_workgroup(admin, aws.endpoint_url, lake.bucket)


def test_the_lake_is_laid_out_and_catalogued_as_security_lake_does(
    aws: Emulator, admin: boto3.Session, lake: SeededLake
) -> None:
    assert (
        lake.qualified
        == default_table(REGION)
        == (
            "amazon_security_lake_glue_db_us_east_1."
            "amazon_security_lake_table_us_east_1_cloud_trail_mgmt_2_0"
        )
    )
    assert lake.bucket.startswith(f"aws-security-data-lake-{REGION}-")
    assert all(
        key.startswith("aws/CLOUD_TRAIL_MGMT/2.0/region=")
        and "/accountId=" in key
        and "/eventDay=" in key
        and key.endswith(".gz.parquet")
        for key in lake.objects
    )
    glue = admin.client("glue", endpoint_url=aws.endpoint_url)
    table = glue.get_table(DatabaseName=lake.database, Name=lake.table)["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["region", "accountid", "eventday"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns["class_uid"] == "int" and columns["time_dt"] == "timestamp"
    assert columns["api"].startswith("struct<response:struct<error:string")
    assert columns["unmapped"] == "map<string,string>"
    assert "ParquetHiveSerDe" in table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    partitions = glue.get_partitions(DatabaseName=lake.database, TableName=lake.table)
    assert len(partitions["Partitions"]) == len(lake.partitions) == len(lake.objects)


def test_hunt_prunes_to_the_window_days_and_ingests_the_matches(
    aws: Emulator, admin: boto3.Session, lake: SeededLake, workgroup: str, tmp_path: Path
) -> None:
    rules = LAMBDA_RULES  # Sigma's are compared on DuckDB in test_cloudtrail_lake_rules
    case = Case.create(tmp_path / "case", {"test": True})
    options = HuntOptions(
        workgroup, lake.qualified, SINCE, UNTIL, rules, REGION, endpoint_url=aws.endpoint_url
    )
    summary = hunt_security_lake(case, admin, options)
    in_window = sum(
        size
        for key, size in lake.objects.items()
        if any(f"eventDay={day}/" in key for day in ("20240731", "20240801"))
    )
    assert 0 < summary.scanned_bytes == in_window < sum(lake.objects.values())
    assert summary.cost_usd == cost_usd(in_window)
    expected = expected_events(list(rules), SINCE, UNTIL)
    assert expected and summary.ingested.events == len(expected) == summary.rows
    assert build_index(case)  # the very events, through the source and back into the case
    con = open_index(case)
    assert {r[0] for r in con.execute("SELECT event_id FROM trail_events").fetchall()} == expected
    stored = [e for e in case.entries() if e.kind == "trail"]
    assert all(e.path and e.path.startswith(f"trail/{e.account}/security-lake/") for e in stored)
    assert {e.account for e in stored} == set(summary.ingested.by_account) and len(stored) >= 2
    assert verify_case(case.root).ok


def test_a_missing_lake_table_fails_as_athena_does(
    aws: Emulator, admin: boto3.Session, workgroup: str
) -> None:
    athena = admin.client("athena", endpoint_url=aws.endpoint_url)
    with pytest.raises(QueryFailed, match="TABLE_NOT_FOUND"):
        run_query(
            athena,
            "SELECT * FROM amazon_security_lake_glue_db_eu_west_1.amazon_security_lake_table_"
            "eu_west_1_cloud_trail_mgmt_2_0",
            workgroup,
            sleep=lambda _: None,
        )


def test_the_cli_hunts_security_lake(
    aws: Emulator, lake: SeededLake, workgroup: str, tmp_path: Path
) -> None:
    """In process (the CloudTrail Lake test runs the command as a subprocess)."""
    arguments = ["--json", "hunt", "--case", str(tmp_path / "case"), "--source", "security-lake"]
    arguments += ["--since", "2024-07-31", "--until", "2024-08-01T23:59:59Z"]
    env = aws_env(aws.endpoint_url, REGION)
    refused = CliRunner().invoke(cli, arguments, env=env)
    assert refused.exit_code == 2 and "--athena-workgroup" in refused.output
    done = CliRunner().invoke(cli, [*arguments, "--athena-workgroup", workgroup], env=env)
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert result["events"] == len(expected_events(list(LAMBDA_RULES), SINCE, UNTIL)) > 0
    assert result["query_id"] and result["scanned_bytes"] > 0


def test_the_security_lake_scenario_holds_what_the_scenarios_before_it_did(
    aws: Emulator, admin: boto3.Session, lake: SeededLake, tmp_path: Path
) -> None:
    """`serve --scenario stratus --scenario security-lake`: the README's example, shorter."""
    seed(aws, ["stratus", "security-lake"])  # adds to the lake above: its table, its bucket
    now = datetime.now(UTC)
    case = Case.create(tmp_path / "case", {"test": True})
    options = HuntOptions(
        "lambda-ir",
        lake.qualified,
        now - timedelta(days=7),
        now + timedelta(minutes=5),
        LAMBDA_RULES,
        REGION,
        endpoint_url=aws.endpoint_url,
    )
    summary = hunt_security_lake(case, admin, options)
    # Stratus's Lambda persistence: a public AddPermission, code and layer changes.
    assert {"LIR-CT-001", "LIR-CT-003", "LIR-CT-004"} <= set(summary.ingested.by_rule)
    assert summary.ingested.by_account == {aws.account_id: summary.ingested.events}
