"""One rule source, three tables: every rule rewritten for CloudTrail Lake and for Security Lake
selects, on DuckDB, the same events as the rule on the CloudTrail table, over real CloudTrail
(Stratus Red Team's records) laid out in each source's schema; and a row of each source's
hunting query turns back into the record it came from, but for what each mapping documents
as lost. No AWS here: the emulator tests run the same texts through its APIs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot

from lambda_ir.hunt.cloudtrail_lake import lake_queries, lake_rules
from lambda_ir.hunt.cloudtrail_lake_schema import COLUMNS as LAKE_COLUMNS
from lambda_ir.hunt.cloudtrail_lake_schema import lake_row, record_of_lake
from lambda_ir.hunt.local import load_table, run
from lambda_ir.hunt.rules import LAMBDA_RULES, HuntRule, sigma_rules
from lambda_ir.hunt.security_lake import lake_select, ocsf_rules
from lambda_ir.hunt.security_lake_ocsf import ocsf_event, record_of_ocsf
from lambda_ir.hunt.security_lake_schema import COLUMNS as OCSF_COLUMNS
from lambda_ir.hunt.security_lake_schema import duckdb_type
from tests.hunt.trail_files import SIGMA, partition, records

STORE = "0a1b2c3d-1111-2222-3333-444455556666"
SINCE = datetime(2024, 1, 1, tzinfo=UTC)
UNTIL = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> list[HuntRule]:
    sigma, _ = sigma_rules([SIGMA])
    return [*LAMBDA_RULES, *sigma]


def _table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    columns: Any,
    rows: list[dict[str, Any]],
    folder: Path,
) -> None:
    path = folder / f"{name.replace('.', '_').replace('-', '_')}.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    spec = "{" + ", ".join(f"'{n}': '{duckdb_type(k)}'" for n, k in columns) + "}"
    con.execute(
        f"CREATE TABLE {name} AS SELECT * FROM "
        f"read_json(?, format = 'newline_delimited', columns = {spec})",
        [str(path)],
    )


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The records as Athena's CloudTrail table, a CloudTrail Lake store, Security Lake's table."""
    folder = tmp_path_factory.mktemp("lakes")
    connection = duckdb.connect()
    found = records()
    load_table(connection, "hunt.trail", ((r, partition(r)) for r in found))
    _table(connection, f'"{STORE}"', LAKE_COLUMNS, [lake_row(r) for r in found], folder)
    connection.execute("CREATE SCHEMA lake")
    keys = (("region", "string"), ("accountid", "string"), ("eventday", "string"))
    ocsf = [
        ocsf_event(r)
        | {
            "region": partition(r)["region"],
            "accountid": partition(r)["account"],
            "eventday": partition(r)["timestamp"].replace("/", ""),
        }
        for r in found
    ]
    _table(connection, "lake.ocsf", (*OCSF_COLUMNS, *keys), ocsf, folder)
    return connection


def _ids(con: duckdb.DuckDBPyConnection, table: str, column: str, athena_text: str) -> set[str]:
    condition = sqlglot.transpile(athena_text, read="trino", write="duckdb")[0]
    return {
        row[0] for row in con.execute(f"SELECT {column} FROM {table} WHERE {condition}").fetchall()
    }


def test_every_rule_selects_the_same_events_in_each_source(
    con: duckdb.DuckDBPyConnection, rules: list[HuntRule]
) -> None:
    by_id = {rule.id: rule for rule in rules}
    lake, lake_refused = lake_rules(rules)
    ocsf, ocsf_refused = ocsf_rules(rules)
    assert not ocsf_refused  # every field the rules read has an OCSF home
    # Two Sigma rules read inside a nested request/response value: a map<string,string> there.
    assert len(lake_refused) <= 2 and all("map<string,string>" in u.reason for u in lake_refused)
    fired = 0
    for rewritten, table, column in [
        *((r, f'"{STORE}"', "eventid") for r in lake),
        *((r, "lake.ocsf", "metadata.uid") for r in ocsf),
    ]:
        local = _ids(con, "hunt.trail", "eventid", by_id[rewritten.id].sql("athena"))
        assert _ids(con, table, column, rewritten.sql("athena")) == local, (rewritten.id, table)
        fired += bool(local)
    assert fired >= 20  # not a comparison of empty sets


def _flat(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict) and value:
            out |= _flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


EMPTY_FEDERATION = "userIdentity.sessionContext.webIdFederationData"  # {} is not kept


def _differences(original: dict[str, Any], back: dict[str, Any]) -> set[str]:
    """The flattened keys whose values differ, maps' keys folded to `requestParameters.*`."""
    a, b = _flat(original), _flat(back)
    differ = {key for key in set(a) | set(b) if a.get(key) != b.get(key)}
    maps = ("requestParameters.", "responseElements.")
    return {key.split(".")[0] + ".*" if key.startswith(maps) else key for key in differ}


def test_a_lake_query_row_turns_back_into_its_record(
    con: duckdb.DuckDBPyConnection, rules: list[HuntRule]
) -> None:
    lake, _ = lake_rules(rules)
    queries = lake_queries(STORE, lake, SINCE, UNTIL, 10_000)
    assert len(queries) >= 2 and all(len(text) <= 10_000 for _, text in queries)
    assert all(f"FROM {STORE}" in text for _, text in queries)  # the id, unquoted, as AWS shows
    originals = {r["eventID"]: r for r in records()}
    seen: set[str] = set()
    for _, text in queries:
        duck = sqlglot.transpile(
            text.replace(f"FROM {STORE}", f'FROM "{STORE}"'), read="trino", write="duckdb"
        )[0]
        names, rows = run(con, duck)
        for row in rows:
            record = record_of_lake(dict(zip(names, row, strict=True)))
            seen.add(record["eventID"])
            lost = _differences(originals[record["eventID"]], record)
            # Documented: map values come back as text; a JSON string comes back parsed.
            assert lost <= {"requestParameters.*", "responseElements.*", EMPTY_FEDERATION}, lost
    assert len(seen) >= 10


def test_a_security_lake_row_turns_back_into_its_record(
    con: duckdb.DuckDBPyConnection, rules: list[HuntRule]
) -> None:
    ocsf, _ = ocsf_rules(rules)
    text = lake_select("lake.ocsf", ocsf, SINCE, UNTIL).sql(dialect="trino")
    assert "time_dt >= CAST('2024-01-01 00:00:00' AS TIMESTAMP)" in text
    names, rows = run(con, sqlglot.transpile(text, read="trino", write="duckdb")[0])
    originals = {r["eventID"]: r for r in records()}
    assert len(rows) >= 10
    for row in rows:
        record = record_of_ocsf(dict(zip(names, row, strict=True)))
        lost = _differences(originals[record["eventID"]], record)
        assert lost <= {EMPTY_FEDERATION}, lost
