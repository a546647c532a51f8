"""`hunt --source cloudtrail-lake` against the emulator's CloudTrail Lake.

moto has no CloudTrail Lake: the emulator's (`emulator/cloudtrail_lake.py`) runs each
statement with DuckDB over its event data stores' events (here, real CloudTrail copied in
with StartImport from trail files), the Trino text transpiled by sqlglot. So these tests
show the workflow (submission, polling, pagination, failures, splitting under the statement
limit) and the ingestion; the SQL's agreement with the rules' DuckDB form is
`test_cloudtrail_lake_rules`'.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from lambda_ir.cli.main import cli
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.index import build_index, open_index
from lambda_ir.hunt.athena import QueryFailed, QueryResult
from lambda_ir.hunt.cloudtrail_lake import (
    LakeQueryOptions,
    hunt_cloudtrail_lake,
    run_lake_query,
)
from lambda_ir.hunt.query import RULES_COLUMN
from lambda_ir.hunt.rules import LAMBDA_RULES, sigma_rules
from lambda_ir.hunt.run import once_each
from tests.conftest import aws_env
from tests.hunt.trail_files import (
    REGION,
    SIGMA,
    SINCE,
    UNTIL,
    expected_events,
    records,
    trail_bucket,
)


@pytest.fixture(scope="module")
def store(aws: Emulator, admin: boto3.Session) -> dict[str, Any]:
    """An event data store holding the Stratus records, copied in from a trail's files."""
    bucket, _ = trail_bucket(admin, aws.endpoint_url)
    lake = admin.client("cloudtrail", endpoint_url=aws.endpoint_url)
    created = lake.create_event_data_store(Name=f"org-{uuid.uuid4().hex[:6]}")
    started = lake.start_import(
        Destinations=[created["EventDataStoreArn"]],
        ImportSource={
            "S3": {
                "S3LocationUri": f"s3://{bucket}/cloudtrail/AWSLogs/",
                "S3BucketRegion": REGION,
                "S3BucketAccessRoleArn": "arn:aws:iam::123456789012:role/lake-import",
            }
        },
    )
    imported = lake.get_import(ImportId=started["ImportId"])
    assert imported["ImportStatistics"]["EventsCompleted"] == len(records())
    return dict(created)


def test_hunt_splits_the_rules_runs_each_query_and_ingests_the_matches(
    aws: Emulator, admin: boto3.Session, store: dict[str, Any], tmp_path: Path
) -> None:
    # The Lambda rules (Sigma's are compared on DuckDB in test_cloudtrail_lake_rules), with a
    # statement limit low enough to need three queries, as 64 rules need under 10,000.
    rules = LAMBDA_RULES
    case = Case.create(tmp_path / "case", {"test": True})
    options = LakeQueryOptions(
        event_data_store=store["EventDataStoreArn"],
        since=SINCE,
        until=UNTIL,
        rules=rules,
        region=REGION,
        endpoint_url=aws.endpoint_url,
        max_statement=2000,
    )
    summary = hunt_cloudtrail_lake(case, admin, options)
    assert len(summary.query_ids) == 3 and not summary.unsupported
    expected = expected_events(list(rules), SINCE, UNTIL)
    assert expected and summary.ingested.events == len(expected)
    assert build_index(case)  # the very events, through the source and back into the case
    con = open_index(case)
    assert {r[0] for r in con.execute("SELECT event_id FROM trail_events").fetchall()} == expected
    # Bytes scanned: the window's events only (the store holds more), priced per GB.
    assert summary.scanned_bytes > 0 and summary.cost_usd == pytest.approx(
        summary.scanned_bytes / 1e9 * 0.005
    )
    stored = [e for e in case.entries() if e.kind == "trail"]
    assert {e.account for e in stored} == set(summary.ingested.by_account)
    assert all(e.path and e.path.startswith(f"trail/{e.account}/cloudtrail-lake/") for e in stored)
    assert all(e.api == "cloudtrail:GetQueryResults" for e in stored)
    described = [e for e in case.entries() if e.api == "cloudtrail:DescribeQuery"]
    assert len(described) == len(summary.query_ids)
    assert verify_case(case.root).ok
    assert "CloudTrail Lake queries" in summary.line()


def test_the_workflow_polls_pages_times_out_and_fails(
    aws: Emulator, admin: boto3.Session, store: dict[str, Any]
) -> None:
    lake = admin.client("cloudtrail", endpoint_url=aws.endpoint_url)
    store_id = store["EventDataStoreArn"].rsplit("/", 1)[-1]
    statement = f"SELECT eventid FROM {store_id} WHERE eventtime >= '2024-07-31 00:00:00'"
    result = run_lake_query(lake, statement, sleep=lambda _: None)
    assert result.columns == ("eventid",) and len(result.rows) > 1
    assert result.execution["QueryStatus"] == "FINISHED" and result.scanned_bytes > 0
    assert len(result.pages) == 1
    many = run_lake_query(lake, f"SELECT eventid FROM {store_id}", sleep=lambda _: None)
    assert len(many.rows) > len(records())  # and what the emulator recorded since
    with pytest.raises(QueryFailed, match="CANCELLED") as cancelled:  # past the timeout
        run_lake_query(lake, statement, timeout_s=0, sleep=lambda _: None)
    assert lake.describe_query(QueryId=cancelled.value.query_id)["QueryStatus"] == "CANCELLED"
    with pytest.raises(QueryFailed, match="FAILED") as failed:
        run_lake_query(
            lake, f"SELECT CAST(eventname AS INTEGER) FROM {store_id}", sleep=lambda _: None
        )
    assert "Could not convert" in failed.value.reason
    assert str(failed.value).startswith("CloudTrail Lake query ")


def test_results_page_by_page_give_the_same_rows(
    aws: Emulator, admin: boto3.Session, store: dict[str, Any]
) -> None:
    lake = admin.client("cloudtrail", endpoint_url=aws.endpoint_url)
    store_id = store["EventDataStoreArn"].rsplit("/", 1)[-1]
    statement = (  # the imported window only: the emulator records its own calls as well
        f"SELECT eventid FROM {store_id} WHERE eventtime >= '2024-07-31 00:00:00' "
        "AND eventtime <= '2024-08-01 23:59:59' ORDER BY eventid"
    )
    whole = run_lake_query(lake, statement, sleep=lambda _: None)
    paged = run_lake_query(lake, statement, page_size=2, sleep=lambda _: None)
    assert len(whole.pages) == 1 and len(paged.pages) == -(-len(whole.rows) // 2) > 1
    assert paged.rows == whole.rows and len(whole.rows) > 2


def test_columns_are_the_selected_ones_whatever_the_rows_leave_out(
    aws: Emulator, admin: boto3.Session, store: dict[str, Any]
) -> None:
    """A row leaves its nulls out: the first row's keys name neither all columns nor their order."""
    lake = admin.client("cloudtrail", endpoint_url=aws.endpoint_url)
    store_id = store["EventDataStoreArn"].rsplit("/", 1)[-1]
    statement = (
        f"SELECT errorcode, eventid FROM {store_id} WHERE eventtime >= '2024-07-31 00:00:00' "
        "ORDER BY errorcode NULLS FIRST"
    )
    result = run_lake_query(lake, statement, columns=("errorcode", "eventid"), sleep=lambda _: None)
    assert result.columns == ("errorcode", "eventid")
    assert result.rows[0][0] is None and all(row[1] for row in result.rows)


def test_once_each_merges_rules_by_each_query_own_columns() -> None:
    def result(columns: tuple[str, ...], row: tuple[str, ...]) -> QueryResult:
        return QueryResult("q", columns, (row,), 0, 0, {}, ())

    first = result((RULES_COLUMN, "eventid", "x"), ("A;", "e1", "1"))
    second = result(("eventid", "x", RULES_COLUMN), ("e1", "1", "B;"))
    merged = once_each([first, second])
    assert merged[0].rows == (("A;B;", "e1", "1"),) and merged[1].rows == ()


def test_the_timeout_counts_the_time_the_calls_take(
    aws: Emulator, admin: boto3.Session, store: dict[str, Any]
) -> None:
    """Sleeps of 0.2 s that take 0.5 s: past a 0.3 s timeout at the second look."""
    lake = admin.client("cloudtrail", endpoint_url=aws.endpoint_url)
    store_id = store["EventDataStoreArn"].rsplit("/", 1)[-1]
    with pytest.raises(QueryFailed, match="CANCELLED"):
        run_lake_query(
            lake, f"SELECT eventid FROM {store_id}", timeout_s=0.3, sleep=lambda _: time.sleep(0.5)
        )


def test_a_store_arn_in_another_region_is_called_there(
    aws: Emulator, admin: boto3.Session, tmp_path: Path
) -> None:
    elsewhere = admin.client("cloudtrail", region_name="eu-west-1", endpoint_url=aws.endpoint_url)
    created = elsewhere.create_event_data_store(Name=f"eu-{uuid.uuid4().hex[:6]}")
    case = Case.create(tmp_path / "case", {"test": True})
    quiet = datetime(2020, 1, 1, tzinfo=UTC)
    options = LakeQueryOptions(
        created["EventDataStoreArn"],
        quiet,
        quiet.replace(day=2),
        LAMBDA_RULES,
        REGION,  # the store's ARN says eu-west-1: that wins
        endpoint_url=aws.endpoint_url,
    )
    summary = hunt_cloudtrail_lake(case, admin, options)
    assert summary.query_ids and summary.ingested.events == 0
    described = [e for e in case.entries() if e.api == "cloudtrail:DescribeQuery"]
    assert described and all(e.region == "eu-west-1" for e in described)


def test_the_cli_hunts_an_event_data_store_and_index_joins_the_events(
    aws: Emulator, store: dict[str, Any], tmp_path: Path
) -> None:
    case = tmp_path / "case"
    store_id = store["EventDataStoreArn"].rsplit("/", 1)[-1]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambda_ir",
            "--json",
            "hunt",
            "--case",
            str(case),
            "--source",
            "cloudtrail-lake",
            "--event-data-store",
            store_id,
            "--since",
            "2024-07-31",
            "--until",
            "2024-08-01T23:59:59Z",
        ],
        env=aws_env(aws.endpoint_url, REGION),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["events"] == len(expected_events(list(LAMBDA_RULES), SINCE, UNTIL)) > 0
    con = open_index(Case.open(case)) if build_index(Case.open(case)) else None
    assert con is not None
    count = con.execute("SELECT count(*) FROM trail_events").fetchone()
    assert count is not None and count[0] == result["events"]
    refused = CliRunner().invoke(cli, ["hunt", "--case", str(case), "--source", "cloudtrail-lake"])
    assert refused.exit_code == 2 and "--event-data-store" in refused.output


def test_a_window_without_events_ingests_nothing(
    aws: Emulator, admin: boto3.Session, store: dict[str, Any], tmp_path: Path
) -> None:
    """No row names the columns then: the hunt still knows what it selected."""
    case = Case.create(tmp_path / "case", {"test": True})
    quiet = datetime(2020, 1, 1, tzinfo=UTC)
    options = LakeQueryOptions(
        store["EventDataStoreArn"],
        quiet,
        quiet.replace(day=2),
        LAMBDA_RULES,
        REGION,
        endpoint_url=aws.endpoint_url,
    )
    summary = hunt_cloudtrail_lake(case, admin, options)
    assert summary.ingested.events == 0 and summary.scanned_bytes == 0
    assert not [e for e in case.entries() if e.kind == "trail"]


def test_sigma_rules_at_the_default_limit_are_split_and_accepted(
    aws: Emulator, admin: boto3.Session, store: dict[str, Any], tmp_path: Path
) -> None:
    """The emulator refuses a statement over 10,000 characters, as StartQuery does."""
    sigma, _ = sigma_rules([SIGMA])
    rules = (*LAMBDA_RULES, *sigma)
    case = Case.create(tmp_path / "case", {"test": True})
    options = LakeQueryOptions(
        store["EventDataStoreArn"], SINCE, UNTIL, rules, REGION, endpoint_url=aws.endpoint_url
    )
    summary = hunt_cloudtrail_lake(case, admin, options)
    assert len(summary.query_ids) > 1
    refused = {u.id for u in summary.unsupported}
    pushed = [r for r in rules if r.id not in refused]
    assert summary.ingested.events == len(expected_events(pushed, SINCE, UNTIL)) > 0
