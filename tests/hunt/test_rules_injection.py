"""A Sigma rule's `|re` value with a `'` stays one string literal in the hunt's SQL, on DuckDB,
Athena and both lakes' rewrites; a condition holding a subquery or statement is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from lambda_ir.analyze.sigma.guard import refuse_statements
from lambda_ir.analyze.sigma.rules import CompiledRule, Unsupported
from lambda_ir.hunt import rules as hunt_rules
from lambda_ir.hunt.cloudtrail_lake import lake_rules
from lambda_ir.hunt.rules import ENGINES, HuntRule, sigma_rules
from lambda_ir.hunt.security_lake import ocsf_rules
from lambda_ir.model import Severity

BREAKOUT = "a' || (SELECT max(table_name) FROM information_schema.tables) || 'b"
STATEMENT = "a'; DROP TABLE x; SELECT 'b"


def _hunt_rule(folder: Path, value: str) -> HuntRule:
    (folder / "breakout.yml").write_text(
        "title: breakout\nlogsource: {product: aws, service: cloudtrail}\n"
        f'detection:\n  sel:\n    eventName|re: "{value}"\n  condition: sel\n'
    )
    (rule,), unsupported = sigma_rules([folder])
    assert unsupported == []
    return rule


def _assert_one_literal(sql: str, dialect: str, value: str) -> None:
    (tree,) = sqlglot.parse(sql, read=dialect)
    assert tree is not None
    assert not list(tree.find_all(exp.Query, exp.Subquery, exp.Block, exp.Command, exp.Drop))
    assert value in [s.this for s in tree.find_all(exp.Literal) if s.is_string]


@pytest.mark.parametrize("value", [BREAKOUT, STATEMENT], ids=["subquery", "statement"])
def test_a_quote_in_a_regex_is_one_literal_in_every_engine(tmp_path: Path, value: str) -> None:
    rule = _hunt_rule(tmp_path, value)
    for engine, dialect in ENGINES.items():
        _assert_one_literal(rule.sql(engine), dialect, value)
    for rewrite in (lake_rules, ocsf_rules):
        rewritten, refused = rewrite([rule])
        assert refused == []
        _assert_one_literal(rewritten[0].sql("athena"), "trino", value)


@pytest.mark.parametrize(
    "text",
    [
        "a = 1; DROP TABLE x",
        "a = (SELECT 1)",
        "a IN (SELECT 1)",
        "regexp_matches(a, CONCAT('a', (SELECT MAX(table_name) FROM t), 'b'))",
    ],
)
def test_a_condition_holding_a_query_or_statement_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="condition holds"):
        refuse_statements(sqlglot.parse_one(text, read="duckdb"))


def test_sigma_rules_skips_a_compiled_clause_with_a_subquery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A clause that got past the loader (it is refused there too) is still not pushed down.
    where = "(record->>'$.\"eventName\"') = (SELECT max(table_name) FROM information_schema.tables)"
    compiled = CompiledRule("r1", "leaky", Severity.LOW, (), "r1.yml", where, "")

    def load(_dirs: object) -> tuple[list[CompiledRule], list[Unsupported]]:
        return [compiled], []

    monkeypatch.setattr(hunt_rules, "load_rules", load)
    rules, unsupported = sigma_rules([])
    assert rules == []
    assert [(u.id, "Subquery" in u.reason) for u in unsupported] == [("sigma:r1", True)]
