"""Run a CloudTrail Lake SQL statement in DuckDB over event data stores' events.

CloudTrail Lake takes a Trino SELECT whose FROM names an event data store by the id part of
its ARN, unquoted (`FROM 4d5e…-…`). `prepare` checks the statement as StartQuery does: one
SELECT (anything else, or text sqlglot cannot parse as Trino, is an
InvalidQueryStatementException), every FROM/JOIN naming a store of the caller's (else
EventDataStoreNotFoundException). `execute` loads each named store's events in CloudTrail
Lake's schema (`hunt.cloudtrail_lake_schema`) as a DuckDB table, runs the statement
transpiled from Trino to DuckDB by sqlglot, and counts what it scanned: the events, and the
bytes of their JSON, within the `eventtime` range the statement's top-level conditions keep
(CloudTrail Lake stores ORC and bills its own byte count: the figure here is the emulator's).
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

from lambda_ir.emulator.security_lake_tables import conjuncts
from lambda_ir.hunt.cloudtrail_lake_schema import COLUMNS, lake_row
from lambda_ir.hunt.local import run
from lambda_ir.hunt.security_lake_schema import duckdb_type

_SOURCE = re.compile(r"\b(FROM|JOIN)\s+([A-Za-z0-9][A-Za-z0-9-]*)", re.I)


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
    named: list[str] = []

    def quote(found: re.Match[str]) -> str:
        name = found.group(2)
        if "-" not in name and name not in stores:
            return found.group(0)  # an alias or a plain identifier, not a store id
        if name not in stores:
            raise StatementError(
                "EventDataStoreNotFoundException",
                f"The specified event data store {name} was not found.",
            )
        named.append(name)
        return f'{found.group(1)} "{name}"'

    text = _SOURCE.sub(quote, statement)
    try:
        tree = sqlglot.parse_one(text, read="trino")
    except sqlglot.errors.SqlglotError as exc:
        raise StatementError(
            "InvalidQueryStatementException", f"Query syntax error: {str(exc).splitlines()[0]}"
        ) from exc
    if not isinstance(tree, exp.Query):
        raise StatementError(
            "InvalidQueryStatementException", "Only SELECT statements are allowed."
        )
    if not named:
        raise StatementError(
            "InvalidQueryStatementException", "The query must name an event data store in FROM."
        )
    return tree, list(dict.fromkeys(named))


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
