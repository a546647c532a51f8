"""Packages to download, and which version each unique package is attributed to.

Packages are downloaded after every version has been listed, so the choice of which
function version a shared blob is listed under is deterministic — the alphabetically first
function's lowest version — however the calls interleave (a throttled run and a clean run
write the same manifest).
"""

from __future__ import annotations

import base64
import binascii
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Package:
    """A package to fetch: where from, what AWS says it hashes to, and how to list it."""

    url: str
    code_sha256: str  # AWS's base64 form
    size: int | None
    kind: str
    api: str
    params: dict[str, Any]
    region: str
    account: str
    meta: dict[str, Any]

    @property
    def sha256_hex(self) -> str:
        """The hex SHA-256 the blob must have ('' when `CodeSha256` is not base64)."""
        try:
            raw = base64.b64decode(self.code_sha256, validate=True)
        except (binascii.Error, ValueError):
            return ""
        return raw.hex() if len(raw) == 32 else ""


class PackagePlan:
    """The packages a run has seen, one per (kind, SHA-256), each with its chosen source."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._best: dict[tuple[str, str], tuple[tuple[Any, ...], Package]] = {}

    def offer(self, order: tuple[Any, ...], package: Package) -> None:
        """Propose `package`; the smallest `order` for its (kind, CodeSha256) wins."""
        key = (package.kind, package.code_sha256)
        with self._lock:
            held = self._best.get(key)
            if held is None or order < held[0]:
                self._best[key] = (order, package)

    def chosen(self) -> list[Package]:
        """One package per (kind, CodeSha256), in a stable order."""
        with self._lock:
            return [package for _, (_, package) in sorted(self._best.items())]


def version_order(function: str, qualifier: str) -> tuple[str, int, int]:
    """Sort key: function name, then numbered versions ascending, `$LATEST` last."""
    if qualifier.isdigit():
        return (function, 0, int(qualifier))
    return (function, 1, 0)
