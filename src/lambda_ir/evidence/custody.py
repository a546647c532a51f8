"""Chain of custody: a hash-chained, append-only log of every action taken on a case.

Each entry carries the SHA-256 of the previous line (`prev`) and a checkpoint of the
manifest (`manifest_lines`, `manifest_sha256`: the hash of its first N lines), so editing
or removing a custody line, or editing a manifest line that a checkpoint covers, breaks
the chain that `verify` walks.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from lambda_ir import __version__

GENESIS = "0" * 64


def utc_now() -> str:
    """Current UTC time, ISO-8601 with microseconds and a trailing Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class CustodyEntry:
    seq: int
    time: str
    action: str
    details: dict[str, Any]
    caller: str
    host: str
    user: str
    tool_version: str
    manifest_lines: int
    manifest_sha256: str
    prev: str


@dataclass(frozen=True)
class Checkpoint:
    """The state of the manifest when an action was recorded."""

    lines: int
    sha256: str


def line_hash(raw: bytes) -> str:
    return hashlib.sha256(raw.rstrip(b"\n")).hexdigest()


def local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def build_entry(
    seq: int, action: str, details: dict[str, Any], caller: str, checkpoint: Checkpoint, prev: str
) -> bytes:
    record = {
        "seq": seq,
        "time": utc_now(),
        "action": action,
        "details": details,
        "caller": caller,
        "host": socket.gethostname(),
        "user": local_user(),
        "tool_version": __version__,
        "manifest_lines": checkpoint.lines,
        "manifest_sha256": checkpoint.sha256,
        "prev": prev,
    }
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n"


def read_entries(path: Path) -> Iterator[tuple[int, bytes, CustodyEntry | None]]:
    """Yield (line number, raw line, parsed entry or None when the line is unreadable)."""
    if not path.exists():
        return
    with path.open("rb") as src:
        for number, raw in enumerate(src, start=1):
            try:
                record = orjson.loads(raw)
                entry = CustodyEntry(**record)
            except (orjson.JSONDecodeError, TypeError):
                entry = None
            yield number, raw, entry


def last_hash(path: Path) -> tuple[int, str]:
    """(number of entries, hash of the last line) — where the next entry chains on."""
    count, prev = 0, GENESIS
    for count, raw, _ in read_entries(path):  # noqa: B007 - we want the last values
        prev = line_hash(raw)
    return count, prev
