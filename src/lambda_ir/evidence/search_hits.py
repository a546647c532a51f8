"""The shapes of a search: the query (combined and per part) and one hit, with the helpers
that find matching lines and cut a redacted snippet around a match."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lambda_ir import sanitize
from lambda_ir.redact import redact_text

CONTEXT = 80


class SearchError(ValueError):
    """The pattern is not a valid regular expression (Python `re` and RE2 both must accept it)."""


@dataclass(frozen=True)
class Query:
    """What to look for: one combined regex, in Python and RE2 (DuckDB) form; each part
    with its label (the pattern or indicator as given), and SHA-256 values to compare with
    the digests of packages and of the files inside them."""

    regex: str
    ignore_case: bool
    parts: tuple[tuple[str, str], ...] = ()
    hashes: frozenset[str] = frozenset()

    def compiled(self) -> re.Pattern[bytes]:
        return self._compile(self.regex)

    def labelled(self) -> tuple[tuple[str, re.Pattern[bytes]], ...]:
        """(label, compiled part) for telling which part a hit matched."""
        return tuple((label, self._compile(regex)) for label, regex in self.parts)

    def _compile(self, regex: str) -> re.Pattern[bytes]:
        flags = re.IGNORECASE if self.ignore_case else 0
        return re.compile(regex.encode(), flags | re.MULTILINE)


@dataclass(frozen=True)
class Hit:
    """One match: where (evidence file, member, line or event), and the text around it."""

    target: str
    evidence_path: str
    evidence_sha256: str
    locator: str
    text: str
    member: str | None = None
    matched: tuple[str, ...] = ()
    used_by: tuple[str, ...] = ()
    # What sets the place apart beyond `locator` (a log line's text: the lines of one stream
    # can share a millisecond); not shown, only compared when hits are merged.
    place: str = field(default="", repr=False, compare=False)

    def to_json(self) -> dict[str, object]:
        return {
            "target": self.target,
            "evidence": {"path": self.evidence_path, "sha256": self.evidence_sha256},
            "used_by": list(self.used_by),
            "member": self.member,
            "locator": self.locator,
            "matched": list(self.matched),
            "text": self.text,
        }

    def line(self) -> str:
        """The hit as tab-separated fields (TARGET, WHERE, LOCATOR, MATCHED, TEXT), each made
        inert for a terminal (`sanitize.field`). WHERE names the function versions running
        a package (`account/region/name:version`) and the file in it, else the evidence file."""
        base = ",".join(self.used_by) if self.used_by else self.evidence_path
        where = base + (f"!{self.member}" if self.member else "")
        fields = (self.target, where, self.locator, ",".join(self.matched) or "-", self.text)
        return "\t".join(sanitize.field(v) for v in fields)


def matching_lines(content: bytes, pattern: re.Pattern[bytes]) -> Iterator[tuple[int, bytes]]:
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


def snippet(text: str, pattern: re.Pattern[bytes]) -> str:
    raw = text.encode("utf-8", "replace")
    match = pattern.search(raw)
    start, end = (match.start(), match.end()) if match else (0, 0)
    window = raw[max(0, start - CONTEXT) : end + CONTEXT].decode("utf-8", "replace")
    prefix = "…" if start > CONTEXT else ""
    suffix = "…" if end + CONTEXT < len(raw) else ""
    return redact_text(prefix + window.replace("\n", " ").replace("\t", " ") + suffix)
