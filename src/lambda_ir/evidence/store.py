"""Write-once, atomic file writes: a temp file in the case, fsync, read-only, rename."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from lambda_ir.evidence.layout import DIR_MODE, FILE_MODE, TMP_DIR

CHUNK = 1 << 20

# Drawn once per process and recorded in the case's `.lock`: pids alone repeat (two
# containers on one case each have a pid 7), so a writer's files carry both.
WRITER_TOKEN = secrets.token_hex(8)


class IntegrityError(Exception):
    """Bytes did not hash to what the source said they should."""


class OversizeError(Exception):
    """A stream was longer than the caller allowed."""


@dataclass(frozen=True)
class StagedFile:
    """A fully written, hashed temp file waiting to be moved into place."""

    temp: Path
    sha256: str
    size: int


def temp_prefix(pid: int | None = None, token: str = WRITER_TOKEN) -> str:
    """How a writer's files in `.tmp/` begin: `w-<pid>-<token>-` (this process's unless
    told), so the writer that takes over a killed one's lock removes that writer's files
    only, never a file planted since nor one of another process that had the same pid."""
    return f"w-{os.getpid() if pid is None else pid}-{token}-"


def scratch_path(root: Path, name: str) -> Path:
    """A path in the case's `.tmp/` for this process's scratch (a DuckDB spill folder, an
    index being built), named with its pid and token like every staged file."""
    return root / TMP_DIR / f"{temp_prefix()}{name}"


def stage(
    root: Path, chunks: Iterable[bytes], max_bytes: int | None = None, *, behind: bool = False
) -> StagedFile:
    """Stream chunks into a temp file under the case's scratch folder, hashing as we go.

    With `behind`, each chunk is hashed and written by a second thread while the next one is
    made (both free the GIL): for outputs made in Python (`Case.write_derived_stream`:
    findings.json's 320 MB at a million events took 0.35 s to hash and write; a small output
    pays a thread's start), not for the many artifacts of a collection."""
    tmp_dir = root / TMP_DIR
    tmp_dir.mkdir(mode=DIR_MODE, exist_ok=True)
    digest = hashlib.sha256()
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=temp_prefix())
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:

            def put(chunk: bytes) -> None:
                digest.update(chunk)
                out.write(chunk)

            size = _drain(chunks, put, max_bytes, behind)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return StagedFile(temp=temp, sha256=digest.hexdigest(), size=size)


def _drain(
    chunks: Iterable[bytes], put: Callable[[bytes], None], max_bytes: int | None, behind: bool
) -> int:
    """Hand every chunk to `put`, in order; returns how many bytes there were. With `behind`,
    `put` runs on a second thread while the next chunk is made."""
    size = 0
    pending: Future[None] | None = None
    with ThreadPoolExecutor(1) if behind else nullcontext() as writer:
        for chunk in chunks:
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise OversizeError(f"more than {max_bytes} bytes")
            if writer is None:
                put(chunk)
                continue
            if pending is not None:
                pending.result()  # one chunk at a time, in order; a failed write stops it
            pending = writer.submit(put, chunk)
        if pending is not None:
            pending.result()
    return size


def commit(staged: StagedFile, target: Path) -> None:
    """Make the staged file read-only and rename it into place (atomic on one filesystem)."""
    _make_dirs(target.parent)
    staged.temp.chmod(FILE_MODE)
    staged.temp.replace(target)


def discard(staged: StagedFile) -> None:
    staged.temp.unlink(missing_ok=True)


def write_atomic(target: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Replace `target` with `data` in one step (used for derived outputs and case.json)."""
    _make_dirs(target.parent)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        Path(name).chmod(mode)
        Path(name).replace(target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def hash_file(path: Path) -> tuple[str, int]:
    """Stream a file through SHA-256; returns (hex digest, size)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _make_dirs(path: Path) -> None:
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
