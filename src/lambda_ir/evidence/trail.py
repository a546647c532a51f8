"""Import local CloudTrail into a case: each source file's records as zstd JSON lines.

What shapes are read and how bad input is handled: `trail_read`. Files are imported by one
process per core; each becomes `trail/import/<source sha>/<name>.jsonl.zst` (kind `trail`,
api `local:import`) and each problem a manifest entry with `error`.
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zstandard
from isal import isal_zlib

from lambda_ir.evidence.case import Case
from lambda_ir.evidence.layout import path_segment
from lambda_ir.evidence.manifest import ManifestEntry
from lambda_ir.evidence.trail_read import OUT_CHUNK, RecordBlock, iter_record_blocks, open_source

# Stored CloudTrail is JSON lines in zstd: as fast to write as gzip at its fastest level, a
# third smaller, and DuckDB reads it ~2.5x faster than gzip when the index is built.
ARTIFACT_SUFFIX = ".jsonl.zst"
AS_SENT_SUFFIX = ".as-sent.zst"  # not `.jsonl.*`: no reader of the trail's files takes it
ZSTD_LEVEL = 1
BATCH = 8  # files per worker task: few enough to balance, enough to open the case rarely
DIGEST_MARK = "CloudTrail-Digest"
# glibc's mallopt parameters, and the values an import process runs with (`reuse_freed_memory`).
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
KEEP_BUFFERS_BELOW = 32 << 20  # glibc's largest mmap threshold: every CloudTrail file's buffers
KEEP_FREED = 256 << 20


@dataclass(frozen=True)
class FileImport:
    """What importing one source file did: its artifact (if any) and what was wrong."""

    source: str
    records: int
    artifact: str | None
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ImportSummary:
    """The result of `import_trail`, for the CLI summary and for tests."""

    files: tuple[FileImport, ...]
    ignored: tuple[str, ...]

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def skipped(self) -> int:
        """Files from which nothing could be read."""
        return sum(1 for f in self.files if f.artifact is None)

    @property
    def warnings(self) -> int:
        return sum(len(f.problems) for f in self.files)


def find_sources(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """Expand folders into files (sorted); CloudTrail digest files and dotfiles are ignored."""
    found: list[Path] = []
    ignored: list[Path] = []
    for path in paths:
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            if DIGEST_MARK in str(candidate) or candidate.name.startswith("."):
                ignored.append(candidate)
            else:
                found.append(candidate)
    return found, ignored


def compress_lines(
    lines: Iterator[bytes | bytearray], compressor: zstandard.ZstdCompressor | None = None
) -> Iterator[bytes]:
    """zstd-compress lines (or blocks of lines) in ~1 MB chunks: one frame, a fast level.

    Pass one `compressor` for many files: a new one allocates its tables afresh each time.
    """
    packer = (compressor or zstandard.ZstdCompressor(level=ZSTD_LEVEL)).compressobj()
    batch: list[bytes | bytearray] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size >= OUT_CHUNK:
            yield packer.compress(batch[0] if len(batch) == 1 else b"".join(batch))
            batch, size = [], 0
    yield packer.compress(b"".join(batch)) + packer.flush()


def gzip_lines(lines: Iterator[bytes], level: int = 1) -> Iterator[bytes]:
    """gzip a stream of lines in ~1 MB chunks (isal, fast level), for log artifacts."""
    packer = isal_zlib.compressobj(level, isal_zlib.DEFLATED, 31)
    batch: list[bytes] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size >= OUT_CHUNK:
            yield packer.compress(b"".join(batch))
            batch, size = [], 0
    yield packer.compress(b"".join(batch)) + packer.flush()


def import_file(
    case: Case,
    source: Path,
    display: str,
    compressor: zstandard.ZstdCompressor | None = None,
) -> FileImport:
    """Import one local file into `case` as `trail/import/<source sha>/<name>.jsonl.zst`."""
    problems: list[str] = []
    as_sent = AsSent()
    counter = _Counter()
    digest = _file_sha256(source)
    relpath = f"trail/import/{digest[:16]}/{path_segment(source.name)}{ARTIFACT_SUFFIX}"
    params = {"source": display}
    meta = {"source_sha256": digest}
    artifact = None
    with open_source(source) as stream:
        blocks = counter.count(iter_record_blocks(stream, problems, as_sent=as_sent))
        first = next(blocks, None)
        if first is not None:  # a file with no readable record leaves no empty artifact
            entry = case.put_stream(
                compress_lines(itertools.chain((first,), blocks), compressor),
                relpath,
                kind="trail",
                api="local:import",
                params=params,
                meta=meta,
            )
            artifact = entry.path
    for problem in problems:
        case.record_error(kind="trail", api="local:import", params=params, error=problem)
    if artifact is None and not problems:
        # read to its end, well formed, without a record: said, but no failed call (the
        # report would count it a collection gap)
        problems.append("no CloudTrail records in it")
    if as_sent:  # said, not a failed call: every record in them was read
        kept = keep_as_sent(case, as_sent, relpath, api="local:import", params=params, meta=meta)
        past = f"; {as_sent.dropped} more past {MAX_AS_SENT} bytes not kept so" * bool(
            as_sent.dropped
        )
        problems.append(
            f"{len(as_sent) + as_sent.dropped} line(s) held lone surrogate escapes (such as "
            f"\\ud800), imported with them as text; kept as read in {kept.path}{past}"
        )
    return FileImport(display, counter.total, artifact, tuple(problems))


def keep_as_sent(
    case: Case,
    lines: list[bytes],
    artifact: str,
    *,
    api: str,
    params: dict[str, Any],
    meta: dict[str, Any] | None = None,
    account: str | None = None,
    region: str | None = None,
) -> ManifestEntry:
    """Store beside `artifact`, as read, the lines (or document) whose lone surrogate escapes
    the reader made text (`iter_record_blocks`' `as_sent`), listed as from the same call.

    Kind `other`: kept and hashed, never read by the index, whose JSON reader refuses such
    an escape (one stored in the trail failed every read of it).
    """
    return case.put_stream(
        compress_lines(iter(lines)),
        artifact.removesuffix(ARTIFACT_SUFFIX) + AS_SENT_SUFFIX,
        kind="other",
        api=api,
        params=params,
        account=account,
        region=region,
        meta={**(meta or {}), "kept": "as read, before lone surrogates became text"},
    )


MAX_AS_SENT = 64 << 20  # bytes of lines kept as read, a file


class AsSent(list[bytes]):
    """Lines read with lone surrogate escapes, kept as read up to MAX_AS_SENT bytes (a file of
    nothing else held them all in memory until its end); `dropped` counts those past it,
    whose records are imported all the same, the escapes as text."""

    def __init__(self) -> None:
        super().__init__()
        self.size = 0
        self.dropped = 0

    def append(self, line: bytes) -> None:
        if self.size + len(line) > MAX_AS_SENT:
            self.dropped += 1
            return
        self.size += len(line)
        super().append(line)


class _Counter:
    """Counts records as their blocks pass, and passes on only blocks that hold some."""

    def __init__(self) -> None:
        self.total = 0

    def count(self, blocks: Iterator[RecordBlock]) -> Iterator[bytes | bytearray]:
        for block in blocks:
            if block.records:
                self.total += block.records
                yield block.data


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(OUT_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def reuse_freed_memory() -> None:
    """Make this process keep freed buffers of up to 32 MB for reuse (glibc; else no-op).

    glibc returns every buffer above its mmap threshold to the OS when it is freed, so each
    file's few-MB buffers (inflated document, lines, blocks) were faulted in afresh: 350k page
    faults and ~1 CPU-second per million events, against 36k with this.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, KEEP_BUFFERS_BELOW)
    mallopt(M_TRIM_THRESHOLD, KEEP_FREED)


def _import_batch(root: str, batch: list[tuple[str, str]]) -> list[FileImport]:
    # Each worker opens the case itself (appends to the manifest are locked across
    # processes), once per batch: opening reads the whole manifest.
    case = Case.open(Path(root))
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return [import_file(case, Path(source), display, compressor) for source, display in batch]


def import_trail(case: Case, paths: Sequence[Path], *, workers: int | None = None) -> ImportSummary:
    """Import local CloudTrail files and folders into `case`, one process per core.

    Each input becomes one JSON-lines artifact of its records (kind `trail`, api
    `local:import`, params {"source": name}); each problem becomes a manifest entry with
    `error`. De-duplication by eventID happens in the index, so importing twice is harmless.
    """
    files, ignored = find_sources([Path(p) for p in paths])
    jobs = [(str(f), _display(f, paths)) for f in files]
    count = workers or min(len(jobs), os.cpu_count() or 1)
    if count <= 1:
        compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        results = [import_file(case, Path(src), name, compressor) for src, name in jobs]
    else:
        batches = [jobs[i : i + BATCH] for i in range(0, len(jobs), BATCH)]
        with ProcessPoolExecutor(max_workers=count, initializer=reuse_freed_memory) as pool:
            done = pool.map(_import_batch, [str(case.root)] * len(batches), batches)
            results = [result for batch in done for result in batch]
    case.log("import-trail", {"files": len(results), "records": sum(r.records for r in results)})
    return ImportSummary(tuple(results), tuple(str(p) for p in ignored))


def _display(path: Path, roots: Sequence[Path]) -> str:
    """The name a source file is recorded under: relative to the folder given, if any."""
    for root in roots:
        root = Path(root)
        if root.is_dir() and path.is_relative_to(root):
            return _escape_name(f"{root.name}/{path.relative_to(root).as_posix()}")
    return _escape_name(path.name)


def _escape_name(name: str) -> str:
    """`name` with each byte that was not UTF-8 written as a `\\udcXX` escape.

    Python hands such a file name over as lone surrogates, which the manifest (UTF-8 JSON)
    cannot hold: orjson refused it after the artifact was on disk, so the case was left
    with a file it did not list and the files after it were never imported.
    """
    return name.encode("utf-8", "backslashreplace").decode("utf-8")
