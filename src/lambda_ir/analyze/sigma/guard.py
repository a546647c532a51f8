"""Refuse a Sigma rule's SQL condition that is more than a condition on one record.

The backend quotes every value, so a rule's WHERE clause should only ever compare fields with
literals. This is the second line: a clause that parses (in sqlglot's tree, and in DuckDB's own
parser for the local path) into a subquery, a second statement, or DDL/DML is refused, and the
rule is reported unsupported with the reason; it never reaches DuckDB or Athena.
"""

from __future__ import annotations

import json

import duckdb
import sqlglot
from sqlglot import exp

# Anything that reads another table or changes state; a condition needs none of them.
FORBIDDEN: tuple[type[exp.Expr], ...] = (
    exp.Query,
    exp.Subquery,
    exp.Block,
    exp.Command,
    exp.DDL,
    exp.DML,
    exp.Drop,
    exp.Alter,
    exp.Set,
    exp.Pragma,
    exp.Use,
    exp.Attach,
    exp.Detach,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Describe,
    exp.Kill,
    exp.Install,
    exp.LoadData,
)


def refuse_statements(condition: exp.Expr) -> None:
    """Raise ValueError when the condition's tree holds a query, subquery or statement."""
    for node in condition.walk():
        if isinstance(node, FORBIDDEN):
            raise ValueError(f"condition holds a {type(node).__name__}, not only comparisons")


def check_where(where: str, checker: duckdb.DuckDBPyConnection) -> None:
    """Raise ValueError unless `where` is one condition to both sqlglot and DuckDB's parser.

    DuckDB's own parse is asked for (`extract_statements`, `json_serialize_sql`) because the
    local path runs the text itself; it is parsed, never executed, here.
    """
    try:
        trees = sqlglot.parse(where, read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        raise ValueError(f"condition does not parse: {exc}") from exc
    if len(trees) != 1 or trees[0] is None:
        raise ValueError("condition is more than one statement")
    refuse_statements(trees[0])
    query = f"SELECT NULL WHERE {where}"
    if len(checker.extract_statements(query)) != 1:
        raise ValueError("condition is more than one statement")
    row = checker.execute("SELECT json_serialize_sql(?)", [query]).fetchone()
    parsed = json.loads(row[0]) if row else {"error": True}
    if parsed.get("error"):
        raise ValueError(f"DuckDB does not parse the condition: {parsed.get('error_message')}")
    if _has_subquery(parsed):
        raise ValueError("condition holds a subquery, not only comparisons")


def _has_subquery(node: object) -> bool:
    if isinstance(node, dict):
        return node.get("class") == "SUBQUERY" or any(_has_subquery(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_subquery(v) for v in node)
    return False
