"""One rule source, two engines: every compiled rule selects the same events on DuckDB locally
and through its Athena (Trino) text transpiled back, over real CloudTrail records.

Sigma rules are also checked against the analyze engine's own DuckDB evaluation on the raw
record (`record->>'$.…'`), so rewriting fields to the table's columns changed no answer.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import orjson
import pytest
import sqlglot

from lambda_ir.analyze.sigma.rules import load_rules
from lambda_ir.hunt.cloudtrail_lake import store_id
from lambda_ir.hunt.local import load_table, run
from lambda_ir.hunt.query import check_table, hunt_query
from lambda_ir.hunt.rules import LAMBDA_RULES, HuntRule, field_expression, sigma_rules
from lambda_ir.hunt.table import create_table_sql, record_of
from tests.hunt.trail_files import SIGMA, partition, records

TABLE = "hunt.trail"


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    """The Stratus records as Athena's CloudTrail table, and as raw JSON records."""
    connection = duckdb.connect()
    found = records()
    assert load_table(connection, TABLE, ((r, partition(r)) for r in found)) == len(found)
    connection.execute("CREATE TABLE raw (record JSON)")
    connection.executemany(
        "INSERT INTO raw VALUES (?)", [[orjson.dumps(r).decode()] for r in found]
    )
    return connection


@pytest.fixture(scope="module")
def rules() -> list[HuntRule]:
    sigma, unsupported = sigma_rules([SIGMA])
    assert len(sigma) >= 50, unsupported  # SigmaHQ's CloudTrail rules, nearly all
    return [*LAMBDA_RULES, *sigma]


def _ids(con: duckdb.DuckDBPyConnection, condition: str) -> set[str]:
    rows = con.execute(f"SELECT eventid FROM {TABLE} WHERE {condition}").fetchall()
    return {row[0] for row in rows}


def test_every_rule_agrees_on_duckdb_and_on_its_athena_text(
    con: duckdb.DuckDBPyConnection, rules: list[HuntRule]
) -> None:
    fired = 0
    for rule in rules:
        local = _ids(con, rule.sql("duckdb"))
        athena = rule.sql("athena")
        back = sqlglot.transpile(athena, read="trino", write="duckdb")[0]
        assert _ids(con, back) == local, (rule.id, athena)
        fired += bool(local)
    assert fired >= 10  # the comparison is not between empty sets


def test_sigma_rules_pushed_down_match_the_analyze_engine(
    con: duckdb.DuckDBPyConnection, rules: list[HuntRule]
) -> None:
    by_id = {r.id: r for r in rules}
    compiled, _ = load_rules([SIGMA])
    compared = 0
    for rule in compiled:
        hunted = by_id.get(f"sigma:{rule.id}")
        if hunted is None:
            continue  # a field the table lacks: reported unsupported, never silently dropped
        raw = {
            row[0]
            for row in con.execute(
                f"SELECT record->>'$.eventID' FROM raw WHERE {rule.where}"
            ).fetchall()
        }
        assert _ids(con, hunted.sql("duckdb")) == raw, rule.title
        compared += 1
    assert compared >= 50


def test_one_query_labels_each_event_with_the_rules_it_matched(
    con: duckdb.DuckDBPyConnection, rules: list[HuntRule]
) -> None:
    times = sorted(r["eventTime"] for r in records())
    since = datetime.fromisoformat(times[0].replace("Z", "+00:00"))
    until = datetime.fromisoformat(times[-1].replace("Z", "+00:00"))
    names, rows = run(con, hunt_query(TABLE, rules, since, until, "duckdb"))
    labelled: dict[str, set[str]] = {}
    for row in rows:
        values = dict(zip(names, row, strict=True))
        labelled[str(values["eventid"])] = set(filter(None, str(values["lir_rules"]).split(",")))
    expected: dict[str, set[str]] = {}
    for rule in rules:
        for event_id in _ids(con, rule.sql("duckdb")):
            expected.setdefault(event_id, set()).add(rule.id)
    assert labelled == expected
    # A row turns back into the record it came from.
    originals = {r["eventID"]: r for r in records()}
    for row in rows:
        record = record_of(dict(zip(names, row, strict=True)))
        original = originals[record["eventID"]]
        assert record["eventName"] == original["eventName"]
        assert record["userIdentity"]["arn"] == original["userIdentity"].get("arn")
        assert record.get("requestParameters") == original.get("requestParameters")


def test_the_window_bounds_both_the_partition_and_the_event_time(rules: list[HuntRule]) -> None:
    since = datetime(2024, 7, 31, 13, 0, tzinfo=UTC)
    until = datetime(2024, 8, 1, 9, 30, tzinfo=UTC)
    athena = hunt_query(TABLE, rules[:1], since, until, "athena")
    assert "\"timestamp\" BETWEEN '2024/07/31' AND '2024/08/01'" in athena
    assert "eventtime >= '2024-07-31T13:00:00Z'" in athena
    assert "eventtime <= '2024-08-01T09:30:00Z'" in athena


def test_fields_map_to_the_tables_columns() -> None:
    assert field_expression(["eventName"]).sql("trino") == "eventname"
    assert (
        field_expression(["userIdentity", "sessionContext", "sessionIssuer", "arn"]).sql("trino")
        == "useridentity.sessioncontext.sessionissuer.arn"
    )
    assert (
        field_expression(["requestParameters", "functionName"]).sql("trino")
        == "JSON_EXTRACT_SCALAR(requestparameters, '$.functionName')"
    )
    with pytest.raises(ValueError, match="not in the CloudTrail table"):
        field_expression(["userIdentity", "nosuch"])
    with pytest.raises(ValueError, match="not in the CloudTrail table"):
        field_expression(["status"])


def test_table_names_never_reach_sql_unchecked() -> None:
    with pytest.raises(ValueError, match=r"DATABASE\.TABLE"):
        hunt_query(
            "db.t; DROP TABLE x", list(LAMBDA_RULES), datetime.now(UTC), datetime.now(UTC), "athena"
        )
    ddl = create_table_sql(
        "db.trail",
        "s3://b/p/AWSLogs/o-1",
        ["111122223333"],
        ["us-east-1"],
        datetime(2024, 1, 1).date(),
    )
    assert (
        "'storage.location.template'='s3://b/p/AWSLogs/o-1/${account}/CloudTrail/${region}/${timestamp}'"
        in ddl
    )
    assert "'projection.timestamp.range'='2024/01/01,NOW'" in ddl
    assert "`useridentity` STRUCT<type:STRING" in ddl


def test_a_folder_name_cannot_break_out_of_the_table_definition() -> None:
    with pytest.raises(ValueError, match="cannot be part of the table definition"):
        create_table_sql(
            "db.trail",
            "s3://b/AWSLogs",
            ["111122223333"],
            ["us-east-1'); DROP"],
            datetime(2024, 1, 1).date(),
        )


@pytest.mark.parametrize(
    ("base", "region"),
    [("s3://b/AWSLogs/o-abc\n", "us-east-1"), ("s3://b/AWSLogs", "us-east-1\n")],
)
def test_a_line_break_at_the_end_of_a_name_is_refused_too(base: str, region: str) -> None:
    # `^…$` with `match` took a value ending in a line break (`$` matches before it)
    with pytest.raises(ValueError, match="cannot be part of the table definition"):
        create_table_sql("db.trail", base, ["111122223333"], [region], datetime(2024, 1, 1).date())
    with pytest.raises(ValueError, match=r"is not DATABASE\.TABLE"):
        check_table("db.trail\n")
    with pytest.raises(ValueError, match="is not an event data store"):
        store_id("arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/abc-123\n")
