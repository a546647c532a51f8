"""The one hunting query: every rule in one scan of the trail table, pruned to the window.

`hunt_query` selects each matching record's columns (structs as JSON text, so a row turns
back into the record) and `lir_rules`, the ids of the rules it matched (each followed by a
comma). The window bounds both the `timestamp` partition (`yyyy/MM/dd`: Athena reads only
those days' files) and `eventtime`. Built as one sqlglot tree and generated for DuckDB or
Athena (Trino).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlglot import exp

from lambda_ir.hunt.rules import ENGINES, HuntRule
from lambda_ir.hunt.table import COLUMNS, STRING

TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
RULES_COLUMN = "lir_rules"


def check_table(name: str) -> str:
    """`DB.TABLE` as given, or ValueError (the name goes into SQL: letters, digits, `_`)."""
    if not TABLE_NAME.match(name):
        raise ValueError(f"{name!r} is not DATABASE.TABLE (letters, digits and _ only)")
    return name


def hunt_select(
    table: str, rules: Sequence[HuntRule], since: datetime, until: datetime
) -> exp.Select:
    """The query's tree: the matched rules' ids and the record's columns, within the window."""
    if not rules:
        raise ValueError("no rules to hunt with")
    # 'id1,' || 'id3,' …: plain CASE and ||, the same in both engines (concat_ws is not).
    labels: list[exp.Expr] = [
        exp.Case(
            ifs=[
                exp.If(
                    this=exp.Paren(this=rule.condition.copy()),
                    true=exp.Literal.string(f"{rule.id},"),
                )
            ],
            default=exp.Literal.string(""),
        )
        for rule in rules
    ]
    matched = labels[0]
    for label in labels[1:]:
        matched = exp.DPipe(this=matched, expression=label)
    projections: list[exp.Expr] = [exp.alias_(matched, RULES_COLUMN)]
    for name, kind in COLUMNS:
        column = exp.column(name.lower())
        if kind == STRING:
            projections.append(column)
        else:
            cast = exp.Cast(this=column, to=exp.DataType.build("JSON"))
            projections.append(exp.alias_(cast, name.lower()))
    any_rule = exp.or_(*(exp.Paren(this=rule.condition.copy()) for rule in rules))
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
    where = exp.and_(window, exp.Paren(this=any_rule))
    return exp.select(*projections).from_(exp.to_table(check_table(table))).where(where)


def hunt_query(
    table: str, rules: Sequence[HuntRule], since: datetime, until: datetime, engine: str
) -> str:
    """The query's text for `engine` (`duckdb` or `athena`)."""
    return hunt_select(table, rules, since, until).sql(dialect=ENGINES[engine])


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
