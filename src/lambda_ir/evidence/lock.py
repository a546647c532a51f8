"""One writer per case: an exclusive lock on `CASE/.lock` naming who holds it.

Two responders running `collect` on one case at once interleaved their manifest lines and
forked the chain of custody, and `verify` failed for ever after. Every command that writes
a case takes this lock first; the second one is refused with the holder's pid, host and
command line. Readers (`verify`, `search`) never take it.

The lock is `flock(2)` on the file, so the kernel releases it when its holder dies however
it dies (SIGKILL included): a `.lock` still naming a holder but not locked is stale, and the
next writer takes it over and says so. It removes the files the dead writer left in `.tmp/`
(named `w-<its pid>-<its token>-`, `store.temp_prefix`, the token recorded in `.lock`: pids
repeat across containers) and only those: anything else there was put by
someone else, is left for `verify` to report, and is named. The file is never deleted while
in use (deleting a locked file lets a third process lock a new one beside it); it is emptied
on release.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson

from lambda_ir.evidence import layout
from lambda_ir.evidence.case import CaseError
from lambda_ir.evidence.custody import utc_now
from lambda_ir.evidence.store import WRITER_TOKEN, temp_prefix

# The holder's description is small; a bigger file is not ours and is not read whole.
_MAX_HOLDER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a case's lock."""

    pid: int
    host: str
    command: str
    since: str
    token: str = ""  # `store.WRITER_TOKEN` of the holder; "" in a lock from before tokens

    def describe(self) -> str:
        return f"`{self.command}` (pid {self.pid} on {self.host}, since {self.since})"

    def made(self, name: str) -> bool:
        """True when an entry of `.tmp/` (its first path part) is this writer's own."""
        if self.pid <= 0 or not self.token:
            return False  # without its token, a file with its pid may be another's: kept
        return name.split("/", 1)[0].startswith(temp_prefix(self.pid, self.token))


class CaseLocked(CaseError):
    """Another process is writing this case."""

    def __init__(self, root: Path, holder: Holder | None) -> None:
        who = holder.describe() if holder else "another process (it did not say which)"
        super().__init__(
            f"{root} is being written by {who}; one command writes a case at a time: "
            "wait for it to finish and run this again (verify and search work meanwhile)"
        )
        self.holder = holder


@dataclass(frozen=True)
class Acquired:
    """The lock we hold, and the stale holder we took it over from, if any."""

    holder: Holder
    stale: Holder | None
    cleared: int = 0  # partial files the stale holder left in .tmp/, removed
    planted: tuple[str, ...] = ()  # other entries of .tmp/, not the stale holder's: kept


@contextmanager
def case_lock(root: Path, command: str) -> Iterator[Acquired]:
    """Hold the case's write lock for the block, or raise `CaseLocked` at once.

    `root` is created if missing (the lock must exist before the case does). Re-entrant
    within one process: a command that runs another (investigate runs collect, index...)
    holds it once.
    """
    root.mkdir(mode=layout.DIR_MODE, parents=True, exist_ok=True)
    fd = os.open(root / layout.LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        if not _try_lock(fd):
            holder = _read_holder(fd)
            if holder is not None and holder == _me(holder.command, holder.since):
                yield Acquired(holder, None)  # this process holds it already
                return
            raise CaseLocked(root, holder)
        stale = _read_holder(fd)
        me = _me(command, utc_now())
        _write_holder(fd, me)
        cleared, planted = _clear_staging(root, stale) if stale is not None else (0, ())
        try:
            yield Acquired(me, stale, cleared, planted)
        finally:
            _clear_staging(root, me)  # our own scratch (DuckDB's spill folder...), not others'
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def current_holder(root: Path) -> Holder | None:
    """The live writer of the case, or None when nobody holds the lock (for readers)."""
    live, _ = _holders(root)
    return live


def stale_holder(root: Path) -> Holder | None:
    """The writer that died holding the lock (its record is still there), or None."""
    _, stale = _holders(root)
    return stale


def _holders(root: Path) -> tuple[Holder | None, Holder | None]:
    """(live holder, dead holder still recorded): at most one of them is not None."""
    try:
        fd = os.open(root / layout.LOCK, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None, None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd) or Holder(0, "?", "?", "?"), None
        recorded = _read_holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None, recorded
    finally:
        os.close(fd)


def _clear_staging(root: Path, stale: Holder) -> tuple[int, tuple[str, ...]]:
    """Remove what a killed writer left half-written in `.tmp/` (never evidence: files are
    listed only after they leave it): the entries named with its pid, and no other. Returns
    how many were removed and the names of the others, left for `verify` to report."""
    removed = 0
    others = []
    staging = root / layout.TMP_DIR
    try:
        entries = sorted(os.scandir(staging), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return 0, ()
    for entry in entries:
        if not stale.made(entry.name):
            others.append(f"{layout.TMP_DIR}/{entry.name}")
        elif entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)  # removes links inside, never what they point at
            removed += 1
        else:
            Path(entry.path).unlink()
            removed += 1
    return removed, tuple(others)


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock; a reader's brief shared lock is waited out (up to ~1 s)."""
    for _ in range(20):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if _read_holder(fd) is not None:
                return False  # a writer: refuse at once
            time.sleep(0.05)
        else:
            return True
    return False


def _host() -> str:
    return socket.gethostname()


def _me(command: str, since: str) -> Holder:
    return Holder(os.getpid(), _host(), command, since, WRITER_TOKEN)


def _read_holder(fd: int) -> Holder | None:
    raw = os.pread(fd, _MAX_HOLDER_BYTES, 0)
    if not raw.strip():
        return None
    try:
        document = orjson.loads(raw)
        return Holder(
            int(document["pid"]),
            str(document["host"]),
            str(document["command"]),
            str(document["since"]),
            str(document.get("token", "")),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return Holder(0, "?", "(unreadable .lock)", "?")


def _write_holder(fd: int, holder: Holder) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, orjson.dumps(holder.__dict__) + b"\n", 0)
