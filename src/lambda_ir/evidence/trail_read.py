"""Read CloudTrail in any common shape as JSON lines, one record a line.

Shapes: `{"Records": [...]}` files as CloudTrail delivers them (plain or `.json.gz`), JSON
lines, JSON arrays (Stratus Red Team detonation logs), `aws cloudtrail lookup-events`
output (`{"Events": [{"CloudTrailEvent": "..."}]}`), and folders of any of these. Bad input
(truncated gzip, invalid JSON, non-UTF-8 bytes, a document or line above the size limit)
is data, not a crash: the bad part is skipped, the reason comes back as a problem string
and everything else is kept. A document that does not parse whole (one record with invalid
UTF-8, a nesting bomb) is split record by record (`trail_salvage`): a bad record costs that
record only; one refused for a lone surrogate escape is read with it as text, and what held
it comes back as read (`as_sent`). Nothing is ever executed; reading is bounded in memory
and never recursive.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple, cast

import msgspec
import orjson
import zstandard
from isal import igzip, isal_zlib

from lambda_ir.evidence.trail_salvage import nesting_exceeds, salvage
from lambda_ir.evidence.trail_shapes import (
    BadLines,
    lines_of,
    loads,
    records_as_lines,
    salvaged,
    surrogates_as_text,
)

# A CloudTrail file is a few MB; a document or line above this is skipped, so a hostile
# 1 GB single-line file never has to fit in memory.
MAX_DOCUMENT = 128 << 20
# The largest record kept: the index reads no larger (CloudTrail's own records stay far
# below; it omits response elements past 256 KB). A larger one is skipped with a warning.
MAX_RECORD = 16 << 20
# A gzip file up to this size is inflated in one call (CloudTrail writes files of a few MB).
MAX_WHOLE_GZIP = 32 << 20
OUT_CHUNK = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COMMA, NEWLINE, OPEN_BRACE = ord(","), ord("\n"), ord("{")
WHITESPACE = b" \t\r\n"
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


def open_source(path: Path) -> IO[bytes]:
    """Open a file for reading, decompressing gzip (by magic bytes, not by name) with isal."""
    return open_stream(path.open("rb"))


def open_stream(raw: IO[bytes]) -> IO[bytes]:
    """Wrap a seekable binary stream so it reads decompressed when it holds gzip.

    A gzip file of CloudTrail's size is inflated in one call: reading it line by line through
    a gzip file object costs twice the inflating (buffer copies), and a delivered file is one
    line. Anything else (large, truncated, corrupt) streams, and the reader words the problem.
    """
    if raw.read(2) != GZIP_MAGIC:
        raw.seek(0)
        return raw
    raw.seek(0)
    whole = _inflate_whole(raw.read(MAX_WHOLE_GZIP + 1))
    if whole is not None:
        raw.close()
        return io.BytesIO(whole)
    raw.seek(0)
    return cast(IO[bytes], igzip.IGzipFile(fileobj=raw, mode="rb"))  # type: ignore[no-untyped-call]


def _inflate_whole(data: bytes) -> bytes | None:
    """Every gzip member of `data` inflated, or None when streaming must do it.

    None when the file is larger than MAX_WHOLE_GZIP, inflates past MAX_DOCUMENT (no gzip
    bomb is inflated whole), or is not clean gzip to its last byte.
    """
    if len(data) > MAX_WHOLE_GZIP:
        return None
    parts: list[bytes] = []
    budget = MAX_DOCUMENT + 1
    while data:
        if budget <= 0:  # a max_length of 0 would mean no limit at all
            return None
        inflater = isal_zlib.decompressobj(wbits=31)
        try:
            part = inflater.decompress(data, budget)
        except ISAL_ERROR:
            return None
        if not inflater.eof:
            return None
        parts.append(part)
        budget -= len(part)
        data = inflater.unused_data
    return parts[0] if len(parts) == 1 else b"".join(parts)


def open_artifact(path: Path) -> IO[bytes]:
    """Read a stored trail artifact (zstd, gzip or plain JSON lines) decompressed, with
    `read(size)` in blocks (a zstd artifact's stream has no `readline`).

    Its integrity is the manifest's hash (`verify`), not the compressor's: a zstd stream cut
    short reads as fewer lines rather than failing.
    """
    raw = path.open("rb")
    if raw.read(4) == ZSTD_MAGIC:
        raw.seek(0)
        # Read directly, in the caller's large blocks: through an io.BufferedReader the
        # indicator scan of a million events took twice as long to decompress them.
        reader = zstandard.ZstdDecompressor().stream_reader(
            raw, OUT_CHUNK, read_across_frames=True, closefd=True
        )
        return cast(IO[bytes], reader)
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
    stream: IO[bytes],
    problems: list[str],
    max_document: int = MAX_DOCUMENT,
    as_sent: list[bytes] | None = None,
) -> Iterator[RecordBlock]:
    """Yield a stream's CloudTrail records as blocks of JSON lines; append what went wrong.

    A file as CloudTrail delivers it becomes one block without a copy per record. A line or
    document read with its lone surrogate escapes made text (`surrogates_as_text`) is
    appended to `as_sent` as it was read, for the case to keep.
    """
    bad = BadLines()
    sent = as_sent if as_sent is not None else []
    try:
        first = stream.readline(max_document + 1)
        if len(first) > max_document and not first.endswith(b"\n"):
            problems.append(f"first line or document larger than {max_document} bytes; skipped")
            _skip_rest_of_line(stream, first)
            first = b""
        fast = _records_block(first)
        if fast is None and _opens_document(first.strip()):
            yield from _single(_document(first, stream, problems, max_document, sent), bad, 1)
            return
        yield from fast if fast is not None else _general(first, 1, bad, problems, sent)
        yield from _line_records(stream, bad, max_document, 2, problems, sent)
    except (EOFError, OSError, ISAL_ERROR) as exc:
        problems.append(f"truncated or corrupt compressed data: {exc}")
    finally:
        problems.extend(bad.summary())


def _single(lines: Iterator[bytes], bad: BadLines, number: int) -> Iterator[RecordBlock]:
    for line in lines:
        if len(line) > MAX_RECORD + 1:  # its newline aside
            bad.add(f"record larger than {MAX_RECORD} bytes", number)
        else:
            yield RecordBlock(line, 1)


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
    except (msgspec.DecodeError, RecursionError):
        return None  # the general path parses, or salvages record by record
    # msgspec keeps each record's bytes unchecked: invalid UTF-8 in one must cost that
    # record only, which the general path sees to; so must a record nested deeper than
    # MAX_DEPTH (msgspec's own guard is about 1,000 levels), checked record by record below.
    if not line.isascii() and not _is_utf8(line):
        return None
    if not document.Records:
        return iter(())
    if max(map(len, document.Records)) > MAX_RECORD:
        return None  # the general path skips it with a warning
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
        if nesting_exceeds(line, at, at + len(raw)):
            return None  # the general path skips that record, and says so
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
    if any(nesting_exceeds(bytes(raw)) for raw in records):
        return None
    lines = [orjson.dumps(orjson.loads(bytes(raw))) + b"\n" for raw in records]
    if any(line[:1] != b"{" for line in lines):
        return None
    return iter((RecordBlock(b"".join(lines), len(lines)),))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _opens_document(stripped: bytes) -> bool:
    """A first line like `[` or `{` or `"Records": [` is the start of pretty-printed JSON."""
    return stripped[:1] in (b"[", b"{") and stripped[-1:] not in (b"]", b"}")


def _document(
    first: bytes, stream: IO[bytes], problems: list[str], max_document: int, sent: list[bytes]
) -> Iterator[bytes]:
    body = first + stream.read(max_document + 1 - len(first))
    if len(body) > max_document:
        problems.append(f"JSON document larger than {max_document} bytes; skipped")
        return
    bad = BadLines()
    value = loads(body, bad, 1)
    if value is None and (text := surrogates_as_text(body)) is not None:
        sent.append(body)
        body = text
        bad.clear()
        value = loads(body, bad, 1)
    if value is None:
        lines = salvage(body, problems, "")
        if lines is None:
            problems.extend(f"whole file skipped: {r}" for r in bad.counts)
            return
        yield from lines
        return
    yield from records_as_lines(value, problems)


def _line_records(
    stream: IO[bytes],
    bad: BadLines,
    max_document: int,
    start: int,
    problems: list[str],
    sent: list[bytes],
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
        yield from fast if fast is not None else _general(line, number, bad, problems, sent)


def _general(
    line: bytes, number: int, bad: BadLines, problems: list[str], sent: list[bytes]
) -> Iterator[RecordBlock]:
    """The records of a line the fast reader did not take: parsed whole, or salvaged.

    A refused line holding a lone surrogate escape is read again with them made text (the
    fast reader first: a delivered file keeps its other bytes), and kept in `sent` as read.
    """
    stripped = line.strip()
    if not stripped:
        return
    try:
        value = orjson.loads(stripped)
    except orjson.JSONDecodeError as exc:
        text = surrogates_as_text(stripped)
        if text is None:
            yield from _single(salvaged(stripped, exc, bad, number, problems), bad, number)
            return
        sent.append(line)
        fast = _records_block(text)
        yield from fast if fast is not None else _general(text, number, bad, problems, sent)
    else:
        yield from _single(lines_of(value, stripped, bad, number), bad, number)


def _skip_rest_of_line(stream: IO[bytes], line: bytes) -> None:
    while not line.endswith(b"\n"):
        line = stream.readline(OUT_CHUNK)
        if not line:
            return
