"""The CloudTrail table in DuckDB: the local engine for hunting rules (and the emulator's).

`load_table` makes `DB.TABLE` in a DuckDB connection from CloudTrail records, shaped as
Athena's table (`hunt.table`), so the same query runs on both engines; `run` answers a
query with every value as Athena returns it: text, or None for NULL.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from lambda_ir.hunt.query import check_table
from lambda_ir.hunt.table import duckdb_columns, duckdb_row


def load_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    records: Iterable[tuple[Mapping[str, Any], Mapping[str, str]]],
) -> int:
    """Create `table` (DB.TABLE) from (record, partition values) pairs; returns the rows."""
    database, name = check_table(table).split(".")
    columns = "{" + ", ".join(f"'{n}': '{t}'" for n, t in duckdb_columns().items()) + "}"
    with tempfile.TemporaryDirectory(prefix="lir-hunt-") as folder:
        path = Path(folder) / "rows.jsonl"
        count = 0
        with path.open("w", encoding="utf-8") as out:
            for record, partition in records:
                out.write(json.dumps(duckdb_row(record, partition), separators=(",", ":")) + "\n")
                count += 1
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
        con.execute(
            f'CREATE OR REPLACE TABLE "{database}"."{name}" AS SELECT * FROM '  # noqa: S608
            f"read_json(?, format = 'newline_delimited', columns = {columns})",
            [str(path)],
        )
    return count


def run(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple[str | None, ...]]]:
    """Column names and rows, each value as text (None for NULL), as Athena returns them."""
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description or []]
    rows = [tuple(None if v is None else _text(v) for v in row) for row in cursor.fetchall()]
    return names, rows


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
