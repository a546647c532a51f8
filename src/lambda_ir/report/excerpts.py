"""Evidence a finding cites, read into the report so it opens in place (no file to open).

- CloudTrail: the record whose `eventID` the finding names, pretty JSON, read back from the
  (zstd or gzip) artifact through the index (`index_trail.records_query`);
- logs: the lines of the cited log file holding the finding's indicator (or its errors and
  timeouts), from the index;
- code: the file inside the package around the matched line, or, for a YARA match in a
  binary, the bytes around the match offset as a hex dump; read in memory, never run;
- API responses (`raw/…json`): the document itself when small.

Only what findings cite is embedded, each excerpt bounded, so the page stays small (the
README states the budget). Everything is redacted here; the page escapes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import orjson

from lambda_ir.analyze.archive import Limits, ReadReport, read_members
from lambda_ir.evidence import Case
from lambda_ir.evidence.index_trail import record_files, records_query
from lambda_ir.evidence.logs import ERROR, TIMEOUT
from lambda_ir.model import EvidenceRef, Finding
from lambda_ir.redact import redact_document, redact_lines, redact_text, secret_byte_spans

MAX_TEXT = 12_000  # characters of one excerpt
MAX_LOG_LINES = 12
MAX_RAW = 16_000  # bytes of an API response embedded whole
CODE_CONTEXT = 12  # lines either side of a matched line
HEX_CONTEXT = 96  # bytes either side of a match offset
# Text read past an excerpt's edges to find the secrets in it: a secret cut by the edge is
# recognised by what precedes it (its name) or by its whole shape. A PEM key of 4096 bits is
# about 3,300 characters.
SECRET_MARGIN = 4096
MARGIN_LINES = 128  # lines joined to take `SECRET_MARGIN` characters from (a PEM key is ~55)
PACKAGE_LIMITS = Limits(max_package=128 * 1024 * 1024, max_member=64 * 1024 * 1024)


_BY_ID = records_query("list_contains(?, record->>'$.eventID')")


@dataclass(frozen=True)
class Excerpt:
    """One piece of evidence, as text to show in a `<pre>` (redacted, not yet escaped)."""

    kind: str  # cloudtrail | logs | code | bytes | api
    title: str
    text: str


def read_excerpts(
    case: Case, index: duckdb.DuckDBPyConnection | None, findings: tuple[Finding, ...]
) -> dict[str, tuple[Excerpt, ...]]:
    """Excerpts per finding id; a finding whose evidence cannot be read gets none."""
    records = _records(case, index, findings)
    packages: dict[str, dict[str, bytes]] = {}
    out: dict[str, tuple[Excerpt, ...]] = {}
    for finding in findings:
        excerpts: list[Excerpt] = []
        event_id = str(finding.details.get("event_id") or "")
        for ref in finding.evidence:
            if ref.path.startswith("trail/") and event_id in records:
                excerpts.append(records[event_id])
            elif ref.path.startswith("logs/") and index is not None:
                excerpts.extend(_log_lines(index, ref, finding))
            elif ref.path.startswith("blobs/") and ref.member:
                excerpts.extend(_code(case, ref, finding, packages))
            elif ref.path.startswith("raw/") and ref.path.endswith(".json"):
                excerpts.extend(_api(case, ref))
        if excerpts:
            out[finding.id] = tuple(dict.fromkeys(excerpts))
    return out


def _records(
    case: Case, index: duckdb.DuckDBPyConnection | None, findings: tuple[Finding, ...]
) -> dict[str, Excerpt]:
    wanted = sorted({str(f.details["event_id"]) for f in findings if f.details.get("event_id")})
    if index is None or not wanted:
        return {}
    try:
        files = record_files(index, case.root)
        if not files:
            return {}
        rows = index.execute(
            f"SELECT event_id, evidence_path, record::VARCHAR FROM ({_BY_ID}) "  # noqa: S608
            "ORDER BY event_id, evidence_path",
            [files, wanted],
        ).fetchall()
    except duckdb.Error:
        return {}
    out: dict[str, Excerpt] = {}
    for event_id, path, record in rows:
        document = redact_document(orjson.loads(record))
        text = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
        title = f"CloudTrail record {event_id} ({path})"
        out.setdefault(str(event_id), Excerpt("cloudtrail", title, _cut(text)))
    return out


def _log_lines(
    index: duckdb.DuckDBPyConnection, ref: EvidenceRef, finding: Finding
) -> list[Excerpt]:
    indicator = finding.details.get("indicator")
    if isinstance(indicator, str) and indicator:
        where, params, what = "contains(message, ?)", [indicator], f"holding {indicator}"
    else:
        where, params, what = "regexp_matches(message, ?)", [f"{TIMEOUT}|{ERROR}"], "errors"
    try:
        rows = index.execute(
            f"SELECT ts, message FROM log_events WHERE evidence_path = ? AND {where} "  # noqa: S608
            "ORDER BY ts LIMIT ?",
            [ref.path, *params, MAX_LOG_LINES],
        ).fetchall()
    except duckdb.Error:
        return []
    if not rows:
        return []
    text = "\n".join(f"{ts}Z  {' '.join(str(message).split())}" for ts, message in rows)
    title = f"first {len(rows)} log lines {what} ({ref.path})"
    return [Excerpt("logs", redact_text(title), _cut(redact_text(text)))]


def _code(
    case: Case, ref: EvidenceRef, finding: Finding, packages: dict[str, dict[str, bytes]]
) -> list[Excerpt]:
    if ref.path not in packages:
        packages[ref.path] = _members(case, ref)
    data = packages[ref.path].get(ref.member or "")
    if data is None:
        return []
    offset = finding.details.get("offset")
    line = finding.details.get("line")
    if offset is None:
        offset = _first_indicator(data, finding.details.get("indicators"))
    where = f"{ref.member} in {ref.path}"
    if isinstance(line, int) and line > 0 and _is_text(data):
        return [Excerpt("code", f"{where}, line {line}", _lines_around(data, line))]
    if isinstance(offset, int) and 0 <= offset < len(data):
        rule = f"rule {finding.details['rule']} " if finding.details.get("rule") else ""
        title = f"{where}: {rule}matched at offset {offset} (0x{offset:x})"
        return [Excerpt("bytes", redact_text(title), _hex_around(data, offset))]
    if _is_text(data):
        return [Excerpt("code", where, _lines_around(data, 1))]
    return []


def _first_indicator(data: bytes, indicators: object) -> int | None:
    """Where the first of a finding's indicators (a list of strings) occurs in the file."""
    if not isinstance(indicators, list):
        return None
    found = [data.find(str(i).encode()) for i in indicators if str(i)]
    hits = [at for at in found if at >= 0]
    return min(hits) if hits else None


def _members(case: Case, ref: EvidenceRef) -> dict[str, bytes]:
    path = case.path(ref.path)
    try:
        if path.stat().st_size > PACKAGE_LIMITS.max_package:
            return {}
        package = path.read_bytes()
    except OSError:
        return {}
    return {m.name: m.data for m in read_members(package, PACKAGE_LIMITS, ReadReport(), jars=True)}


def _is_text(data: bytes) -> bool:
    head = data[:8192]
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a character cut at the end of the sample
    return True


def _lines_around(data: bytes, line: int) -> str:
    lines = data.decode("utf-8", errors="replace").splitlines()
    start = max(0, line - 1 - CODE_CONTEXT)
    shown = _redacted_lines(lines, start, line + CODE_CONTEXT)
    width = len(str(start + len(shown)))
    text = "\n".join(
        f"{'>' if number == line else ' '}{number:>{width}}  {content}"
        for number, content in enumerate(shown, start=start + 1)
    )
    return _cut(text)


def _redacted_lines(lines: list[str], start: int, stop: int) -> list[str]:
    """`lines[start:stop]` redacted with the text around them (`SECRET_MARGIN` characters
    either side): a secret named on a line above the excerpt, or going on below it (a PEM
    key), is still found. Sought before the lines are numbered, as a number would stand
    between a name and its value on the next line."""
    before = "\n".join(lines[max(0, start - MARGIN_LINES) : start])[-SECRET_MARGIN:]
    after = "\n".join(lines[stop : stop + MARGIN_LINES])[:SECRET_MARGIN]
    shown = lines[start:stop]
    redacted = redact_lines("\n".join([before, *shown, after])).split("\n")
    first = before.count("\n") + 1  # `redact_lines` keeps every line on its number
    return redacted[first : first + len(shown)]


def _hex_around(data: bytes, offset: int) -> str:
    """Rows of 16 bytes around `offset`, the bytes of a secret shown as `**` in the hex and `*`
    in the text column: masked, not replaced, so every offset stays true. Secrets are sought
    in the whole window and `SECRET_MARGIN` bytes past it, never row by row."""
    start = max(0, (offset - HEX_CONTEXT) // 16 * 16)
    end = min(len(data), offset + HEX_CONTEXT)
    shown_end = min(len(data), start + (end - start + 15) // 16 * 16)
    masked = _secret_bytes(data, start, shown_end)
    rows = []
    for at in range(start, end, 16):
        cells = [None if at + i in masked else b for i, b in enumerate(data[at : at + 16])]
        hexes = " ".join("**" if b is None else f"{b:02x}" for b in cells)
        text = "".join("*" if b is None else chr(b) if 32 <= b < 127 else "." for b in cells)
        mark = ">" if at <= offset < at + 16 else " "
        rows.append(f"{mark}{at:08x}  {hexes:<47}  {text}")
    if masked:
        rows.append(f"({len(masked)} bytes of secrets redacted: ** above)")
    return "\n".join(rows)


def _secret_bytes(data: bytes, start: int, end: int) -> frozenset[int]:
    """Offsets in `start`..`end` of bytes that belong to a secret, found in a window wider by
    `SECRET_MARGIN` either side: a secret whose name lies before the dump, or whose value runs
    past it, is still recognised."""
    low = max(0, start - SECRET_MARGIN)
    spans = secret_byte_spans(data[low : end + SECRET_MARGIN])
    return frozenset(
        at
        for span_start, span_end in spans
        for at in range(max(start, low + span_start), min(end, low + span_end))
    )


def _api(case: Case, ref: EvidenceRef) -> list[Excerpt]:
    try:
        path = case.path(ref.path)
        if path.stat().st_size > MAX_RAW:
            return []
        document: Any = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return []
    text = orjson.dumps(redact_document(document), option=orjson.OPT_INDENT_2).decode()
    return [Excerpt("api", f"API response {ref.path}", _cut(text))]


def _cut(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT] + f"\n… ({len(text) - MAX_TEXT} more characters in the evidence file)"
