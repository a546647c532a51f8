"""The hunting query holds each rule once, and splits under Athena's query-length limit.

Every check compares against each rule run on its own over the same window, on DuckDB over
real CloudTrail records (Stratus Red Team), and through the Athena text transpiled back.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from lambda_ir.hunt.athena import QueryResult
from lambda_ir.hunt.local import load_table, run
from lambda_ir.hunt.query import MAX_QUERY_BYTES, RULES_COLUMN, hunt_queries, hunt_query
from lambda_ir.hunt.rules import LAMBDA_RULES, HuntRule, sigma_rules
from lambda_ir.hunt.run import once_each
from tests.hunt.trail_files import SIGMA, partition, records

TABLE = "hunt.trail"
SINCE = datetime(2024, 1, 1, tzinfo=UTC)
UNTIL = datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    load_table(connection, TABLE, ((r, partition(r)) for r in records()))
    return connection


@pytest.fixture(scope="module")
def rules() -> list[HuntRule]:
    sigma, _ = sigma_rules([SIGMA])
    return [*LAMBDA_RULES, *sigma]


def _depth(join: exp.Expr) -> int:
    """How many `||` hold `join`, itself included."""
    depth, node = 0, join
    while node is not None:
        depth += isinstance(node, exp.DPipe)
        node = node.parent
    return depth


def _each_rule_alone(con: duckdb.DuckDBPyConnection, rules: list[HuntRule]) -> dict[str, set[str]]:
    """eventid → the rules that select it, one rule per query (no hunt query involved)."""
    found: dict[str, set[str]] = defaultdict(set)
    window = (
        "\"timestamp\" BETWEEN '2024/01/01' AND '2024/12/31' "
        "AND eventtime >= '2024-01-01T00:00:00Z' AND eventtime <= '2024-12-31T23:59:59Z'"
    )
    for rule in rules:
        sql = f"SELECT eventid FROM {TABLE} WHERE {window} AND ({rule.sql('duckdb')})"
        for (event,) in con.execute(sql).fetchall():
            found[event].add(rule.id)
    return dict(found)


def _matches(con: duckdb.DuckDBPyConnection, texts: Sequence[str]) -> dict[str, set[str]]:
    """eventid → rules, from hunt queries' rows (merged across queries as `hunt` does)."""
    results = []
    for number, text in enumerate(texts):
        names, rows = run(con, text)
        results.append(QueryResult(f"q{number}", tuple(names), tuple(rows), 0, 0, {}, ()))
    found: dict[str, set[str]] = {}
    for result in once_each(results):
        for row in result.rows:
            values = dict(zip(result.columns, row, strict=True))
            labels = str(values[RULES_COLUMN]).split(",")
            assert str(values["eventid"]) not in found  # each event once across the queries
            found[str(values["eventid"])] = {label for label in labels if label}
    return found


def test_each_rule_appears_once_and_the_results_are_unchanged(
    con: duckdb.DuckDBPyConnection, rules: list[HuntRule]
) -> None:
    athena = hunt_query(TABLE, rules, SINCE, UNTIL, "athena")
    for rule in rules:
        assert athena.count(rule.sql("athena")) == 1, rule.id
        assert athena.count(f"'{rule.id},'") == 1, rule.id
    # The text is its fixed part plus each rule's CASE branch once: ~22 kB for 64 rules
    # (it was ~40 kB with every condition repeated in the WHERE).
    one = len(hunt_query(TABLE, rules[:1], SINCE, UNTIL, "athena").encode())
    two = len(hunt_query(TABLE, rules[:2], SINCE, UNTIL, "athena").encode())
    every = len(athena.encode())
    # A rule's share: CASE WHEN (<condition>) THEN '<id>,' ELSE '' END || (37 bytes + id),
    # and at most a pair of parentheses each side of a `||` (the joins are a balanced tree).
    assert two - one == len(rules[1].sql("athena").encode()) + 37 + len(rules[1].id)
    shares = sum(len(r.sql("athena").encode()) + 37 + len(r.id) for r in rules[1:])
    assert one + shares < every <= one + shares + 4 * (len(rules) - 1)
    # One level of `||` per halving (64 rules are 6 deep), not a chain of one level a rule:
    # DuckDB took 55 s to plan 800 rules so.
    joins = list(sqlglot.parse_one(athena, read="trino").find_all(exp.DPipe))
    assert len(joins) == len(rules) - 1
    assert max(_depth(join) for join in joins) == math.ceil(math.log2(len(rules)))
    expected = _each_rule_alone(con, rules)
    assert len(expected) >= 10 and any(len(v) > 1 for v in expected.values())
    assert _matches(con, [hunt_query(TABLE, rules, SINCE, UNTIL, "duckdb")]) == expected
    back = sqlglot.transpile(athena, read="trino", write="duckdb")[0]
    assert _matches(con, [back]) == expected


def test_rules_are_split_into_queries_within_the_limit(
    con: duckdb.DuckDBPyConnection, rules: list[HuntRule]
) -> None:
    whole = hunt_queries(TABLE, rules, SINCE, UNTIL, "athena")
    assert len(whole) == 1 and len(whole[0][1].encode()) <= MAX_QUERY_BYTES == 262_144
    limit = 6_000
    split = hunt_queries(TABLE, rules, SINCE, UNTIL, "athena", max_bytes=limit)
    assert len(split) >= 3
    assert all(len(text.encode()) <= limit for _, text in split)
    assert [r.id for group, _ in split for r in group] == [r.id for r in rules]  # all, in order
    expected = _each_rule_alone(con, rules)
    texts = [sqlglot.transpile(text, read="trino", write="duckdb")[0] for _, text in split]
    assert _matches(con, texts) == expected


def test_a_rule_too_long_for_one_query_is_refused(rules: list[HuntRule]) -> None:
    with pytest.raises(ValueError, match="alone makes a query"):
        hunt_queries(TABLE, rules[:3], SINCE, UNTIL, "athena", max_bytes=600)
