"""A Sigma rule's values stay SQL literals on the local (DuckDB) path: a `'` in any value kind
is doubled, and a clause that would parse into a subquery or a second statement is refused."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from lambda_ir.analyze.detectors import sigma_rules
from lambda_ir.analyze.sigma.guard import check_where
from lambda_ir.analyze.sigma.rules import load_rules
from tests.analyze.casebuild import CaseBuilder, run_detector, trail_event

BREAKOUT = "a' || (SELECT max(table_name) FROM information_schema.tables) || 'b"
STATEMENT = "a'; DROP TABLE x; SELECT 'b"


def _rule(folder: Path, name: str, selection: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(
        f"title: {name}\nlogsource: {{product: aws, service: cloudtrail}}\n"
        f"detection:\n  sel:\n{selection}\n  condition: sel\n"
    )
    return path


def _constants(node: object) -> list[str]:
    """Every string constant in DuckDB's own parse tree."""
    if isinstance(node, dict):
        found = [str(v["text"]) for k, v in node.items() if k == "literal" and "text" in v]
        return found + [c for v in node.values() for c in _constants(v)]
    if isinstance(node, list):
        return [c for v in node for c in _constants(v)]
    return []


@pytest.mark.parametrize("value", [BREAKOUT, STATEMENT], ids=["subquery", "statement"])
def test_a_quote_in_a_regex_stays_inside_its_literal(tmp_path: Path, value: str) -> None:
    _rule(tmp_path, "breakout", f'    eventName|re: "{value}"')
    (rule,), unsupported = load_rules([tmp_path])
    assert unsupported == []
    con = duckdb.connect()
    query = f"SELECT NULL WHERE {rule.where}"
    assert len(con.extract_statements(query)) == 1
    (text,) = con.execute("SELECT json_serialize_sql(?)", [query]).fetchone() or ("",)
    assert '"SUBQUERY"' not in text
    assert value in _constants(json.loads(text))


def test_a_regex_with_a_quote_matches_the_quote_locally(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    _rule(rules, "quoted", '    eventName|re: "^it\'s$"')
    builder = CaseBuilder(tmp_path / "case")
    builder.trail([trail_event("it's", event_id="quoted"), trail_event("its", event_id="plain")])
    found = run_detector(builder, sigma_rules.DETECTOR, sigma_dirs=(rules,))
    assert [f.details["event_id"] for f in found] == ["quoted"]


@pytest.mark.parametrize(
    ("selection", "name", "matches"),
    [
        ('    eventName: "x\' OR 1=1 --"', "x' OR 1=1 --", True),
        ('    eventName: "x\' OR 1=1 --"', "y", False),
        ('    eventName|contains: "\'; DROP"', "a'; DROP b", True),
        ('    eventName|startswith: "\'||"', "'||x", True),
        ('    eventName|endswith: "\'||"', "x'|", False),
        ('    "requestParameters.a\'b": v', "v", False),
        ("    sourceIPAddress|cidr: 10.0.0.0/8", "10.1.2.3", False),
    ],
)
def test_every_value_kind_is_a_literal(
    tmp_path: Path, selection: str, name: str, matches: bool
) -> None:
    _rule(tmp_path, "kinds", selection)
    (rule,), unsupported = load_rules([tmp_path])
    assert unsupported == []
    con = duckdb.connect()
    record = json.dumps({"eventName": name, "sourceIPAddress": "192.0.2.1"})
    query = f"SELECT count(*) FROM (SELECT ?::JSON AS record) WHERE {rule.where}"
    hit = con.execute(query, [record])
    assert hit.fetchone() == (int(matches),)


@pytest.mark.parametrize(
    "where",
    [
        "x = 1; DROP TABLE t",
        "x = 1; COPY (SELECT 1) TO 'out.csv'",
        "x = (SELECT 1)",
        "x IN (SELECT 1)",
        "EXISTS (SELECT 1)",
        "x = 'a' || (SELECT max(table_name) FROM information_schema.tables)",
    ],
)
def test_a_clause_that_is_more_than_a_condition_is_refused(where: str) -> None:
    with pytest.raises(ValueError, match=r"statement|subquery|Select|Subquery|Exists|Drop|Copy"):
        check_where(where, duckdb.connect())


def test_plain_conditions_pass_the_check() -> None:
    check_where("coalesce(regexp_matches(x, 'a'' || (SELECT 1) || '''), false)", duckdb.connect())
    check_where("x ILIKE 'a\\_%' ESCAPE '\\' AND y IS NULL", duckdb.connect())
