"""Shared by the index loaders: JSON text, UTC timestamps, code hashes, bulk inserts."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

# Where rows are staged when the connection has no temp_directory (build_index sets one).
TMP_FALLBACK = ".tmp"
# Largest row (a whole API response in a JSON column); DuckDB reserves twice this for reading.
MAX_ROW = 64 << 20


def json_text(value: Any) -> str | None:
    """A value as JSON text for a DuckDB JSON column (None stays NULL); keys sorted."""
    return None if value is None else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def utc_timestamp(text: Any) -> datetime | None:
    """AWS's `2024-05-01T10:00:00.000+0000` (or ISO-8601 with Z) as a naive UTC datetime."""
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def code_sha256_hex(code_sha256: Any) -> str | None:
    """AWS's base64 `CodeSha256` as the hex digest the blob store uses.

    Container-image functions report the image digest in hex instead; that is kept as is.
    """
    if not isinstance(code_sha256, str) or not code_sha256:
        return None
    if len(code_sha256) == 64 and all(c in "0123456789abcdefABCDEF" for c in code_sha256):
        return code_sha256.lower()
    try:
        digest = base64.b64decode(code_sha256, validate=True)
    except (binascii.Error, ValueError):
        return None
    return digest.hex() if len(digest) == 32 else None


def bulk_insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows at once: staged as JSON lines in the scratch folder, read by DuckDB.

    `executemany` costs about a millisecond a row (a 30,000-line manifest took 40 s);
    this is one scan. Values go through JSON text and are cast to each column's type, so
    nothing is interpolated into SQL but our own table and column names.
    """
    if not rows:
        return
    columns = [(str(c[0]), str(c[1])) for c in con.execute(f"DESCRIBE {table}").fetchall()]
    scratch = Path(str(_setting(con, "temp_directory") or TMP_FALLBACK))
    scratch.mkdir(parents=True, exist_ok=True)
    staged = scratch / f"rows-{table}-{uuid.uuid4().hex}.jsonl"
    names = [name for name, _ in columns]
    try:
        with staged.open("wb") as out:
            for row in rows:
                out.write(orjson.dumps(dict(zip(names, row, strict=True)), default=str) + b"\n")
        as_text = ", ".join(f"'{name}': 'VARCHAR'" for name in names)
        casts = ", ".join(f'CAST("{name}" AS {kind})' for name, kind in columns)
        con.execute(
            f"INSERT INTO {table} SELECT {casts} FROM read_json(?, "  # noqa: S608
            f"format = 'newline_delimited', columns = {{{as_text}}}, "
            f"maximum_object_size = {MAX_ROW})",
            [str(staged)],
        )
    finally:
        staged.unlink(missing_ok=True)


def _setting(con: duckdb.DuckDBPyConnection, name: str) -> object:
    found = con.execute("SELECT current_setting(?)", [name]).fetchone()
    return found[0] if found else None
