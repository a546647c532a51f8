"""Processes from `/proc`: command line, executable (path and SHA-256), parent, start, user.

The executable is hashed through `/proc/<pid>/exe`, which still reads a binary its process
deleted after starting (a common trick). Each process also lists its socket inodes (to tie
connections to it), the files it has mapped (native libraries, preloaded objects) and the
start-up hooks in its own environment (`LD_PRELOAD`, `NODE_OPTIONS`, …).
Processes that vanish mid-read are skipped; unreadable fields are left empty.
"""

from __future__ import annotations

import os
import pwd
import time
from pathlib import Path
from typing import Any

from .environment import hook_variables
from .files import hash_file, iso_utc

MAX_MAPS = 200  # mapped files listed per process


def list_processes(proc: str, max_hash_bytes: int, deadline: float = 0.0) -> list[dict[str, Any]]:
    """One record per process visible under `proc` (normally `/proc`), ordered by pid."""
    boot = _boot_time(proc)
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    hashes: dict[tuple[int, int], str | None] = {}
    out = []
    pids = sorted(int(p.name) for p in Path(proc).iterdir() if p.name.isdigit())
    for pid in pids:
        if deadline and time.monotonic() > deadline:
            break
        record = _process(str(Path(proc, str(pid))), pid, boot, ticks, max_hash_bytes, hashes)
        if record is not None:
            out.append(record)
    return out


def _process(
    base: str,
    pid: int,
    boot: float | None,
    ticks: int,
    max_hash_bytes: int,
    hashes: dict[tuple[int, int], str | None],
) -> dict[str, Any] | None:
    try:
        with open(Path(base, "stat"), "rb") as src:
            stat_line = src.read().decode("utf-8", "replace")
        with open(Path(base, "cmdline"), "rb") as src:
            cmdline = [part.decode("utf-8", "replace") for part in src.read().split(b"\0") if part]
    except OSError:
        return None  # the process ended while we looked
    name, fields = _split_stat(stat_line)
    start = None
    if boot is not None and len(fields) > 19:
        start = iso_utc(boot + int(fields[19]) / ticks)
    uid = _uid(base)
    return {
        "pid": pid,
        "ppid": int(fields[1]) if len(fields) > 1 else None,
        "name": name,
        "cmdline": cmdline,
        "exe": _readlink(Path(base, "exe")),
        "exe_sha256": _exe_hash(base, max_hash_bytes, hashes),
        "started_at": start,
        "uid": uid,
        "user": _user(uid),
        "socket_inodes": _socket_inodes(base),
        "hooks": _hooks(base),
        "maps": _maps(base),
    }


def _split_stat(line: str) -> tuple[str, list[str]]:
    """`pid (comm) state ppid …`: comm may hold spaces and parentheses, so split at the last `)`."""
    left, _, right = line.rpartition(")")
    return left.partition("(")[2], right.split()


def _exe_hash(
    base: str, max_hash_bytes: int, hashes: dict[tuple[int, int], str | None]
) -> str | None:
    exe = f"{base}/exe"
    try:
        info = Path(exe).stat()
        key = (info.st_dev, info.st_ino)
        if key not in hashes:
            hashes[key] = hash_file(exe, max_hash_bytes, follow=True)[0] if _readable(exe) else None
        return hashes[key]
    except OSError:
        return None


def _readable(path: str) -> bool:
    return os.access(path, os.R_OK)


def _readlink(path: Path) -> str | None:
    try:
        return str(path.readlink())
    except OSError:
        return None


def _uid(base: str) -> int | None:
    try:
        with open(Path(base, "status"), encoding="utf-8", errors="replace") as src:
            for line in src:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _user(uid: int | None) -> str | None:
    if uid is None:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def _socket_inodes(base: str) -> list[int]:
    found = []
    try:
        names = [p.name for p in Path(base, "fd").iterdir()]
    except OSError:
        return []
    for name in names:
        target = _readlink(Path(base, "fd", name)) or ""
        if target.startswith("socket:[") and target.endswith("]"):
            found.append(int(target[8:-1]))
    return sorted(set(found))


def _hooks(base: str) -> dict[str, str]:
    """Start-up hooks in the process's own environment (`/proc/<pid>/environ`), which a
    wrapper or the code may have changed after Lambda started the sandbox."""
    try:
        with open(Path(base, "environ"), "rb") as src:
            raw = src.read(1 << 20)
    except OSError:
        return {}
    pairs = (item.decode("utf-8", "replace").partition("=") for item in raw.split(b"\0"))
    return hook_variables({key: value for key, _, value in pairs if key})


def _maps(base: str) -> list[str]:
    paths: dict[str, None] = {}
    try:
        with open(Path(base, "maps"), encoding="utf-8", errors="replace") as src:
            for line in src:
                parts = line.split(None, 5)
                if len(parts) == 6 and parts[5].startswith("/"):
                    paths[parts[5].rstrip("\n")] = None
                    if len(paths) >= MAX_MAPS:
                        break
    except OSError:
        return []
    return list(paths)


def _boot_time(proc: str) -> float | None:
    try:
        with open(Path(proc, "stat"), encoding="ascii", errors="replace") as src:
            for line in src:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except (OSError, ValueError):
        return None
    return None
