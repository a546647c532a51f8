"""List the files inside code and layer packages (`code_files`), reading zips in memory.

Packages are attacker-made: nothing is extracted to disk or run, member names are data
(a `../` name is noted, never followed), symlinks are noted, and every read is bounded so
a zip bomb costs at most `MAX_MEMBER` bytes per member and `MAX_TOTAL` per package (a
`ReadBudget`, which a reader of nested zips passes to each of them: one budget in all).
"""

from __future__ import annotations

import hashlib
import lzma
import stat
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import duckdb

from lambda_ir.capabilities.paths import unpacked_path
from lambda_ir.evidence.case import Case
from lambda_ir.evidence.index_values import bulk_insert
from lambda_ir.evidence.manifest import ManifestEntry

MAX_MEMBER = 256 << 20
MAX_TOTAL = 2 << 30
MAX_RATIO = 1000
MAX_MEMBERS = 200_000
CHUNK = 1 << 20
CODE_KINDS = ("code", "layer-code")


@dataclass(frozen=True)
class Member:
    """One file inside a package: its name as the zip gives it, where it unpacks (`path`,
    what rules match: `./extensions/x` is `extensions/x`), sizes, and content when it was
    safe to read."""

    name: str
    path: str
    size: int
    compressed_size: int
    is_symlink: bool
    content: bytes | None
    note: str | None


# What a damaged or hostile zip makes the standard library raise: names flagged UTF-8 that
# are not (UnicodeDecodeError, a ValueError), a corrupt deflate stream (zlib.error), data
# ending early, methods it cannot read. Found by fuzzing (tests/fuzz/test_fuzz_archive.py).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    lzma.LZMAError,  # a corrupt LZMA member: no OSError
    OSError,
    EOFError,
    NotImplementedError,
    ValueError,
    zlib.error,
    IndexError,
    struct.error,
    RuntimeError,  # an encrypted member (no password is ever tried)
)


@dataclass
class ReadBudget:
    """What reading a package may still cost: bytes inflated, members, and time (a
    `time.monotonic()` deadline; 0 for none). Pass one budget to every zip nested in the
    package, so none starts afresh; `stopped` says why reading ended early, when it did."""

    total: int = MAX_TOTAL
    members: int = MAX_MEMBERS
    deadline: float = 0.0
    stopped: str = ""

    def spent(self) -> str:
        """Why nothing more may be read ("" while something may)."""
        if self.members <= 0:
            return "member limit reached; the rest not read"
        if self.deadline and time.monotonic() > self.deadline:
            return "time limit reached; the rest not read"
        return ""


def read_members(
    source: Path | IO[bytes], *, keep_content: bool = True, budget: ReadBudget | None = None
) -> Iterator[Member]:
    """Each member of a zip, content read in memory within the bounds (None when skipped);
    within `budget` when one is given, else within a budget of its own."""
    budget = budget if budget is not None else ReadBudget()
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            budget.stopped = budget.spent()
            if budget.stopped:
                return
            budget.members -= 1
            if not info.filename or info.is_dir():  # a nameless entry is damage, not a file
                continue
            note = _refusal(info, budget.total)
            content = None
            if note is None:
                try:
                    content = _read(archive, info)
                    budget.total -= len(content)
                except ZIP_ERRORS as e:
                    note = f"unreadable member: {type(e).__name__}: {e}"
            yield Member(
                name=info.filename,
                path=unpacked_path(info.filename),
                size=info.file_size,
                compressed_size=info.compress_size,
                is_symlink=_is_symlink(info),
                content=content if keep_content else None,
                note=note or _name_note(info.filename),
            )


def load_code_files(
    con: duckdb.DuckDBPyConnection, case: Case, entries: list[ManifestEntry]
) -> list[str]:
    """Fill `code_files` with one row per member of every code/layer package in the case:
    `member` as the zip names it (what evidence cites), `path` where it unpacks."""
    problems = []
    for entry in entries:
        if entry.kind not in CODE_KINDS or not entry.path or not entry.sha256:
            continue
        rows = []
        try:
            for member in read_members(case.path(entry.path)):
                content = member.content
                digest = None if content is None else hashlib.sha256(content).hexdigest()
                rows.append(
                    (
                        entry.sha256,
                        entry.kind,
                        member.name,
                        member.size,
                        member.compressed_size,
                        digest,
                        member.is_symlink,
                        member.note,
                        entry.path,
                        member.path,
                    )
                )
        except ZIP_ERRORS as exc:
            problems.append(f"{entry.path}: not a readable zip: {exc}")
        bulk_insert(con, "code_files", rows)
    return problems


def _refusal(info: zipfile.ZipInfo, budget: int) -> str | None:
    if _is_symlink(info):
        return "symlink (target not followed)"
    if info.file_size > MAX_MEMBER:
        return f"larger than {MAX_MEMBER} bytes; not read"
    if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
        return f"compression ratio above {MAX_RATIO} (possible zip bomb); not read"
    if info.file_size > budget:
        return "package read budget exhausted; not read"
    return None


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """Read at most the declared size plus one chunk, so a lying header cannot blow memory."""
    parts = []
    total = 0
    with archive.open(info) as member:
        while chunk := member.read(CHUNK):
            total += len(chunk)
            if total > info.file_size + CHUNK or total > MAX_MEMBER:
                raise ValueError("member longer than its header says")
            parts.append(chunk)
    return b"".join(parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _name_note(name: str) -> str | None:
    if name.startswith("/") or ".." in name.replace("\\", "/").split("/"):
        return "unsafe member path (would escape an extraction folder)"
    return None
