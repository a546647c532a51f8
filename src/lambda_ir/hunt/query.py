"""The hunting query: every rule in one scan of the trail table, pruned to the window.

`hunt_query` selects each matching record's columns (structs as JSON text, so a row turns
back into the record) and `lir_rules`, the ids of the rules it matched (each followed by a
comma). Each rule's condition appears once: an inner SELECT labels every row of the window
with the rules it matches, the outer one keeps the labelled rows
(`SELECT * FROM (SELECT <labels> AS lir_rules, … WHERE <window>) WHERE lir_rules <> ''`).
The window bounds both the `timestamp` partition (`yyyy/MM/dd`: Athena reads only those
days' files) and `eventtime`. Built as one sqlglot tree and generated for DuckDB or Athena
(Trino).

Athena refuses a query string longer than 262,144 bytes (a quota AWS cannot raise, "the
maximum query string length": AWS Knowledge Center, athena-query-string-length).
`hunt_queries` splits the rules into as few queries as keep each text within it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlglot import exp

from lambda_ir.hunt.rules import ENGINES, HuntRule
from lambda_ir.hunt.table import COLUMNS, STRING

TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
RULES_COLUMN = "lir_rules"
MAX_QUERY_BYTES = 262_144  # Athena's StartQueryExecution QueryString, bytes


def check_table(name: str) -> str:
    """`DB.TABLE` as given, or ValueError (the name goes into SQL: letters, digits, `_`)."""
    if not TABLE_NAME.fullmatch(name):  # `$` alone would take a final line break
        raise ValueError(f"{name!r} is not DATABASE.TABLE (letters, digits and _ only)")
    return name


def hunt_select(
    table: str, rules: Sequence[HuntRule], since: datetime, until: datetime
) -> exp.Select:
    """The query's tree: the matched rules' ids and the record's columns, within the window."""
    projections: list[exp.Expr] = []
    for name, kind in COLUMNS:
        column = exp.column(name.lower())
        if kind == STRING:
            projections.append(column)
        else:
            cast = exp.Cast(this=column, to=exp.DataType.build("JSON"))
            projections.append(exp.alias_(cast, name.lower()))
    start, end = _utc(since), _utc(until)
    day = exp.column("timestamp", quoted=True)
    window = exp.and_(
        exp.Between(
            this=day,
            low=exp.Literal.string(f"{start:%Y/%m/%d}"),
            high=exp.Literal.string(f"{end:%Y/%m/%d}"),
        ),
        exp.GTE(this=exp.column("eventtime"), expression=exp.Literal.string(_iso(start))),
        exp.LTE(this=exp.column("eventtime"), expression=exp.Literal.string(_iso(end))),
    )
    return labelled_select(rules, projections, exp.to_table(check_table(table)), window)


def labelled_select(
    rules: Sequence[HuntRule], projections: Sequence[exp.Expr], table: exp.Expr, window: exp.Expr
) -> exp.Select:
    """`SELECT * FROM (SELECT <labels> AS lir_rules, <projections> FROM table WHERE window)
    WHERE lir_rules <> ''`: the shape every source's query takes (Security Lake, CloudTrail
    Lake too), whatever its columns and window."""
    if not rules:
        raise ValueError("no rules to hunt with")
    # 'id1,' || 'id3,' …: plain CASE and ||, the same in both engines (concat_ws is not).
    matched = _joined([_label(rule) for rule in rules])
    inner = exp.select(exp.alias_(matched, RULES_COLUMN), *projections).from_(table).where(window)
    labelled = exp.NEQ(this=exp.column(RULES_COLUMN), expression=exp.Literal.string(""))
    return exp.select(exp.Star()).from_(inner.subquery("labelled")).where(labelled)


def hunt_query(
    table: str, rules: Sequence[HuntRule], since: datetime, until: datetime, engine: str
) -> str:
    """The query's text for `engine` (`duckdb` or `athena`)."""
    return hunt_select(table, rules, since, until).sql(dialect=ENGINES[engine])


def hunt_queries(
    table: str,
    rules: Sequence[HuntRule],
    since: datetime,
    until: datetime,
    engine: str,
    *,
    max_bytes: int = MAX_QUERY_BYTES,
) -> list[tuple[tuple[HuntRule, ...], str]]:
    """The rules split into as few queries as keep each text within `max_bytes`, in order.

    Each rule's share of the text is measured once (its CASE branch and the `||` joining it);
    a group whose real text is still too long is halved. ValueError when one rule alone is.
    """
    return split_queries(
        rules,
        lambda group: hunt_query(table, group, since, until, engine),
        ENGINES[engine],
        max_bytes,
        "Athena",
    )


def split_queries(
    rules: Sequence[HuntRule],
    build: Callable[[Sequence[HuntRule]], str],
    dialect: str,
    max_bytes: int,
    service: str,
) -> list[tuple[tuple[HuntRule, ...], str]]:
    """`rules` in as few groups as keep each `build(group)` text within `max_bytes`, in order,
    with each group's text (`service` names the limit in the error)."""
    if not rules:
        raise ValueError("no rules to hunt with")
    fixed = len(build(rules[:1]).encode())
    fixed -= _share(rules[0], dialect)
    groups: list[list[HuntRule]] = [[]]
    size = fixed
    for rule in rules:
        share = _share(rule, dialect)
        if groups[-1] and size + share > max_bytes:
            groups.append([])
            size = fixed
        groups[-1].append(rule)
        size += share
    return [part for group in groups for part in _fit(group, build, max_bytes, service)]


def _fit(
    rules: list[HuntRule],
    build: Callable[[Sequence[HuntRule]], str],
    max_bytes: int,
    service: str,
) -> list[tuple[tuple[HuntRule, ...], str]]:
    text = build(rules)
    if len(text.encode()) <= max_bytes:
        return [(tuple(rules), text)]
    if len(rules) == 1:
        raise ValueError(
            f"rule {rules[0].id} alone makes a query of {len(text.encode()):,} bytes, "
            f"over {service}'s {max_bytes:,}"
        )
    half = len(rules) // 2
    return [
        *_fit(rules[:half], build, max_bytes, service),
        *_fit(rules[half:], build, max_bytes, service),
    ]


def _joined(labels: Sequence[exp.Expr]) -> exp.Expr:
    """`labels` joined by `||` as a balanced tree, `(a || b) || (c || d)`: a chain of 800
    (`((a || b) || c) || …`, one level a rule) took DuckDB 55 s to plan where the balanced
    tree of the same rules takes 2 s (its optimizer walks the tree from each level); Trino
    parses and analyses an expression by recursion, too."""
    if len(labels) == 1:
        return labels[0]
    half = len(labels) // 2
    left, right = _joined(labels[:half]), _joined(labels[half:])
    return exp.DPipe(this=_grouped(left), expression=_grouped(right))


def _grouped(part: exp.Expr) -> exp.Expr:
    """A joined part in parentheses, so that the text parses back into the same tree."""
    return exp.Paren(this=part) if isinstance(part, exp.DPipe) else part


# What the balanced tree adds per rule at most: a pair of parentheses on each side of the
# `||` above it (n rules have n - 1 joins).
_GROUPING = len("()()")


def _share(rule: HuntRule, dialect: str) -> int:
    """The bytes one rule adds to the query at most: its CASE branch, the ` || ` joining it
    and the parentheses grouping it."""
    return len(_label(rule).sql(dialect=dialect).encode()) + len(" || ") + _GROUPING


def _label(rule: HuntRule) -> exp.Expr:
    """`CASE WHEN (<condition>) THEN '<id>,' ELSE '' END`."""
    return exp.Case(
        ifs=[
            exp.If(
                this=exp.Paren(this=rule.condition.copy()),
                true=exp.Literal.string(f"{rule.id},"),
            )
        ],
        default=exp.Literal.string(""),
    )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
