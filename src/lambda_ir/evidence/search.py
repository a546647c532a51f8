"""Search a case for a regex, a literal or a list of IOCs: logs, CloudTrail, config and code.

Logs and CloudTrail are searched inside case.duckdb (RE2, all cores, millions of lines a
second); configuration responses and the files inside code and layer packages are read
from the evidence files, zips in memory (nested zips one level deep), never extracted.
Every hit names its evidence file and SHA-256. Shown text is passed through the redactor,
so a hit on a secret says where it is without printing it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lambda_ir import sanitize
from lambda_ir.evidence.case import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.evidence.index_code import CODE_KINDS, ZIP_ERRORS, read_members
from lambda_ir.evidence.index_trail import record_files, records_query
from lambda_ir.redact import is_secret_name, redact_text, redact_value

TARGETS = ("logs", "trail", "config", "code")
CONTEXT = 80
_RE_SPECIAL = frozenset("\\.^$*+?()[]{}|")
_NOT_CONFIG = frozenset({"trail", "logs", *CODE_KINDS})
_KEY_VALUE = re.compile(rb'^\s*"([^"]+)"\s*:\s*"(.*)",?\s*$')


class SearchError(ValueError):
    """The pattern is not a valid regular expression (Python `re` and RE2 both must accept it)."""


@dataclass(frozen=True)
class Query:
    """What to look for: one combined regex, in Python and RE2 (DuckDB) form."""

    regex: str
    ignore_case: bool

    def compiled(self) -> re.Pattern[bytes]:
        flags = re.IGNORECASE if self.ignore_case else 0
        return re.compile(self.regex.encode(), flags | re.MULTILINE)


@dataclass(frozen=True)
class Hit:
    """One match: where (evidence file, member, line or event), and the text around it."""

    target: str
    evidence_path: str
    evidence_sha256: str
    locator: str
    text: str
    member: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "target": self.target,
            "evidence": {"path": self.evidence_path, "sha256": self.evidence_sha256},
            "member": self.member,
            "locator": self.locator,
            "text": self.text,
        }

    def line(self) -> str:
        """The hit as tab-separated fields, each made inert for a terminal (`sanitize.field`)."""
        where = self.evidence_path + (f"!{self.member}" if self.member else "")
        return "\t".join(sanitize.field(v) for v in (self.target, where, self.locator, self.text))


def build_query(
    patterns: Sequence[str], *, literal: bool = False, ignore_case: bool = False
) -> Query:
    """Combine patterns (or IOC literals) into one alternation; invalid regexes are refused."""
    parts = [escape(p) if literal else p for p in patterns if p]
    if not parts:
        raise SearchError("nothing to search for")
    regex = parts[0] if len(parts) == 1 else "|".join(f"(?:{p})" for p in parts)
    query = Query(regex, ignore_case)
    try:
        query.compiled()
    except re.error as exc:
        raise SearchError(f"invalid regular expression: {exc}") from exc
    return query


def read_iocs(path: Path) -> list[str]:
    """IOCs from a file: one per line; blank lines and `#` comments ignored."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]


def escape(literal: str) -> str:
    """Escape a literal so Python `re` and RE2 both read it as itself."""
    return "".join(f"\\{c}" if c in _RE_SPECIAL else c for c in literal)


def search_case(
    case: Case, query: Query, targets: Sequence[str] = TARGETS, limit: int = 1000
) -> Iterator[Hit]:
    """Yield up to `limit` hits, target by target in the order given."""
    searchers = {"logs": _logs, "trail": _trail, "config": _config, "code": _code}
    count = 0
    for target in targets:
        for hit in searchers[target](case, query, limit - count):
            yield hit
            count += 1
            if count >= limit:
                return


def _sql(
    case: Case, sql: str, query: Query, limit: int, *, records: bool = False
) -> list[tuple[object, ...]]:
    """Run `sql` with (regex, options, limit) bound; with `records`, the artifacts for
    `index_trail.records_query` are bound first (no rows when nothing is indexed)."""
    options = "i" if query.ignore_case else "c"
    try:
        with open_index(case) as con:
            first = [record_files(con, case.root)] if records else []
            if records and not first[0]:
                return []
            return con.execute(sql, [*first, query.regex, options, limit]).fetchall()
    except duckdb.IOException as exc:
        raise SearchError(
            f"an evidence file could not be read ({exc}); run `lambda-ir verify`"
        ) from exc
    except duckdb.InvalidInputException as exc:
        raise SearchError(
            f"pattern not accepted by RE2 (no look-around or back-references): {exc}"
        ) from exc


def _logs(case: Case, query: Query, limit: int) -> Iterator[Hit]:
    rows = _sql(
        case,
        """SELECT evidence_path, evidence_sha256, log_group, log_stream, ts, message
           FROM log_events WHERE regexp_matches(message, ?, ?)
           ORDER BY ts, evidence_path LIMIT ?""",
        query,
        limit,
    )
    pattern = query.compiled()
    for path, sha, group, stream, ts, message in rows:
        yield Hit(
            "logs", str(path), str(sha), f"{ts}Z {group} {stream}", _snippet(str(message), pattern)
        )


def _trail(case: Case, query: Query, limit: int) -> Iterator[Hit]:
    rows = _sql(
        case,
        f"""SELECT evidence_path, evidence_sha256, event_time, event_name, event_id, record::VARCHAR
           FROM ({records_query("regexp_matches(record::VARCHAR, ?, ?)")})
           ORDER BY event_time, event_id, record::VARCHAR LIMIT ?""",  # noqa: S608
        query,
        limit,
        records=True,
    )
    pattern = query.compiled()
    previous = None
    for path, sha, when, name, event_id, record in rows:
        if event_id == previous:
            continue  # the same event twice in its file: one hit
        previous = event_id
        locator = f"{when}Z {name} eventID={event_id}"
        yield Hit("trail", str(path), str(sha), locator, _snippet(str(record), pattern))


def _config(case: Case, query: Query, limit: int) -> Iterator[Hit]:
    pattern = query.compiled()
    for entry in case.entries():
        if entry.error or not entry.path or entry.kind in _NOT_CONFIG or entry.sha256 is None:
            continue
        if not entry.path.endswith(".json"):
            continue
        for number, line in _matching_lines(case.path(entry.path).read_bytes(), pattern):
            yield Hit(
                "config", entry.path, entry.sha256, f"line {number}", _config_line(line, pattern)
            )
            limit -= 1
            if limit <= 0:
                return


def _code(case: Case, query: Query, limit: int) -> Iterator[Hit]:
    pattern = query.compiled()
    for entry in case.entries():
        if entry.error or entry.kind not in CODE_KINDS or not entry.path or not entry.sha256:
            continue
        try:
            for member, content in _package_files(case.path(entry.path)):
                for number, line in _matching_lines(content, pattern):
                    yield Hit(
                        "code",
                        entry.path,
                        entry.sha256,
                        f"line {number}",
                        _snippet(line.decode("utf-8", "replace"), pattern),
                        member,
                    )
                    limit -= 1
                    if limit <= 0:
                        return
        except ZIP_ERRORS:
            continue  # not a zip (a container image layer, a damaged blob): nothing to read


def _package_files(
    source: Path | io.BytesIO, prefix: str = "", depth: int = 0
) -> Iterator[tuple[str, bytes]]:
    for member in read_members(source):
        if member.content is None:
            continue
        name = prefix + member.name
        if depth == 0 and member.content[:4] == b"PK\x03\x04":
            try:
                yield from _package_files(io.BytesIO(member.content), f"{name}!", depth + 1)
                continue
            except ZIP_ERRORS:
                pass
        yield name, member.content


def _matching_lines(content: bytes, pattern: re.Pattern[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number, line) for each line with a match, reported once per line."""
    last_line, counted_to, number = -1, 0, 1
    for match in pattern.finditer(content):
        start = content.rfind(b"\n", 0, match.start()) + 1
        if start == last_line:
            continue
        number += content.count(b"\n", counted_to, start)  # count only what is new
        last_line, counted_to = start, start
        end = content.find(b"\n", match.end())
        yield number, content[start : end if end >= 0 else len(content)]


def _snippet(text: str, pattern: re.Pattern[bytes]) -> str:
    raw = text.encode("utf-8", "replace")
    match = pattern.search(raw)
    start, end = (match.start(), match.end()) if match else (0, 0)
    window = raw[max(0, start - CONTEXT) : end + CONTEXT].decode("utf-8", "replace")
    prefix = "…" if start > CONTEXT else ""
    suffix = "…" if end + CONTEXT < len(raw) else ""
    return redact_text(prefix + window.replace("\n", " ").replace("\t", " ") + suffix)


def _config_line(line: bytes, pattern: re.Pattern[bytes]) -> str:
    """A JSON line `"NAME": "value"` whose name marks a secret shows the value redacted."""
    found = _KEY_VALUE.match(line)
    if found and is_secret_name(found.group(1).decode("utf-8", "replace")):
        key = found.group(1).decode("utf-8", "replace")
        return f'"{key}": "{redact_value(found.group(2).decode("utf-8", "replace"))}"'
    return _snippet(line.decode("utf-8", "replace").strip(), pattern)
