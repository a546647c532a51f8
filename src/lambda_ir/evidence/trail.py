"""Read CloudTrail in any common shape and import it into a case as JSON lines.

Shapes: `{"Records": [...]}` files as CloudTrail delivers them (plain or `.json.gz`), JSON
lines, JSON arrays (Stratus Red Team detonation logs), `aws cloudtrail lookup-events`
output (`{"Events": [{"CloudTrailEvent": "..."}]}`), and folders of any of these. Bad input
(truncated gzip, invalid JSON, non-UTF-8 bytes, a document or line above the size limit)
is data, not a crash: the bad part is skipped, the reason comes back as a problem string
and everything else is kept. Nothing is ever executed; reading is bounded in memory.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

import msgspec
import orjson
import zstandard
from isal import igzip, isal_zlib

from lambda_ir.evidence.case import Case
from lambda_ir.evidence.layout import path_segment

# A CloudTrail file is a few MB; a document or line above this is skipped, so a hostile
# 1 GB single-line file never has to fit in memory.
MAX_DOCUMENT = 128 << 20
OUT_CHUNK = 1 << 20
# Stored CloudTrail is JSON lines in zstd: as fast to write as gzip at its fastest level, a
# third smaller, and DuckDB reads it ~2.5x faster than gzip when the index is built.
ARTIFACT_SUFFIX = ".jsonl.zst"
ZSTD_LEVEL = 1
BATCH = 8  # files per worker task: few enough to balance, enough to open the case rarely
RECORD_KEYS = ("eventName", "eventID", "eventTime")
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COMMA, NEWLINE, OPEN_BRACE = ord(","), ord("\n"), ord("{")
WHITESPACE = b" \t\r\n"
DIGEST_MARK = "CloudTrail-Digest"
# isal ships no type hints; its error class is a plain Exception subclass.
ISAL_ERROR = cast(type[Exception], isal_zlib.error)


class _RecordsFile(msgspec.Struct, forbid_unknown_fields=True):
    """A CloudTrail log file's shape; each record is kept as its own bytes (`Raw`).

    No other key is allowed, so the `Records` array spans the whole document.
    """

    Records: list[msgspec.Raw]


class RecordBlock(NamedTuple):
    """One or more CloudTrail records, each a complete JSON line, and how many there are."""

    data: bytes | bytearray
    records: int


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


def open_source(path: Path) -> IO[bytes]:
    """Open a file for reading, decompressing gzip (by magic bytes, not by name) with isal."""
    return open_stream(path.open("rb"))


def open_stream(raw: IO[bytes]) -> IO[bytes]:
    """Wrap a seekable binary stream so it reads decompressed when it holds gzip."""
    if raw.read(2) == GZIP_MAGIC:
        raw.seek(0)
        return cast(IO[bytes], igzip.IGzipFile(fileobj=raw, mode="rb"))  # type: ignore[no-untyped-call]
    raw.seek(0)
    return raw


def open_artifact(path: Path) -> IO[bytes]:
    """Read a stored trail artifact (zstd, gzip or plain JSON lines) decompressed.

    Its integrity is the manifest's hash (`verify`), not the compressor's: a zstd stream cut
    short reads as fewer lines rather than failing.
    """
    raw = path.open("rb")
    if raw.read(4) == ZSTD_MAGIC:
        raw.seek(0)
        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
        return io.BufferedReader(reader, OUT_CHUNK)
    raw.seek(0)
    return open_stream(raw)


def iter_record_lines(
    stream: IO[bytes], problems: list[str], max_document: int = MAX_DOCUMENT
) -> Iterator[bytes]:
    """Yield each CloudTrail record of a stream as one JSON line; append what went wrong."""
    for block in iter_record_blocks(stream, problems, max_document):
        for line in block.data.split(b"\n")[:-1]:
            yield bytes(line) + b"\n"


def iter_record_blocks(
    stream: IO[bytes], problems: list[str], max_document: int = MAX_DOCUMENT
) -> Iterator[RecordBlock]:
    """Yield a stream's CloudTrail records as blocks of JSON lines; append what went wrong.

    A file as CloudTrail delivers it becomes one block without a copy per record.
    """
    bad = _BadLines()
    try:
        first = stream.readline(max_document + 1)
        if len(first) > max_document and not first.endswith(b"\n"):
            problems.append(f"first line or document larger than {max_document} bytes; skipped")
            _skip_rest_of_line(stream, first)
            first = b""
        fast = _records_block(first)
        if fast is not None:
            yield from fast
            yield from _line_records(stream, bad, max_document, start=2)
            return
        stripped = first.strip()
        value = _loads(stripped, bad, 1) if stripped else None
        if value is None and stripped and _opens_document(stripped):
            bad.clear()
            yield from _single(_document(first, stream, problems, max_document))
            return
        if value is not None:
            yield from _single(_lines_of(value, first, bad, 1))
        yield from _line_records(stream, bad, max_document, start=2)
    except (EOFError, OSError, ISAL_ERROR) as exc:
        problems.append(f"truncated or corrupt compressed data: {exc}")
    finally:
        problems.extend(bad.summary())


def _single(lines: Iterator[bytes]) -> Iterator[RecordBlock]:
    for line in lines:
        yield RecordBlock(line, 1)


def records_of(value: Any) -> Iterator[dict[str, Any]]:
    """The CloudTrail records inside one parsed JSON value, whatever its shape."""
    if isinstance(value, list):
        for item in value:
            yield from records_of(item)
    elif isinstance(value, dict):
        if isinstance(value.get("Records"), list):
            yield from records_of(value["Records"])
        elif isinstance(value.get("Events"), list):
            yield from records_of(value["Events"])
        elif isinstance(value.get("CloudTrailEvent"), str):
            try:
                inner = orjson.loads(value["CloudTrailEvent"])
            except orjson.JSONDecodeError:
                return  # a damaged LookupEvents entry holds no record we can keep
            yield from records_of(inner)
        elif any(key in value for key in RECORD_KEYS):
            yield value


class _BadLines:
    """Counts unparseable lines so a million bad lines make one warning, not a million."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.first: dict[str, int] = {}

    def add(self, reason: str, line: int) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        self.first.setdefault(reason, line)

    def clear(self) -> None:
        self.counts.clear()
        self.first.clear()

    def summary(self) -> list[str]:
        return [
            f"{count} line(s) skipped: {reason} (first at line {self.first[reason]})"
            for reason, count in self.counts.items()
        ]


def _records_block(line: bytes) -> Iterator[RecordBlock] | None:
    """The records of a one-line `{"Records": [...]}` file as blocks of lines, or None.

    This is how CloudTrail delivers files, and the hot path of an import: msgspec checks the
    whole document is valid JSON and measures each record (`Raw`) without building Python
    objects. CloudTrail writes the array compactly, records separated by a lone comma, so
    the lines are the array's own bytes with those commas made newlines, copied out ~1 MB at
    a time: no copy per record, and no second copy of a whole file (a few MB allocated and
    freed per file costs more in page faults than the work). Anything else returns None and
    goes through the general (orjson) path, which also words the problems.
    """
    if not line.startswith(b'{"Records"'):
        return None
    end = len(line)
    while end and line[end - 1] in WHITESPACE:
        end -= 1
    try:
        document = msgspec.json.decode(memoryview(line)[:end], type=_RecordsFile)
    except msgspec.DecodeError:
        return None
    if not document.Records:
        return iter(())
    # One line, so only a CR can put a record over two lines.
    if line.find(b"\r", 0, end) != -1:
        return _reserialised(document.Records)
    # The array is the first `[` (Records is the only key) up to the last `]`.
    start, stop = line.index(b"[") + 1, line.rindex(b"]", 0, end)
    ends: list[int] = []  # where each record ends: its comma, or the closing `]`
    at = start
    for raw in document.Records:
        if line[at] != OPEN_BRACE:
            return None  # not a list of objects: let the general path say what it is
        at += len(raw)
        if at < stop and line[at] != COMMA:
            return _reserialised(document.Records)  # whitespace between records
        ends.append(at)
        at += 1
    if ends[-1] != stop:
        return _reserialised(document.Records)
    return _line_blocks(line, start, ends)


def _line_blocks(line: bytes, start: int, ends: list[int]) -> Iterator[RecordBlock]:
    """Copy records out ~1 MB at a time, each record's comma (or the `]`) made a newline."""
    view = memoryview(line)
    first, count = start, 0
    for number, after in enumerate(ends):
        count += 1
        if after + 1 - first < OUT_CHUNK and number + 1 < len(ends):
            continue
        block = bytearray(view[first : after + 1])
        for inner in ends[number - count + 1 : number + 1]:
            block[inner - first] = NEWLINE
        yield RecordBlock(block, count)
        first, count = after + 1, 0


def _reserialised(records: list[msgspec.Raw]) -> Iterator[RecordBlock] | None:
    lines = [orjson.dumps(orjson.loads(bytes(raw))) + b"\n" for raw in records]
    if any(line[:1] != b"{" for line in lines):
        return None
    return iter((RecordBlock(b"".join(lines), len(lines)),))


def _loads(data: bytes, bad: _BadLines, line: int) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        bad.add("not UTF-8" if "UTF-8" in str(exc) else "invalid JSON", line)
        return None


def _opens_document(stripped: bytes) -> bool:
    """A first line like `[` or `{` or `"Records": [` is the start of pretty-printed JSON."""
    return stripped[:1] in (b"[", b"{") and stripped[-1:] not in (b"]", b"}")


def _document(
    first: bytes, stream: IO[bytes], problems: list[str], max_document: int
) -> Iterator[bytes]:
    body = first + stream.read(max_document + 1 - len(first))
    if len(body) > max_document:
        problems.append(f"JSON document larger than {max_document} bytes; skipped")
        return
    bad = _BadLines()
    value = _loads(body, bad, 1)
    if value is None:
        problems.extend(f"whole file skipped: {r}" for r in bad.counts)
        return
    for record in records_of(value):
        yield orjson.dumps(record) + b"\n"


def _lines_of(value: Any, raw: bytes, bad: _BadLines, number: int) -> Iterator[bytes]:
    if isinstance(value, dict) and any(key in value for key in RECORD_KEYS):
        yield raw.strip() + b"\n"  # already one record on one line: keep its bytes
        return
    produced = False
    for record in records_of(value):
        produced = True
        yield orjson.dumps(record) + b"\n"
    if not produced:
        bad.add("JSON that holds no CloudTrail record", number)


def _line_records(
    stream: IO[bytes], bad: _BadLines, max_document: int, start: int
) -> Iterator[RecordBlock]:
    number = start - 1
    while True:
        line = stream.readline(max_document + 1)
        if not line:
            return
        number += 1
        if len(line) > max_document:
            bad.add(f"line longer than {max_document} bytes", number)
            _skip_rest_of_line(stream, line)
            continue
        fast = _records_block(line)
        stripped = line.strip() if fast is None else b""
        if fast is not None:
            yield from fast
        elif stripped:
            value = _loads(stripped, bad, number)
            if value is not None:
                yield from _single(_lines_of(value, stripped, bad, number))


def _skip_rest_of_line(stream: IO[bytes], line: bytes) -> None:
    while not line.endswith(b"\n"):
        line = stream.readline(OUT_CHUNK)
        if not line:
            return


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
    counter = _Counter()
    digest = _file_sha256(source)
    relpath = f"trail/import/{digest[:16]}/{path_segment(source.name)}{ARTIFACT_SUFFIX}"
    params = {"source": display}
    artifact = None
    with open_source(source) as stream:
        blocks = counter.count(iter_record_blocks(stream, problems))
        first = next(blocks, None)
        if first is not None:  # a file with no readable record leaves no empty artifact
            entry = case.put_stream(
                compress_lines(itertools.chain((first,), blocks), compressor),
                relpath,
                kind="trail",
                api="local:import",
                params=params,
                meta={"source_sha256": digest},
            )
            artifact = entry.path
    for problem in problems:
        case.record_error(kind="trail", api="local:import", params=params, error=problem)
    return FileImport(display, counter.total, artifact, tuple(problems))


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
        with ProcessPoolExecutor(max_workers=count) as pool:
            done = pool.map(_import_batch, [str(case.root)] * len(batches), batches)
            results = [result for batch in done for result in batch]
    case.log("import-trail", {"files": len(results), "records": sum(r.records for r in results)})
    return ImportSummary(tuple(results), tuple(str(p) for p in ignored))


def _display(path: Path, roots: Sequence[Path]) -> str:
    for root in roots:
        root = Path(root)
        if root.is_dir() and path.is_relative_to(root):
            return f"{root.name}/{path.relative_to(root).as_posix()}"
    return path.name
