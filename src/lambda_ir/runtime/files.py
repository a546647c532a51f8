"""Walk a directory tree (`/tmp`, `/opt`) within a budget: names, sizes, modes, mtimes, SHA-256.

Symbolic links are recorded with their target and never followed; special files are listed,
never opened; each file is opened once, without following links and without blocking, and
hashed and (when small) kept from that one read. Small regular files carry their content
(base64) up to `content_cap` each and `content_total` for the whole tree. The walk stops at
`max_files` entries or when the deadline passes, and says so.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


@dataclass(frozen=True)
class TreeLimits:
    """How much of a tree one snapshot reads."""

    max_files: int = 5000
    max_hash_bytes: int = 64 << 20  # per file: larger files are listed, not hashed
    content_cap: int = 0  # bytes of content kept for files up to this size (0: none)
    content_total: int = 1 << 20  # content kept over the whole tree at most
    deadline: float = 0.0  # time.monotonic() value after which the walk stops (0: none)


def hash_file(
    path: str, limit: int, *, follow: bool = False, keep: int = 4
) -> tuple[str | None, bytes]:
    """SHA-256 of a regular file (None when larger than `limit`) and its first `keep` bytes.

    A symbolic link is refused unless `follow` (only `/proc/<pid>/exe` is followed); a FIFO
    is opened non-blocking and never read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    flags |= 0 if follow else getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None, os.read(fd, keep) if stat.S_ISREG(info.st_mode) else b""
        digest = hashlib.sha256()
        head = b""
        while chunk := os.read(fd, CHUNK):
            if len(head) < keep:
                head += chunk[: keep - len(head)]
            digest.update(chunk)
        return digest.hexdigest(), head
    finally:
        os.close(fd)


def walk_tree(root: str, shown_as: str, limits: TreeLimits) -> dict[str, Any]:
    """Every entry under `root`, named as if `root` were `shown_as` (e.g. `/tmp`)."""
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    budget = [limits.content_total]  # content bytes the rest of the walk may still keep
    complete = True
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            names = sorted(p.name for p in Path(directory).iterdir())
        except OSError as exc:
            problems.append(f"{_shown(directory, root, shown_as)}: {exc.strerror}")
            continue
        for name in names:
            if len(entries) >= limits.max_files or _late(limits):
                complete = False
                stack.clear()
                break
            path = f"{directory}/{name}"
            entry = _entry(path, _shown(path, root, shown_as), limits, problems, budget)
            if entry is not None:
                entries.append(entry)
                if entry["type"] == "dir":
                    stack.append(path)
    return {"root": shown_as, "complete": complete, "entries": entries, "problems": problems}


def _entry(
    path: str, shown: str, limits: TreeLimits, problems: list[str], budget: list[int]
) -> dict[str, Any] | None:
    try:
        info = os.lstat(path)
    except OSError as exc:
        problems.append(f"{shown}: {exc.strerror}")
        return None
    entry: dict[str, Any] = {
        "path": shown,
        "type": _kind(info.st_mode),
        "size": info.st_size,
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
        "uid": info.st_uid,
        "mtime": iso_utc(info.st_mtime),
    }
    if entry["type"] == "symlink":
        try:
            entry["target"] = str(Path(path).readlink())
        except OSError as exc:
            problems.append(f"{shown}: {exc.strerror}")
    elif entry["type"] == "file":
        _hash_into(entry, path, shown, limits, problems, budget)
    return entry


def _hash_into(
    entry: dict[str, Any],
    path: str,
    shown: str,
    limits: TreeLimits,
    problems: list[str],
    budget: list[int],
) -> None:
    keep = min(limits.content_cap, budget[0]) if entry["size"] <= limits.content_cap else 0
    try:
        digest, head = hash_file(path, limits.max_hash_bytes, keep=max(4, keep))
    except OSError as exc:
        problems.append(f"{shown}: {exc.strerror}")
        return
    entry["sha256"] = digest
    entry["magic"] = head[:4].hex()
    entry["executable"] = head[:4] == b"\x7fELF" or head[:2] == b"#!"
    if digest and keep and 0 < len(head) == entry["size"]:  # whole and unchanged since lstat
        budget[0] -= len(head)
        entry["content_b64"] = base64.b64encode(head).decode()


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISLNK, "symlink"),
        (stat.S_ISREG, "file"),
        (stat.S_ISDIR, "dir"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "other"


def _shown(path: str, root: str, shown_as: str) -> str:
    rel = os.path.relpath(path, root)
    return shown_as if rel == "." else f"{shown_as.rstrip('/')}/{rel}"


def _late(limits: TreeLimits) -> bool:
    return bool(limits.deadline) and time.monotonic() > limits.deadline


def iso_utc(seconds: float) -> str:
    """Seconds since the epoch as ISO-8601 UTC with milliseconds (`…T10:00:00.123Z`)."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{whole}.{int(seconds % 1 * 1000):03d}Z"
