"""Hunting rules in one representation, compiled for two engines: DuckDB and Athena (Trino).

A `HuntRule`'s condition is a sqlglot expression over the standard CloudTrail table's columns
(`hunt.table`): `eventname`, `useridentity.arn`, `requestparameters->>'$.x'`… It is written
once, in DuckDB's dialect, and sqlglot generates both engines' SQL from the same tree
(`compile_condition`). Two sources feed it:
- `LAMBDA_RULES`: the candidate selection of the Lambda CloudTrail detectors (LIR-CT-*): the
  events each one reads. The detectors' finer checks (a foreign account, a known role) run in
  `analyze` on the events the hunt brings into the case.
- the responder's Sigma rules (`sigma_rules`): pySigma's DuckDB clause over the raw record
  (`record->>'$."a"."b"'`) with each field rewritten to its column; a rule reading a field the
  table does not have is returned as unsupported, with the reason.
Lambda's event names carry a version suffix (`AddPermission20150331v2`); `_operations`
matches the name with or without it. Regular expressions run on DuckDB's RE2 and Trino's
Java engine: the patterns used here mean the same in both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import sqlglot
from sqlglot import exp

from lambda_ir.analyze.sigma.guard import refuse_statements
from lambda_ir.analyze.sigma.rules import load_rules
from lambda_ir.hunt.table import JSON_TEXT, SCALARS, STRUCTS, ArrayOf, Struct
from lambda_ir.model import Severity

SOURCE_DIALECT = "duckdb"
ENGINES = {"duckdb": "duckdb", "athena": "trino"}


@dataclass(frozen=True)
class HuntRule:
    """One rule: its id, title, severity, ATT&CK ids and the condition on a table row."""

    id: str
    title: str
    severity: Severity
    attack: tuple[str, ...]
    condition: exp.Expr

    def sql(self, engine: str) -> str:
        """The condition in `engine`'s SQL (`duckdb` or `athena`)."""
        return compile_condition(self.condition, engine)


@dataclass(frozen=True)
class Unsupported:
    """A rule that cannot be pushed down, and why."""

    id: str
    title: str
    reason: str


def compile_condition(condition: exp.Expr, engine: str) -> str:
    """One engine's SQL text for a condition (`duckdb`, or `athena` = Trino)."""
    return condition.sql(dialect=ENGINES[engine])


def _operations(source: str, *names: str) -> str:
    pattern = "^(" + "|".join(names) + r")(\d{8}(v\d+)?)?$"
    return f"eventsource = '{source}' AND regexp_matches(eventname, '{pattern}')"


_LAMBDA = "lambda.amazonaws.com"
_OK = "errorcode IS NULL"
_DEFINITIONS: tuple[tuple[str, str, Severity, tuple[str, ...], str], ...] = (
    (
        "LIR-CT-001",
        "Function permission granted to anyone or another account",
        Severity.HIGH,
        ("T1546", "T1098"),
        f"{_operations(_LAMBDA, 'AddPermission', 'AddLayerVersionPermission')} AND {_OK}",
    ),
    (
        "LIR-CT-002",
        "Function URL opened without authentication",
        Severity.HIGH,
        ("T1190",),
        f"{_operations(_LAMBDA, 'CreateFunctionUrlConfig', 'UpdateFunctionUrlConfig')} AND {_OK}"
        " AND upper(requestparameters->>'$.authType') = 'NONE'",
    ),
    (
        "LIR-CT-003",
        "Function configuration changed (layers, environment)",
        Severity.MEDIUM,
        ("T1574",),
        f"{_operations(_LAMBDA, 'UpdateFunctionConfiguration', 'CreateFunction')} AND {_OK}",
    ),
    (
        "LIR-CT-004",
        "Function code created or replaced",
        Severity.MEDIUM,
        ("T1525",),
        f"{_operations(_LAMBDA, 'UpdateFunctionCode', 'CreateFunction')} AND {_OK}",
    ),
    (
        "LIR-CT-006",
        "Event source mapping created",
        Severity.LOW,
        ("T1546",),
        f"{_operations(_LAMBDA, 'CreateEventSourceMapping')} AND {_OK}",
    ),
    (
        "LIR-CT-008",
        "Function, alias or Lambda log group deleted",
        Severity.MEDIUM,
        ("T1485", "T1070"),
        f"{_OK} AND (({_operations(_LAMBDA, 'DeleteFunction', 'DeleteAlias')}) OR "
        "(eventname = 'DeleteLogGroup' AND "
        "starts_with(requestparameters->>'$.logGroupName', '/aws/lambda/')))",
    ),
    (
        "LIR-CT-009",
        "CloudTrail logging stopped or narrowed",
        Severity.HIGH,
        ("T1562.008",),
        "eventsource = 'cloudtrail.amazonaws.com' AND eventname IN "
        f"('StopLogging', 'DeleteTrail', 'PutEventSelectors') AND {_OK}",
    ),
    (
        "LIR-CT-011",
        "Persistence settings changed (destinations, recursion, runtime, aliases)",
        Severity.MEDIUM,
        ("T1546",),
        _operations(
            _LAMBDA,
            "PutFunctionEventInvokeConfig",
            "UpdateFunctionEventInvokeConfig",
            "PutFunctionRecursionConfig",
            "PutRuntimeManagementConfig",
            "CreateAlias",
            "UpdateAlias",
        )
        + f" AND {_OK}",
    ),
)
LAMBDA_RULES: tuple[HuntRule, ...] = tuple(
    HuntRule(rid, title, severity, attack, sqlglot.parse_one(text, read=SOURCE_DIALECT))
    for rid, title, severity, attack, text in _DEFINITIONS
)


def sigma_rules(dirs: Iterable[Path]) -> tuple[list[HuntRule], list[Unsupported]]:
    """The Sigma CloudTrail rules under `dirs` as hunt rules; the rest with the reason."""
    compiled, refused = load_rules(dirs)
    rules: list[HuntRule] = []
    unsupported = [Unsupported(r.path, r.title, r.reason) for r in refused]
    for rule in compiled:
        try:
            parsed = sqlglot.parse_one(rule.where, read=SOURCE_DIALECT)
            refuse_statements(parsed)  # a condition only: no subquery, no second statement
            condition = to_table(parsed)
        except (ValueError, sqlglot.errors.SqlglotError) as exc:
            unsupported.append(Unsupported(f"sigma:{rule.id}", rule.title, str(exc)))
            continue
        rules.append(
            HuntRule(
                f"sigma:{rule.id}", f"Sigma: {rule.title}", rule.severity, rule.attack, condition
            )
        )
    return rules, unsupported


def rewrite_rules(
    rules: Iterable[HuntRule], rewrite: Callable[[exp.Expr], exp.Expr]
) -> tuple[list[HuntRule], list[Unsupported]]:
    """`rules` with their conditions rewritten for another schema (Security Lake's, CloudTrail
    Lake's); a rule `rewrite` refuses (ValueError) is returned unsupported, with the reason."""
    kept: list[HuntRule] = []
    refused: list[Unsupported] = []
    for rule in rules:
        try:
            kept.append(replace(rule, condition=rewrite(rule.condition)))
        except ValueError as exc:
            refused.append(Unsupported(rule.id, rule.title.removeprefix("Sigma: "), str(exc)))
    return kept, refused


def to_table(condition: exp.Expr) -> exp.Expr:
    """Rewrite `record->>'$.a.b'` (a JSON path on the raw record) to the table's column."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.JSONExtractScalar) and node.this.sql() == "record":
            return field_expression(_path_keys(node.expression))
        return node

    return condition.transform(rewrite)


def field_expression(keys: list[str]) -> exp.Expr:
    """The table expression for a CloudTrail field path (`["userIdentity", "arn"]`)."""
    top, rest = keys[0].lower(), keys[1:]
    if top in SCALARS and not rest:
        return exp.column(top)
    if top in JSON_TEXT:
        if not rest:
            return exp.column(top)
        path = "$." + ".".join(_json_key(k) for k in rest)
        return sqlglot.parse_one(f"{top}->>'{path}'", read=SOURCE_DIALECT)
    kind = STRUCTS.get(top)
    if kind is not None and isinstance(kind, Struct):
        names = [top]
        for key in rest:
            found = next((n for n, _ in kind.fields if n.lower() == key.lower()), None)
            if found is None or not isinstance(kind, Struct):
                raise ValueError(f"field {'.'.join(keys)} is not in the CloudTrail table")
            names.append(found.lower())
            kind = dict(kind.fields)[found]
        if isinstance(kind, Struct | ArrayOf):
            raise ValueError(f"field {'.'.join(keys)} is not a scalar in the CloudTrail table")
        return sqlglot.parse_one(".".join(names), read=SOURCE_DIALECT)
    raise ValueError(f"field {'.'.join(keys)} is not in the CloudTrail table")


def _path_keys(path: exp.Expr) -> list[str]:
    if isinstance(path, exp.JSONPath):
        keys = [str(p.this) for p in path.expressions if isinstance(p, exp.JSONPathKey)]
        if keys and len(keys) == len(path.expressions) - 1:
            return keys
    raise ValueError(f"unsupported JSON path {path.sql()}")


def _json_key(key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return key
    raise ValueError(f"field name {key!r} cannot be pushed down")
