"""Search code and layer packages: each file inside (nested zips one level deep) read in
memory, never extracted; hits name the function versions that run the package."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

from lambda_ir.evidence.case import Case
from lambda_ir.evidence.index_code import CODE_KINDS, ZIP_ERRORS, read_members
from lambda_ir.evidence.search_hits import Hit, Query, matching_lines, snippet
from lambda_ir.evidence.search_where import fallback_user, package_users, which


def code_hits(case: Case, query: Query, limit: int) -> Iterator[Hit]:
    """Up to `limit` hits in the packages of the case, each blob read once."""
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
        for hit in _package_hits(case, entry.path, entry.sha256, used_by, query):
            yield hit
            limit -= 1
            if limit <= 0:
                return


def _package_hits(
    case: Case, path: str, sha: str, used_by: tuple[str, ...], query: Query
) -> Iterator[Hit]:
    pattern, labelled = query.compiled(), query.labelled()
    if sha.lower() in query.hashes:
        yield Hit("code", path, sha, "sha256 of the package", "", None, (sha.lower(),), used_by)
    try:
        for member, content, hash_it, search_it in _package_files(case.path(path)):
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
    source: Path | io.BytesIO, prefix: str = "", depth: int = 0
) -> Iterator[tuple[str, bytes, bool, bool]]:
    """(name, content, hash it, search its text): a nested zip (one level deep) is hashed,
    then its files are given; one that cannot be read as a zip is searched as bytes."""
    for member in read_members(source):
        if member.content is None:
            continue
        name = prefix + member.name
        if depth == 0 and member.content[:4] == b"PK\x03\x04":
            yield name, member.content, True, False
            try:
                yield from _package_files(io.BytesIO(member.content), f"{name}!", depth + 1)
                continue
            except ZIP_ERRORS:
                yield name, member.content, False, True  # not a readable zip: its bytes
                continue
        yield name, member.content, True, True
