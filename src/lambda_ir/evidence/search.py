"""Search a case for a regex, a literal or a list of IOCs: logs, CloudTrail, config and code.

Logs and CloudTrail are searched inside case.duckdb (RE2, all cores, millions of lines a
second); configuration responses and the files inside code and layer packages are read
from the evidence files, zips in memory (nested zips one level deep), never extracted.
Every hit names its evidence file and SHA-256, the pattern or indicator that matched, and
for code the function versions (or layer versions) that run the package and the file
inside it. A SHA-256 indicator also matches a package or a file inside one by its own
digest. Shown text is passed through the redactor, so a hit on a secret says where it is
without printing it.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import duckdb

from lambda_ir import sanitize
from lambda_ir.evidence.case import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.evidence.index_code import CODE_KINDS
from lambda_ir.evidence.index_trail import record_files, records_query
from lambda_ir.evidence.search_code import code_hits
from lambda_ir.evidence.search_hits import Hit, Query, SearchError, matching_lines, snippet
from lambda_ir.evidence.search_where import which
from lambda_ir.redact import is_secret_name, redact_value

__all__ = [
    "IOC_CHUNK",
    "TARGETS",
    "Found",
    "Hit",
    "Query",
    "SearchError",
    "build_query",
    "escape",
    "indicator_queries",
    "search_all",
    "search_case",
]

TARGETS = ("logs", "trail", "config", "code")
_RE_SPECIAL = frozenset("\\.^$*+?()[]{}|")
_NOT_CONFIG = frozenset({"trail", "logs", *CODE_KINDS})
_KEY_VALUE = re.compile(rb'^\s*"([^"]+)"\s*:\s*"(.*)",?\s*$')


def build_query(
    patterns: Sequence[str],
    *,
    literal: bool = False,
    ignore_case: bool = False,
    hashes: frozenset[str] = frozenset(),
) -> Query:
    """Combine patterns (or IOC literals) into one alternation; invalid regexes are refused."""
    labelled = tuple((p, escape(p) if literal else p) for p in patterns if p)
    parts = [regex for _, regex in labelled]
    if not parts:
        raise SearchError("nothing to search for")
    regex = parts[0] if len(parts) == 1 else "|".join(f"(?:{p})" for p in parts)
    query = Query(regex, ignore_case, labelled, frozenset(h.lower() for h in hashes))
    try:
        query.compiled()
    except re.error as exc:
        raise SearchError(f"invalid regular expression: {exc}") from exc
    return query


# Indicators searched at once: one alternation of 30,000 was RE2's and 355,000 too large for
# it ("pattern too large"), and Python's own compile and the per-hit attribution grow with it.
IOC_CHUNK = 10_000


def indicator_queries(values: Sequence[str], hashes: frozenset[str]) -> list[Query]:
    """Queries for a list of indicators (literals, any case), IOC_CHUNK at a time, each with
    the SHA-256 values among its own."""
    if not values:
        raise SearchError("nothing to search for")
    chunks = [values[start : start + IOC_CHUNK] for start in range(0, len(values), IOC_CHUNK)]
    lowered = {h.lower() for h in hashes}
    return [
        build_query(
            chunk,
            literal=True,
            ignore_case=True,
            hashes=frozenset(v.lower() for v in chunk if v.lower() in lowered),
        )
        for chunk in chunks
    ]


def escape(literal: str) -> str:
    """Escape a literal so Python `re` and RE2 both read it as itself."""
    return "".join(f"\\{c}" if c in _RE_SPECIAL else c for c in literal)


@dataclass(frozen=True)
class Found:
    """What `search_all` found, where `limit` stopped it (there may be more there), and
    what of the code packages their read budget left unsearched."""

    hits: list[Hit]
    cut: tuple[str, ...]  # the targets whose hits reached the limit
    unread: tuple[str, ...] = ()  # `<package>: what was not read`, one line a package


def search_all(
    case: Case, queries: Sequence[Query], targets: Sequence[str] = TARGETS, limit: int = 1000
) -> Found:
    """Up to `limit` hits in each target (so a noisy log never hides the trail), of several
    queries (a pattern, the parts of a long indicator list): target by target, in the
    queries' order within one. A place more than one query matched (the same line, event or
    file) is one hit naming every pattern or indicator that matched it."""
    found: list[Hit] = []
    cut: list[str] = []
    unread: dict[str, str] = {}
    for target in targets:
        hits: dict[tuple[str, str, str | None, str, str], Hit] = {}
        for query in queries:
            budget = limit - len(hits)
            got = 0
            for hit in search_case(case, query, [target], budget, unread):
                got += 1
                key = (hit.target, hit.evidence_path, hit.member, hit.locator, hit.place)
                seen = hits.get(key)
                hits[key] = (
                    hit
                    if seen is None
                    else dataclasses.replace(
                        seen, matched=tuple(dict.fromkeys((*seen.matched, *hit.matched)))
                    )
                )
            if got >= budget:  # this query stopped at the budget: more may be there
                cut.append(target)
                break
        found.extend(hits.values())
    return Found(found, tuple(cut), tuple(f"{path}: {note}" for path, note in unread.items()))


def search_case(
    case: Case,
    query: Query,
    targets: Sequence[str] = TARGETS,
    limit: int = 1000,
    unread: dict[str, str] | None = None,
) -> Iterator[Hit]:
    """Yield up to `limit` hits, target by target in the order given; what a code package's
    read budget left unsearched goes into `unread` (package path → what)."""
    searchers: dict[str, Callable[[Case, Query, int], Iterator[Hit]]] = {
        "logs": _logs,
        "trail": _trail,
        "config": _config,
        "code": functools.partial(code_hits, unread=unread),
    }
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
            f"an evidence file could not be read ({exc}); run "
            f"`{sanitize.shell_command('lambda-ir', 'verify', '--case', case.root)}`"
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
    pattern, labelled = query.compiled(), query.labelled()
    for path, sha, group, stream, ts, message in rows:
        text = str(message)
        yield Hit(
            "logs",
            str(path),
            str(sha),
            f"{ts}Z {group} {stream}",
            snippet(text, pattern),
            matched=which(labelled, text.encode("utf-8", "replace")),
            place=text,
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
    pattern, labelled = query.compiled(), query.labelled()
    previous = None
    for path, sha, when, name, event_id, record in rows:
        if event_id == previous:
            continue  # the same event twice in its file: one hit
        previous = event_id
        # an event whose time the index could not read (`event_time` NULL) says so
        locator = f"{f'{when}Z' if when else 'no readable time'} {name} eventID={event_id}"
        text = str(record)
        matched = which(labelled, text.encode("utf-8", "replace"))
        yield Hit("trail", str(path), str(sha), locator, snippet(text, pattern), matched=matched)


def _config(case: Case, query: Query, limit: int) -> Iterator[Hit]:
    pattern, labelled = query.compiled(), query.labelled()
    for entry in case.entries():
        if entry.error or not entry.path or entry.kind in _NOT_CONFIG or entry.sha256 is None:
            continue
        if not entry.path.endswith(".json"):
            continue
        for number, line in matching_lines(case.path(entry.path).read_bytes(), pattern):
            yield Hit(
                "config",
                entry.path,
                entry.sha256,
                f"line {number}",
                _config_line(line, pattern),
                matched=which(labelled, line),
            )
            limit -= 1
            if limit <= 0:
                return


def _config_line(line: bytes, pattern: re.Pattern[bytes]) -> str:
    """A JSON line `"NAME": "value"` whose name marks a secret shows the value redacted."""
    found = _KEY_VALUE.match(line)
    if found and is_secret_name(found.group(1).decode("utf-8", "replace")):
        key = found.group(1).decode("utf-8", "replace")
        return f'"{key}": "{redact_value(found.group(2).decode("utf-8", "replace"))}"'
    return snippet(line.decode("utf-8", "replace").strip(), pattern)
