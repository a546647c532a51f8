"""Run a CloudTrail Lake SQL statement in DuckDB over event data stores' events.

CloudTrail Lake takes a Trino SELECT whose FROM names an event data store by the id part of
its ARN, unquoted (`FROM 4d5e…-…`). `prepare` checks the statement as StartQuery does: one
SELECT of at most 10,000 characters (anything else, or text sqlglot cannot parse as Trino, is
an InvalidQueryStatementException), every table it reads (the parsed tree's tables, less its
WITH names) a store of the caller's (else EventDataStoreNotFoundException). `execute` loads
each named store's events in CloudTrail Lake's schema (`hunt.cloudtrail_lake_schema`) as a
DuckDB table, runs the statement transpiled from Trino to DuckDB by sqlglot, and counts what
it scanned: the events, and the bytes of their JSON, within the `eventtime` range the
statement's top-level conditions keep (CloudTrail Lake stores ORC and bills its own byte
count: the figure here is the emulator's).
So the SQL is DuckDB's reading of the Trino text; a function sqlglot cannot map fails here
but might run on AWS.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.dialects.trino import Trino
from sqlglot.tokenizer_core import TokenType

from lambda_ir.emulator.security_lake_tables import conjuncts
from lambda_ir.hunt.cloudtrail_lake_schema import COLUMNS, lake_row
from lambda_ir.hunt.local import run
from lambda_ir.hunt.security_lake_schema import duckdb_type

# StartQuery's QueryStatement: "max: 10000" characters (CloudTrail API reference, StartQuery;
# the AWS CLI's `start-query --query-statement` constraints). AWS documents no error code for
# a longer one: the emulator refuses it as a statement StartQuery cannot take.
MAX_STATEMENT = 10_000
_STORE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*-[A-Za-z0-9-]*")
_PART = re.compile(r"[A-Za-z0-9-]+")


class StatementError(Exception):
    """StartQuery refuses the statement: (error code, message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Outcome:
    """A query's result: columns, rows (text or None), and what it scanned."""

    columns: list[str]
    rows: list[tuple[str | None, ...]]
    events_scanned: int
    bytes_scanned: int


def prepare(statement: str, stores: Sequence[str]) -> tuple[exp.Query, list[str]]:
    """The parsed statement with store ids quoted, and the ids it reads (StatementError)."""
    if len(statement) > MAX_STATEMENT:
        raise StatementError(
            "InvalidQueryStatementException",
            f"Value at 'queryStatement' failed to satisfy constraint: Member must have length "
            f"less than or equal to {MAX_STATEMENT}",
        )
    try:
        tree = sqlglot.parse_one(_quote_ids(statement), read="trino")
    except sqlglot.errors.SqlglotError as exc:
        raise StatementError(
            "InvalidQueryStatementException", f"Query syntax error: {str(exc).splitlines()[0]}"
        ) from exc
    if not isinstance(tree, exp.Query):
        raise StatementError(
            "InvalidQueryStatementException", "Only SELECT statements are allowed."
        )
    withs = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    named = [t.name for t in tree.find_all(exp.Table) if t.name not in withs]
    for name in named:
        if name not in stores:
            raise StatementError(
                "EventDataStoreNotFoundException",
                f"The specified event data store {name} was not found.",
            )
    if not named:
        raise StatementError(
            "InvalidQueryStatementException", "The query must name an event data store in FROM."
        )
    return tree, list(dict.fromkeys(named))


def _quote_ids(statement: str) -> str:
    """The statement with each store id after FROM or JOIN quoted, so that Trino parses it.

    A store id is unquoted in CloudTrail Lake's SQL and holds `-`, which Trino reads as a
    minus: the id is the run of adjacent tokens after FROM/JOIN. Found by sqlglot's tokens, so
    text inside a string literal (`LIKE '%from aws-sdk%'`) is never taken for a name.
    """
    try:
        tokens = Trino().tokenize(statement)
    except sqlglot.errors.SqlglotError as exc:
        raise StatementError(
            "InvalidQueryStatementException", f"Query syntax error: {str(exc).splitlines()[0]}"
        ) from exc
    spans: list[tuple[int, int]] = []
    for at, token in enumerate(tokens):
        if token.token_type not in (TokenType.FROM, TokenType.JOIN):
            continue
        start = end = -1
        for part in tokens[at + 1 :]:
            adjacent = start < 0 or part.start == end + 1
            if not (adjacent and _PART.fullmatch(statement[part.start : part.end + 1])):
                break
            start, end = part.start if start < 0 else start, part.end
        if start >= 0 and _STORE_ID.fullmatch(statement[start : end + 1]):
            spans.append((start, end + 1))
    for start, end in reversed(spans):
        statement = f'{statement[:start]}"{statement[start:end]}"{statement[end:]}'
    return statement


def execute(tree: exp.Query, events: Mapping[str, Sequence[Mapping[str, Any]]]) -> Outcome:
    """Run a prepared statement over each store's events; duckdb.Error when it fails."""
    con = duckdb.connect(":memory:")
    columns = "{" + ", ".join(f"'{n}': '{duckdb_type(k)}'" for n, k in COLUMNS) + "}"
    scanned_events = scanned_bytes = 0
    try:
        with tempfile.TemporaryDirectory(prefix="lir-lake-") as folder:
            for number, (store, records) in enumerate(events.items()):
                path = Path(folder) / f"{number}.jsonl"
                sizes = _write_rows(path, records)
                con.execute(
                    f'CREATE TABLE "{store}" AS SELECT * FROM read_json(?, '  # noqa: S608
                    f"format = 'newline_delimited', columns = {columns})",
                    [str(path)],
                )
                con.execute(f'ALTER TABLE "{store}" ADD COLUMN lir_n INTEGER')
                kept = _in_range(con, store, tree, len(sizes))
                scanned_events += len(kept)
                scanned_bytes += sum(sizes[i] for i in kept)
                con.execute(f'ALTER TABLE "{store}" DROP COLUMN lir_n')
        names, rows = run(con, tree.sql(dialect="duckdb"))
    finally:
        con.close()
    return Outcome(names, rows, scanned_events, scanned_bytes)


def _write_rows(path: Path, records: Sequence[Mapping[str, Any]]) -> list[int]:
    sizes = []
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(lake_row(record), separators=(",", ":")) + "\n")
            sizes.append(len(json.dumps(record, separators=(",", ":")).encode()))
    return sizes


def _in_range(con: duckdb.DuckDBPyConnection, store: str, tree: exp.Query, count: int) -> list[int]:
    """Row numbers within the eventtime range the top-level conditions keep (all if none)."""
    con.execute(f'UPDATE "{store}" SET lir_n = rowid')  # noqa: S608
    terms = [
        term
        for select in tree.find_all(exp.Select)
        if (where := select.args.get("where")) is not None
        for term in conjuncts(where.this)
        if {c.name.lower() for c in term.find_all(exp.Column)} == {"eventtime"}
    ]
    if not terms:
        return list(range(count))
    condition = exp.and_(*terms).sql(dialect="duckdb")
    found = con.execute(f'SELECT lir_n FROM "{store}" WHERE {condition}').fetchall()  # noqa: S608
    return [int(row[0]) for row in found]
