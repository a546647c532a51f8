"""One snapshot of a running execution environment: /tmp, processes, sockets, env, /opt.

`take_snapshot` reads only; it writes nothing anywhere. Where it looks is a `Roots` value
(`/tmp`, `/opt`, `/proc` by default) so a test can point it at a prepared tree. Everything
is bounded: a deadline for the whole snapshot, a cap on files listed and bytes hashed.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .environment import function_context, redacted_environment
from .files import TreeLimits, iso_utc, walk_tree
from .procs import list_processes
from .sockets import attach_owners, list_sockets

FORMAT = "lambda-ir-runtime-snapshot/1"


@dataclass(frozen=True)
class Roots:
    """Where the snapshot looks; the defaults are the real execution environment."""

    tmp: str = "/tmp"  # noqa: S108 - Lambda's writable directory is what we collect
    opt: str = "/opt"
    proc: str = "/proc"


@dataclass(frozen=True)
class Limits:
    """Bounds of one snapshot (a snapshot past its budget says it is incomplete)."""

    seconds: float = 5.0
    max_files: int = 5000
    max_hash_bytes: int = 64 << 20
    content_cap: int = 4096  # small /tmp files keep their content (configs, scripts)
    with_opt: bool = True  # /opt is hashed at cold start; invocations may skip it


def take_snapshot(
    trigger: str,
    *,
    roots: Roots | None = None,
    limits: Limits | None = None,
    env: Mapping[str, str] | None = None,
    invocation: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A JSON-ready snapshot; `trigger` says why it was taken (cold-start, invoke, manual)."""
    roots = roots or Roots()
    limits = limits or Limits()
    env = os.environ if env is None else env
    started = time.monotonic()
    deadline = started + limits.seconds
    tmp_limits = TreeLimits(
        max_files=limits.max_files,
        max_hash_bytes=limits.max_hash_bytes,
        content_cap=limits.content_cap,
        deadline=deadline,
    )
    processes = list_processes(roots.proc, limits.max_hash_bytes, deadline)
    connections = list_sockets(roots.proc)
    attach_owners(connections, processes)
    snapshot: dict[str, Any] = {
        "format": FORMAT,
        "snapshot_id": uuid.uuid4().hex,
        "trigger": trigger,
        "captured_at": iso_utc(time.time()),
        "context": function_context(env, invocation or {}),
        "collector": {"pid": os.getpid(), "ppid": os.getppid()},
        "processes": processes,
        "connections": connections,
        "tmp": walk_tree(roots.tmp, "/tmp", tmp_limits),  # noqa: S108
        "environment": redacted_environment(env),
    }
    if limits.with_opt:
        opt_limits = TreeLimits(
            max_files=limits.max_files, max_hash_bytes=limits.max_hash_bytes, deadline=deadline
        )
        snapshot["opt"] = walk_tree(roots.opt, "/opt", opt_limits)
    snapshot["seconds"] = round(time.monotonic() - started, 3)
    snapshot["complete"] = time.monotonic() <= deadline and all(
        snapshot[k]["complete"] for k in ("tmp", "opt") if k in snapshot
    )
    return snapshot
