"""Load runtime snapshots (kind `runtime`) into the index: files, processes, connections.

One row per /tmp or /opt entry, per process and per socket of every stored snapshot, each
with the snapshot's function, capture time and evidence. Snapshots are few and bounded by
the collector (5,000 files each), so they are read in Python and bulk-inserted; a snapshot
that does not parse is a problem string, never a crash. Small files' content is kept as text
when it is UTF-8 (configs, scripts), for detectors that look inside.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

import duckdb
import orjson

from lambda_ir.evidence.case import Case
from lambda_ir.evidence.index_values import bulk_insert, json_text, utc_timestamp
from lambda_ir.evidence.manifest import ManifestEntry

Row = tuple[Any, ...]


def load_runtime(con: duckdb.DuckDBPyConnection, case: Case) -> list[str]:
    """Fill the three runtime tables from every stored snapshot; returns problems."""
    problems: list[str] = []
    files: list[Row] = []
    processes: list[Row] = []
    connections: list[Row] = []
    for entry in case.entries():
        if entry.kind != "runtime" or entry.error is not None or not entry.path:
            continue
        try:
            snapshot = case.read_json(entry.path)
            head = _head(entry, snapshot)
            files.extend((*head, *row, entry.path, entry.sha256) for row in _files(snapshot))
            processes.extend(
                (*head[:5], *row, entry.path, entry.sha256) for row in _processes(snapshot)
            )
            connections.extend(
                (*head[:5], *row, entry.path, entry.sha256) for row in _connections(snapshot)
            )
        except (OSError, orjson.JSONDecodeError, TypeError, AttributeError, KeyError) as exc:
            problems.append(f"{entry.path}: {type(exc).__name__}: {exc}")
    bulk_insert(con, "runtime_files", files)
    bulk_insert(con, "runtime_processes", processes)
    bulk_insert(con, "runtime_connections", connections)
    return problems


def _head(entry: ManifestEntry, snapshot: dict[str, Any]) -> Row:
    context = snapshot.get("context") or {}
    return (
        entry.account or context.get("account") or "",
        entry.region or context.get("region") or "",
        context.get("function_name") or entry.meta.get("function") or "",
        snapshot.get("snapshot_id") or "",
        utc_timestamp(snapshot.get("captured_at")),
        snapshot.get("trigger") or "",
    )


def _files(snapshot: dict[str, Any]) -> Iterator[Row]:
    for root in ("tmp", "opt"):
        tree = snapshot.get(root) or {}
        for item in tree.get("entries") or []:
            yield (
                f"/{root}",
                item.get("path"),
                item.get("type"),
                item.get("size"),
                item.get("mode"),
                utc_timestamp(item.get("mtime")),
                item.get("sha256"),
                item.get("magic"),
                item.get("target"),
                _text(item.get("content_b64")),
            )


def _processes(snapshot: dict[str, Any]) -> Iterator[Row]:
    collector = (snapshot.get("collector") or {}).get("pid")
    # Every Lambda execution environment sets this; a snapshot taken elsewhere (a test, a
    # responder's laptop) has processes that say nothing about a function.
    in_lambda = "AWS_LAMBDA_RUNTIME_API" in (snapshot.get("environment") or {})
    for item in snapshot.get("processes") or []:
        yield (
            item.get("pid"),
            item.get("ppid"),
            item.get("name"),
            json_text(item.get("cmdline") or []),
            item.get("exe"),
            item.get("exe_sha256"),
            utc_timestamp(item.get("started_at")),
            item.get("user"),
            item.get("pid") == collector,
            in_lambda,
            json_text(item.get("hooks") or {}),
        )


def _connections(snapshot: dict[str, Any]) -> Iterator[Row]:
    for item in snapshot.get("connections") or []:
        yield (
            item.get("protocol"),
            item.get("local_ip"),
            item.get("local_port"),
            item.get("remote_ip"),
            item.get("remote_port"),
            item.get("state"),
            item.get("pid"),
            item.get("process"),
        )


def _text(content_b64: Any) -> str | None:
    if not isinstance(content_b64, str):
        return None
    try:
        return base64.b64decode(content_b64, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
