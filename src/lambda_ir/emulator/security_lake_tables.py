"""The emulator's Athena over Glue tables of Parquet files, as Security Lake registers them.

Security Lake defines its tables in the AWS Glue Data Catalog (glue:CreateTable, partitions
added with glue:BatchCreatePartition), not with Athena DDL. When a query names a table the
emulator's own Athena catalog lacks, `load_glue` looks it up in moto's Glue: a Parquet table
(ParquetHiveSerDe) gives its columns, partition keys and registered partitions. It keeps the
partitions whose values satisfy the query's top-level AND terms on the partition keys (DuckDB
evaluates those terms on a table of partition values) and, for Security Lake's `eventday`
folders, those whose day the query's `time_dt` bounds can reach (AWS documents `time_dt` as
what prunes a source version 2.0 table to its date partitions), reads those partitions'
Parquet files from moto's S3 into a DuckDB table typed from the Glue column types (sqlglot
turns Hive types into DuckDB's), with the partition values as columns, and returns the
files' stored size as `DataScannedInBytes`. Athena reads only the Parquet columns a query
needs, so on AWS the figure is smaller; a partition never registered is not read, as on
Athena.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
from moto.glue.exceptions import EntityNotFoundException
from moto.glue.models import glue_backends
from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends
from sqlglot import exp

from lambda_ir.emulator.identity import PARTITION

PARQUET = "parquet"


def load_glue(
    con: duckdb.DuckDBPyConnection, name: str, scan: exp.Query, account: str, region: str
) -> int | None:
    """Load the Glue Parquet table `db.table` for `scan`; bytes read, or None if no such table."""
    database, _, table_name = name.partition(".")
    try:
        table = glue_backends[account][region].get_table(database, table_name)
    except EntityNotFoundException:
        return None
    described = table.as_dict()
    storage = described.get("StorageDescriptor") or {}
    serde = str((storage.get("SerdeInfo") or {}).get("SerializationLibrary", ""))
    if PARQUET not in (serde + str(storage.get("InputFormat", ""))).lower():
        return None
    keys = [str(k["Name"]).lower() for k in described.get("PartitionKeys") or []]
    columns = [(str(c["Name"]).lower(), str(c["Type"])) for c in storage.get("Columns") or []]
    partitions = [
        (tuple(str(v) for v in p.values), str(p.partition_input["StorageDescriptor"]["Location"]))
        for p in table.partitions.values()
    ]
    if not keys:
        partitions = [((), str(storage.get("Location", "")))]
    kept = _prune(partitions, keys, scan)
    typed = ", ".join(
        [f'"{n}" {exp.DataType.build(t, dialect="hive").sql("duckdb")}' for n, t in columns]
        + [f'"{key}" VARCHAR' for key in keys]
    )
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
    con.execute(f'CREATE TABLE "{database}"."{table_name}" ({typed})')
    scanned = 0
    with tempfile.TemporaryDirectory(prefix="lir-glue-") as folder:
        for number, (values, body) in enumerate(_files(kept, account)):
            path = Path(folder) / f"{number}.parquet"
            path.write_bytes(body)
            scanned += len(body)
            fixed = ", ".join(f'? AS "{key}"' for key in keys)
            con.execute(
                f'INSERT INTO "{database}"."{table_name}" BY NAME '  # noqa: S608
                f"SELECT *{', ' + fixed if fixed else ''} FROM read_parquet(?)",
                [*values, str(path)],
            )
    return scanned


def _files(
    partitions: Sequence[tuple[tuple[str, ...], str]], account: str
) -> Iterator[tuple[tuple[str, ...], bytes]]:
    """Each kept partition's objects under its location in moto's S3."""
    for values, location in partitions:
        bucket_name, _, prefix = location.removeprefix("s3://").partition("/")
        try:
            bucket = s3_backends[account][PARTITION].get_bucket(bucket_name)
        except MissingBucket:  # no files to read, as on Athena
            continue
        for key, stored in list(bucket.keys.items()):
            if key.startswith(prefix) and not key.endswith("/"):
                yield values, bytes(stored.value)


def _prune(
    partitions: list[tuple[tuple[str, ...], str]], keys: list[str], scan: exp.Query
) -> list[tuple[tuple[str, ...], str]]:
    """The partitions whose values satisfy the WHERE's conjuncts on partition keys only, and,
    with an `eventday` key, those whose day a `time_dt` bound can reach (`_day_terms`)."""
    where = scan.args.get("where")
    found = list(conjuncts(where.this)) if where is not None else []
    terms = [
        term
        for term in found
        if (names := {c.name.lower() for c in term.find_all(exp.Column)}) and names <= set(keys)
    ]
    if "eventday" in keys:
        terms += _day_terms(found)
    if not terms or not partitions:
        return partitions
    con = duckdb.connect(":memory:")
    try:
        typed = ", ".join(f'"{key}" VARCHAR' for key in keys)
        con.execute(f"CREATE TABLE p (n INTEGER, {typed})")
        con.executemany(
            f"INSERT INTO p VALUES (?, {', '.join('?' for _ in keys)})",  # noqa: S608
            [(i, *values) for i, (values, _) in enumerate(partitions)],
        )
        if "eventday" in keys:
            con.execute(
                "ALTER TABLE p ADD COLUMN day_start TIMESTAMP; "
                "ALTER TABLE p ADD COLUMN day_end TIMESTAMP; "
                "UPDATE p SET day_start = try_strptime(eventday, '%Y%m%d'), day_end = "
                "try_strptime(eventday, '%Y%m%d') + INTERVAL 1 DAY - INTERVAL 1 MICROSECOND"
            )
        condition = exp.and_(*terms).sql(dialect="duckdb")
        kept = {row[0] for row in con.execute(f"SELECT n FROM p WHERE {condition}").fetchall()}  # noqa: S608
    finally:
        con.close()
    return [p for i, p in enumerate(partitions) if i in kept]


def _day_terms(found: list[exp.Expr]) -> list[exp.Expr]:
    """Bounds on `time_dt` (Security Lake 2.0's documented pruning column) as bounds on each
    `eventday` folder: `time_dt >= X` keeps a day ending at or after X, `time_dt <= Y` one
    starting at or before Y (BETWEEN both). Other forms prune nothing."""
    terms: list[exp.Expr] = []
    for term in found:
        column = term.this
        if not (isinstance(column, exp.Column) and column.name.lower() == "time_dt"):
            continue
        if isinstance(term, exp.GTE | exp.GT):
            terms.append(term.__class__(this=exp.column("day_end"), expression=term.expression))
        elif isinstance(term, exp.LTE | exp.LT):
            terms.append(term.__class__(this=exp.column("day_start"), expression=term.expression))
        elif isinstance(term, exp.Between):
            terms.append(exp.GTE(this=exp.column("day_end"), expression=term.args["low"]))
            terms.append(exp.LTE(this=exp.column("day_start"), expression=term.args["high"]))
    return [term.copy() for term in terms]


def conjuncts(node: Any) -> Iterator[exp.Expr]:
    """The top-level AND terms of a condition, looking through parentheses."""
    if isinstance(node, exp.Paren):
        yield from conjuncts(node.this)
    elif isinstance(node, exp.And):
        yield from conjuncts(node.this)
        yield from conjuncts(node.expression)
    else:
        yield node
