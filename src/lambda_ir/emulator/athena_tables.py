"""The emulator's Athena tables: CloudTrail files in its S3, pruned and loaded into DuckDB.

A `TrailTable` is what a `CREATE EXTERNAL TABLE` with partition projection said: the location
template and the projected accounts, regions and first day. `load` lists the bucket under the
template's fixed prefix, keeps the files inside the projection whose partition values satisfy
the query's top-level AND terms on `account`, `region` and `timestamp` (DuckDB evaluates those
terms on a table of the files' partition values), reads their records into the table's DuckDB
shape (`hunt.local`) and returns the bytes of the files read: Athena's `DataScannedInBytes`.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson
from moto.s3.models import s3_backends
from sqlglot import exp

from lambda_ir.emulator.identity import PARTITION
from lambda_ir.hunt.local import load_table

PARTITION_COLUMNS = ("account", "region", "timestamp")
_KEY = re.compile(r"^(?P<account>\d{12})/CloudTrail/(?P<region>[\w-]+)/(?P<day>\d{4}/\d{2}/\d{2})/")


@dataclass(frozen=True)
class TrailTable:
    """A CloudTrail table in the catalog: where its files are and what projection allows."""

    template: str  # s3://bucket/prefix/AWSLogs/${account}/CloudTrail/${region}/${timestamp}
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    first_day: str  # yyyy/MM/dd
    created: float = 0.0  # epoch seconds: GetTableMetadata's CreateTime
    location: str = ""  # the DDL's LOCATION (GetTableMetadata's Parameters `location`)


def load(
    con: duckdb.DuckDBPyConnection, name: str, table: TrailTable, tree: exp.Query, account: str
) -> int:
    """Load the files of the partitions the query keeps into `name`; returns bytes read."""
    bucket_name, _, rest = table.template.removeprefix("s3://").partition("/")
    prefix = rest.split("${account}")[0]
    bucket = s3_backends[account][PARTITION].get_bucket(bucket_name)
    today = datetime.now(UTC).strftime("%Y/%m/%d")
    files = []
    for key, stored in bucket.keys.items():
        found = _KEY.match(key[len(prefix) :]) if key.startswith(prefix) else None
        if found is None or not key.endswith(".json.gz"):
            continue
        values = (found["account"], found["region"], found["day"])
        if (
            values[0] in table.accounts
            and values[1] in table.regions
            and table.first_day <= values[2] <= today
        ):
            files.append((*values, key, stored))
    kept = _prune(files, tree)
    records = (
        (record, {"account": a, "region": r, "timestamp": d})
        for a, r, d, _, stored in kept
        for record in _records(stored.value)
    )
    load_table(con, name, records)
    return sum(int(stored.size) for *_, stored in kept)


def _prune(files: list[tuple[Any, ...]], tree: exp.Query) -> list[tuple[Any, ...]]:
    """The files whose partition values satisfy the WHERE's conjuncts on partition columns."""
    where = tree.args.get("where")
    conjuncts = list(_conjuncts(where.this)) if where is not None else []
    on_partitions = [
        c
        for c in conjuncts
        if (names := {col.name.lower() for col in c.find_all(exp.Column)})
        and names <= set(PARTITION_COLUMNS)
    ]
    if not on_partitions or not files:
        return files
    con = duckdb.connect(":memory:")
    try:
        con.execute(
            'CREATE TABLE p (n INTEGER, account VARCHAR, region VARCHAR, "timestamp" VARCHAR)'
        )
        con.executemany(
            "INSERT INTO p VALUES (?, ?, ?, ?)",
            [(i, f[0], f[1], f[2]) for i, f in enumerate(files)],
        )
        condition = exp.and_(*on_partitions).sql(dialect="duckdb")
        kept = {row[0] for row in con.execute(f"SELECT n FROM p WHERE {condition}").fetchall()}  # noqa: S608
    finally:
        con.close()
    return [f for i, f in enumerate(files) if i in kept]


def _conjuncts(node: exp.Expr) -> Iterator[exp.Expr]:
    """The top-level AND terms of a condition, looking through parentheses."""
    if isinstance(node, exp.Paren):
        yield from _conjuncts(node.this)
    elif isinstance(node, exp.And):
        yield from _conjuncts(node.this)
        yield from _conjuncts(node.expression)
    else:
        yield node


def _records(body: bytes) -> Iterator[dict[str, Any]]:
    try:
        document = orjson.loads(gzip.decompress(body))
    except (OSError, orjson.JSONDecodeError):
        return
    for record in document.get("Records") or [] if isinstance(document, dict) else []:
        if isinstance(record, dict):
            yield record
