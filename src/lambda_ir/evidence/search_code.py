"""Search code and layer packages: each file inside (nested zips one level deep) read in
memory, never extracted; hits name the function versions that run the package.

A package and every zip nested in it share one `ReadBudget` (bytes inflated, members, time):
a nested zip given a fresh budget of its own let three of them inflate 6 GiB of a package
documented as read up to 2 GiB. What the budget left unread is said, one line a package.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lambda_ir.evidence.case import Case
from lambda_ir.evidence.index_code import (
    CODE_KINDS,
    MAX_MEMBERS,
    MAX_TOTAL,
    ZIP_ERRORS,
    ReadBudget,
    read_members,
)
from lambda_ir.evidence.search_hits import Hit, Query, matching_lines, snippet
from lambda_ir.evidence.search_where import fallback_user, package_users, which

MAX_SECONDS = 60.0  # reading and searching one package, nested zips included
MAX_NAMED = 5  # files left unread named per package; the rest are counted


@dataclass(frozen=True)
class CodeLimits:
    """Bounds for searching one package and everything nested in it."""

    total: int = MAX_TOTAL  # bytes inflated
    members: int = MAX_MEMBERS
    seconds: float = MAX_SECONDS

    def budget(self) -> ReadBudget:
        """A budget for one package, its clock started now."""
        return ReadBudget(self.total, self.members, time.monotonic() + self.seconds)


def code_hits(
    case: Case,
    query: Query,
    limit: int,
    unread: dict[str, str] | None = None,
    limits: CodeLimits | None = None,
) -> Iterator[Hit]:
    """Up to `limit` hits in the packages of the case, each blob read once; what a package's
    budget left unread goes into `unread` (package path → what was not read)."""
    limits = limits or CodeLimits()
    users = package_users(case)
    seen: set[str] = set()
    for entry in case.entries():
        if entry.error or entry.kind not in CODE_KINDS or not entry.path or not entry.sha256:
            continue
        if entry.path in seen:
            continue  # one blob, stored once, may be named by several manifest lines
        seen.add(entry.path)
        used_by = users.get(entry.sha256.lower()) or (
            fallback_user(entry.params, entry.account, entry.region),
        )
        skipped: list[str] = []
        budget = limits.budget()
        hits = _package_hits(case, entry.path, entry.sha256, used_by, query, budget, skipped)
        for hit in hits:
            yield hit
            limit -= 1
            if limit <= 0:
                return  # the hit limit, not the budget: said as "limit reached"
        if (skipped or budget.stopped) and unread is not None:
            unread[entry.path] = _unread_note(skipped, budget.stopped)


def _package_hits(
    case: Case,
    path: str,
    sha: str,
    used_by: tuple[str, ...],
    query: Query,
    budget: ReadBudget,
    skipped: list[str],
) -> Iterator[Hit]:
    pattern, labelled = query.compiled(), query.labelled()
    if sha.lower() in query.hashes:
        yield Hit("code", path, sha, "sha256 of the package", "", None, (sha.lower(),), used_by)
    try:
        for member, content, hash_it, search_it in _package_files(case.path(path), budget, skipped):
            digest = hashlib.sha256(content).hexdigest() if hash_it and query.hashes else ""
            if digest in query.hashes:
                yield Hit("code", path, sha, "sha256 of the file", "", member, (digest,), used_by)
            if not search_it:
                continue
            for number, line in matching_lines(content, pattern):
                text = snippet(line.decode("utf-8", "replace"), pattern)
                matched = which(labelled, line)
                yield Hit("code", path, sha, f"line {number}", text, member, matched, used_by)
    except ZIP_ERRORS:
        return  # not a zip (a container image layer, a damaged blob): nothing to read


def _package_files(
    source: Path | io.BytesIO,
    budget: ReadBudget,
    skipped: list[str],
    prefix: str = "",
    depth: int = 0,
) -> Iterator[tuple[str, bytes, bool, bool]]:
    """(name, content, hash it, search its text): a nested zip (one level deep) is hashed,
    then its files are given; one that cannot be read as a zip is searched as bytes. Every
    level spends `budget`; a file it refused (or could not read) is named in `skipped`."""
    for member in read_members(source, budget=budget):
        name = prefix + member.name
        if member.content is None:
            if not member.is_symlink:  # a symlink's target is no file to search
                skipped.append(f"{name} ({member.note})")
            continue
        if depth == 0 and member.content[:4] == b"PK\x03\x04":
            yield name, member.content, True, False
            try:
                yield from _package_files(
                    io.BytesIO(member.content), budget, skipped, f"{name}!", depth + 1
                )
                continue
            except ZIP_ERRORS:
                yield name, member.content, False, True  # not a readable zip: its bytes
                continue
        yield name, member.content, True, True


def _unread_note(skipped: list[str], stopped: str) -> str:
    """`3 file(s) not read: a.zip!x (why), …; time limit reached; the rest not read`."""
    parts = []
    if skipped:
        named = ", ".join(skipped[:MAX_NAMED])
        more = f" and {len(skipped) - MAX_NAMED} more" if len(skipped) > MAX_NAMED else ""
        parts.append(f"{len(skipped)} file(s) not read: {named}{more}")
    if stopped:
        parts.append(stopped)
    return "; ".join(parts)
