"""What a case handle knows of its manifest: the lines read so far, by path and by call.

Several handles (threads of one collect, a library caller, a process the case lock did not
stop) may append to one manifest. Each line is appended whole under an exclusive `flock`,
and a handle that finds the file longer than it left it reads the new lines first, so its
running SHA-256 (the custody checkpoint) always covers the manifest as it is on disk.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lambda_ir.evidence.custody import Checkpoint
from lambda_ir.evidence.manifest import ManifestEntry, parse_line


class ManifestTally:
    """The manifest's lines as one handle has read them: count, size, hash and lookups.

    Not thread-safe on its own: `Case` calls it under its lock.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.by_path: dict[str, ManifestEntry] = {}
        self.done: set[str] = set()  # call keys that succeeded (for resuming)
        self._digest = hashlib.sha256()
        self._lines = 0
        self._size = 0
        self.catch_up()

    def checkpoint(self) -> Checkpoint:
        """The manifest as read so far, for a custody entry."""
        return Checkpoint(self._lines, self._digest.hexdigest())

    def append(self, entry: ManifestEntry) -> None:
        """Append one line, after any lines another handle appended since we looked."""
        raw = entry.to_line()
        with locked_append(self.path) as fd:
            if os.fstat(fd).st_size != self._size:
                self.catch_up()
            os.write(fd, raw)
        self._count(raw)
        self._index(entry)

    def catch_up(self) -> None:
        """Read the lines written since our last look (at open, or by another process)."""
        if not self.path.exists():
            return
        with self.path.open("rb") as src:
            src.seek(self._size)
            for raw in src:
                if not raw.endswith(b"\n"):
                    break  # a line still being written; it is not ours to count yet
                self._count(raw)
                line = parse_line(self._lines, raw)
                if line.entry is not None:
                    self._index(line.entry)

    def _count(self, raw: bytes) -> None:
        self._digest.update(raw)
        self._lines += 1
        self._size += len(raw)

    def _index(self, entry: ManifestEntry) -> None:
        if entry.path:
            self.by_path[entry.path] = entry
        if entry.error is None and entry.api:
            self.done.add(entry.call_key)


@contextmanager
def locked_append(path: Path) -> Iterator[int]:
    """An O_APPEND descriptor holding an exclusive lock, so two processes never interleave."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def file_size(path: Path) -> int:
    """A file's size, 0 when it does not exist yet."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
