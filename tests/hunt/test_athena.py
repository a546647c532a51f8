"""`lambda-ir hunt` and the Athena API workflow against the emulator.

moto executes no SQL: the emulator's Athena (`emulator/athena.py`) runs each query by
transpiling its Trino text to DuckDB and reading the trail files its S3 holds, pruned to the
partitions the query keeps. So these tests show the workflow (submission, polling,
pagination, failures), the partition pruning and the ingestion; the SQL is DuckDB's reading
of the Athena text, whose agreement with the rules' DuckDB form `test_rules` checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
from botocore.exceptions import ClientError

from lambda_ir.aws import ClientFactory
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.index import build_index, open_index
from lambda_ir.hunt.athena import QueryFailed, cost_usd, run_query, wait
from lambda_ir.hunt.local import load_table, run
from lambda_ir.hunt.query import hunt_query
from lambda_ir.hunt.rules import LAMBDA_RULES, sigma_rules
from lambda_ir.hunt.run import HuntOptions, hunt
from lambda_ir.respond.hunt_table import TableRequest, apply_table, plan_table, save_plan
from tests.conftest import aws_env
from tests.hunt.trail_files import (
    ORG,
    REGION,
    SIGMA,
    SINCE,
    UNTIL,
    partition,
    records,
    result_workgroup,
    trail_bucket,
)


@pytest.fixture(scope="module")
def trail(aws: Emulator, admin: boto3.Session) -> dict[str, Any]:
    """A bucket with an organisation trail's files (2024) and a workgroup."""
    bucket, objects = trail_bucket(admin, aws.endpoint_url, "org-trail")
    workgroup = result_workgroup(admin, aws.endpoint_url, bucket)
    return {"bucket": bucket, "objects": objects, "workgroup": workgroup}


def _in_window(key: str) -> bool:
    day = "/".join(key.split("/")[-4:-1])
    return "2024/07/31" <= day <= "2024/08/01"


def _expected_events(rules: list[Any]) -> set[str]:
    """The events the same query selects on DuckDB over the same records, locally."""
    con = duckdb.connect()
    load_table(con, "hunt.trail", ((r, partition(r)) for r in records()))
    names, rows = run(con, hunt_query("hunt.trail", rules, SINCE, UNTIL, "duckdb"))
    return {str(dict(zip(names, row, strict=True))["eventid"]) for row in rows}


def test_hunt_creates_the_table_prunes_partitions_and_ingests_matches(
    aws: Emulator, admin: boto3.Session, trail: dict[str, Any], tmp_path: Path
) -> None:
    sigma, unsupported = sigma_rules([SIGMA])
    rules = [*LAMBDA_RULES, *sigma]
    case = Case.create(tmp_path / "case", {"test": True})
    clients = ClientFactory(admin, endpoint_url=aws.endpoint_url)
    request = TableRequest(
        "ir_hunt.cloudtrail", f"s3://{trail['bucket']}/cloudtrail", trail["workgroup"], REGION
    )
    plan = plan_table(clients, request)
    assert apply_table(case, clients, plan, save_plan(case, plan, apply=True, now="t")).in_place
    options = HuntOptions(
        workgroup=trail["workgroup"],
        table="ir_hunt.cloudtrail",
        since=SINCE,
        until=UNTIL,
        rules=tuple(rules),
        region=REGION,
        unsupported=tuple(unsupported),
        endpoint_url=aws.endpoint_url,
    )
    summary = hunt(case, admin, options)
    # Only the window's days were read: partition pruning, as Athena bills it.
    in_window = sum(len(body) for key, body in trail["objects"].items() if _in_window(key))
    assert 0 < summary.scanned_bytes == in_window < sum(map(len, trail["objects"].values()))
    assert summary.cost_usd == cost_usd(in_window) == 10 / 1024**2 * 5.0  # the 10 MB minimum
    expected = _expected_events(rules)
    assert expected and summary.ingested.events == len(expected) == summary.rows
    stored = [e for e in case.entries() if e.kind == "trail"]
    assert {e.account for e in stored} == set(summary.ingested.by_account)
    assert len(stored) >= 2  # events of several accounts, one artifact each
    assert all(e.path.startswith(f"trail/{e.account}/athena/") for e in stored if e.path)
    pages = [
        e for e in case.entries() if e.api == "athena:GetQueryResults" and e.kind == "response"
    ]
    assert pages and all(e.error is None for e in pages)
    assert verify_case(case.root).ok


def test_the_cli_hunts_and_index_joins_the_events(
    aws: Emulator, trail: dict[str, Any], tmp_path: Path
) -> None:
    env = aws_env(aws.endpoint_url, REGION)
    case = tmp_path / "case"
    cli = [sys.executable, "-m", "lambda_ir"]
    done = subprocess.run(
        [
            *cli,
            "--json",
            "hunt",
            "--case",
            str(case),
            "--athena-workgroup",
            trail["workgroup"],
            "--trail-table",
            "cli_hunt.trail",
            "--create-table",
            f"s3://{trail['bucket']}/cloudtrail",
            "--apply",
            "--since",
            "2024-07-31",
            "--until",
            "2024-08-01T23:59:59Z",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["events"] == len(_expected_events(list(LAMBDA_RULES))) > 0
    assert result["by_rule"] and set(result["by_rule"]) <= {r.id for r in LAMBDA_RULES}
    # The events join the normalised trail table (index in-process: one subprocess is enough).
    con = open_index(Case.open(case)) if build_index(Case.open(case)) else None
    assert con is not None
    count = con.execute("SELECT count(*) FROM trail_events").fetchone()
    assert count is not None and count[0] == result["events"]


def test_athena_workflow_polls_pages_and_fails_as_athena(
    aws: Emulator, admin: boto3.Session, trail: dict[str, Any]
) -> None:
    athena = admin.client("athena", endpoint_url=aws.endpoint_url)
    workgroup = trail["workgroup"]
    started = athena.start_query_execution(
        QueryString="SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3", WorkGroup=workgroup
    )["QueryExecutionId"]
    with pytest.raises(ClientError, match="has not yet finished"):
        athena.get_query_results(QueryExecutionId=started)
    first = athena.get_query_execution(QueryExecutionId=started)["QueryExecution"]
    assert first["Status"]["State"] == "RUNNING"
    assert (
        wait(athena, started, timeout_s=10, sleep=lambda _: None)["Status"]["State"] == "SUCCEEDED"
    )
    seen, token = [], None
    while True:
        page = athena.get_query_results(
            QueryExecutionId=started, MaxResults=2, **({"NextToken": token} if token else {})
        )
        seen.append([c.get("VarCharValue") for r in page["ResultSet"]["Rows"] for c in r["Data"]])
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [["a", "1"], ["2", "3"]]  # header row first, then two pages
    result = run_query(athena, "SELECT 1 AS a", workgroup, sleep=lambda _: None)
    assert result.columns == ("a",) and result.rows == (("1",),)
    with pytest.raises(QueryFailed, match="TABLE_NOT_FOUND") as failed:
        run_query(athena, "SELECT * FROM nodb.nosuch", workgroup, sleep=lambda _: None)
    assert failed.value.state == "FAILED"
    with pytest.raises(ClientError, match="WorkGroup nosuch is not found"):
        athena.start_query_execution(QueryString="SELECT 1", WorkGroup="nosuch")
    assert ORG  # the trail is laid out as an organisation trail (AWSLogs/o-…/<account>/)


def test_the_timeout_counts_the_time_the_calls_take(
    aws: Emulator, admin: boto3.Session, trail: dict[str, Any]
) -> None:
    """A look that takes 0.5 s (a slow network, before the request is sent) passes 0.3 s."""
    athena = admin.client("athena", endpoint_url=aws.endpoint_url)
    athena.meta.events.register("before-send.athena.GetQueryExecution", lambda **_: time.sleep(0.5))
    with pytest.raises(QueryFailed, match="CANCELLED") as stopped:
        run_query(athena, "SELECT 1 AS a", trail["workgroup"], timeout_s=0.3)
    assert str(stopped.value).startswith("Athena query ")


def test_a_query_over_athenas_limit_is_refused_and_a_hunt_splits_under_it(
    aws: Emulator, admin: boto3.Session, trail: dict[str, Any], tmp_path: Path
) -> None:
    """262,144 bytes (a quota AWS cannot raise): longer is InvalidRequestException; a hunt whose
    rules need more is split into queries Athena accepts, at the default limit."""
    athena = admin.client("athena", endpoint_url=aws.endpoint_url)
    padding = "x" * (262_144 - len("SELECT '' AS a"))
    assert run_query(athena, f"SELECT '{padding}' AS a", trail["workgroup"], sleep=lambda _: None)
    with pytest.raises(ClientError, match=r"InvalidRequestException.*262144"):
        athena.start_query_execution(
            QueryString=f"SELECT '{padding}x' AS a", WorkGroup=trail["workgroup"]
        )
    sigma, _ = sigma_rules([SIGMA])
    base = [*LAMBDA_RULES, *sigma]
    rules = [replace(r, id=f"{r.id}-{n}") for n in range(12) for r in base]
    clients = ClientFactory(admin, endpoint_url=aws.endpoint_url)
    request = TableRequest(
        "ir_split.cloudtrail", f"s3://{trail['bucket']}/cloudtrail", trail["workgroup"], REGION
    )
    case = Case.create(tmp_path / "case", {"test": True})
    plan = plan_table(clients, request)
    assert apply_table(case, clients, plan, save_plan(case, plan, apply=True, now="t")).in_place
    options = HuntOptions(
        workgroup=trail["workgroup"],
        table="ir_split.cloudtrail",
        since=SINCE,
        until=UNTIL,
        rules=tuple(rules),
        region=REGION,
        endpoint_url=aws.endpoint_url,
    )
    summary = hunt(case, admin, options)
    assert len(summary.query_ids) > 1
    assert summary.ingested.events == len(_expected_events(base)) > 0
