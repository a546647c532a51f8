"""Build and open case.duckdb, the queryable index over a case's evidence files.

The index is derived: it is built from the files the manifest lists (never from AWS), into a
temp file renamed into place, so deleting it and running `index` again gives the same
tables. `open_index` rebuilds it when it is missing, was built by another schema version, or
the manifest changed since. Table shapes: `index_schema.TABLES`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lambda_ir.evidence import index_capabilities, index_config, index_logs, index_runtime
from lambda_ir.evidence.case import Case
from lambda_ir.evidence.index_schema import SCHEMA_VERSION, TABLE_NAMES, create_statements
from lambda_ir.evidence.index_trail import TrailFile, load_trail
from lambda_ir.evidence.index_values import bulk_insert, json_text, utc_timestamp
from lambda_ir.evidence.layout import MANIFEST, TMP_DIR
from lambda_ir.evidence.store import hash_file, scratch_path

INDEX_FILE = "case.duckdb"
# Peak memory of an index build stays under 2 GB whatever the case size (DuckDB spills
# beyond this), leaving room for the Python process around it; measured ~740 MB at 1M events.
MEMORY_LIMIT = "1500MB"
# Keep up to this much freed memory for reuse instead of handing it back to the OS after each
# task: returning and faulting it in again cost ~2 CPU-seconds per million CloudTrail events.
ALLOCATOR_KEEP = "1GB"


@dataclass(frozen=True)
class IndexSummary:
    """Row counts per table and the problems met while building (also in `ingest_warnings`)."""

    path: Path
    rows: dict[str, int]
    warnings: int


def index_path(case: Case) -> Path:
    """Where the case's index lives."""
    return case.root / INDEX_FILE


def build_index(case: Case, *, threads: int | None = None) -> Path:
    """Build case.duckdb from the evidence, replacing any previous index; returns its path."""
    tmp_dir = case.root / TMP_DIR
    tmp_dir.mkdir(exist_ok=True)
    build = uuid.uuid4().hex  # two builds at once in one process keep apart
    staging = scratch_path(case.root, f"index-{build}.duckdb")
    spill = scratch_path(case.root, f"index-{build}-spill")
    stamp = _manifest_stamp(case)
    try:
        with duckdb.connect(str(staging)) as con:
            con.execute("SET TimeZone = 'UTC'")
            # DuckDB's own progress bar would write into our output (and break --json).
            con.execute("SET enable_progress_bar = false")
            con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
            # Row order is not part of the contract; letting threads insert freely is faster.
            con.execute("SET preserve_insertion_order = false")
            # Bounded whatever the case size: DuckDB spills to the case's scratch folder.
            con.execute("SET memory_limit = ?", [MEMORY_LIMIT])
            con.execute("SET allocator_flush_threshold = ?", [ALLOCATOR_KEEP])
            con.execute("SET allocator_bulk_deallocation_flush_threshold = ?", [ALLOCATOR_KEEP])
            con.execute("SET temp_directory = ?", [str(spill)])
            _fill(con, case)
            con.executemany(
                "INSERT INTO index_meta VALUES (?, ?)",
                [("schema_version", SCHEMA_VERSION), ("manifest", stamp)],
            )
            con.execute("CHECKPOINT")
        digest, _ = hash_file(staging)
        # `verify` holds the index to this digest: an index edited since (an attacker's calls
        # deleted from `trail_events`) would mislead every analysis of the intact evidence.
        case.log("indexing", {"outputs": [INDEX_FILE]})
        # a WAL left beside the old index would be replayed into the new one (or refused)
        index_path(case).with_name(f"{INDEX_FILE}.wal").unlink(missing_ok=True)
        staging.replace(index_path(case))
    finally:
        staging.unlink(missing_ok=True)
        Path(f"{staging}.wal").unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)  # no scratch left behind, lock or no lock
    case.log(
        "indexed",
        {"outputs": {INDEX_FILE: digest}, "manifest": stamp, "schema_version": SCHEMA_VERSION},
    )
    return index_path(case)


def open_index(
    case: Case, *, read_only: bool = True, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection to case.duckdb, (re)built first when missing or stale.

    Read-only by default so several readers (analyze, timeline, report) can share it;
    TEMP tables still work on a read-only connection. With `memory_limit` DuckDB keeps its
    buffers within it, spilling (a sort of every trail event) to the case's scratch folder.
    """
    path = index_path(case)
    edited = path.with_name(f"{INDEX_FILE}.wal").exists()  # lambda-ir leaves no WAL behind
    if edited or not path.exists() or _is_stale(case, path):
        build_index(case)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    if memory_limit is not None:
        con.execute("SET memory_limit = ?", [memory_limit])
        spill = scratch_path(case.root, "duckdb-spill")  # named with our pid
        con.execute("SET temp_directory = ?", [str(spill)])
    return con


def summarize(path: Path) -> IndexSummary:
    """Row counts of every table of a built index."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = {}
        for name in TABLE_NAMES:
            # Table names come from the schema constant, never from input.
            found = con.execute(f"SELECT count(*) FROM {name}").fetchone()  # noqa: S608
            rows[name] = int(found[0]) if found else 0
    return IndexSummary(path, rows, rows.get("ingest_warnings", 0))


def _fill(con: duckdb.DuckDBPyConnection, case: Case) -> None:
    for statement in create_statements():
        con.execute(statement)
    _load_manifest(con, case)
    problems = load_trail(con, _artifacts(con, case, "trail"))
    # before the logs: which function a custom group's stream belongs to is read from the
    # versions' LoggingConfig (`index_logs`)
    problems += index_config.load_config(con, case)
    # under the artifact's own path: analysis and the report name it as a gap (`unread_logs`)
    bulk_insert(con, "ingest_warnings", index_logs.load_logs(con, case))
    problems += index_capabilities.load_capabilities(con, case)
    problems += index_runtime.load_runtime(con, case)
    con.execute(
        """INSERT INTO ingest_warnings
           SELECT coalesce(path, params->>'source', api || ' ' || params::VARCHAR), error
           FROM manifest WHERE error IS NOT NULL AND kind IN ('trail', 'logs') ORDER BY line"""
    )
    bulk_insert(con, "ingest_warnings", [("index", problem) for problem in problems])


def _load_manifest(con: duckdb.DuckDBPyConnection, case: Case) -> None:
    rows = [
        (
            number,
            e.path,
            e.sha256,
            e.size,
            e.kind,
            e.api,
            json_text(e.params),
            e.account,
            e.region,
            utc_timestamp(e.acquired_at),
            e.error,
            json_text(e.meta),
        )
        for number, e in enumerate(case.entries(), start=1)
    ]
    bulk_insert(con, "manifest", rows)


def _artifacts(con: duckdb.DuckDBPyConnection, case: Case, kind: str) -> list[TrailFile]:
    """The readable artifacts of one kind; a listed file missing on disk is a warning."""
    found = con.execute(
        "SELECT path, sha256, coalesce(meta->>'complete' = 'false', false) FROM manifest "
        "WHERE kind = ? AND error IS NULL AND path IS NOT NULL ORDER BY line",
        [kind],
    ).fetchall()
    files = []
    for path, sha256, partial in found:
        absolute = case.path(path)
        if absolute.is_file():
            files.append(TrailFile(path, sha256, str(absolute), bool(partial)))
        else:
            con.execute(
                "INSERT INTO ingest_warnings VALUES (?, 'listed in the manifest, missing')",
                [path],
            )
    return files


def _manifest_stamp(case: Case) -> str:
    """Size and SHA-256 of the manifest: it changes whenever evidence is added."""
    manifest = case.root / MANIFEST
    digest = hashlib.sha256(manifest.read_bytes() if manifest.exists() else b"")
    return f"{SCHEMA_VERSION}:{digest.hexdigest()}"


def _is_stale(case: Case, path: Path) -> bool:
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            found = con.execute("SELECT value FROM index_meta WHERE key = 'manifest'").fetchone()
    except duckdb.Error:
        return True
    return found is None or found[0] != _manifest_stamp(case)
