"""What `search` says about a hit besides the text: which indicator matched, and which
function versions or layer versions run the package a code hit is in.

Indicators are read from files or given as values; a SHA-256 indicator is also compared
with each package's own digest and with the SHA-256 of every file inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lambda_ir.evidence.case import Case
from lambda_ir.evidence.index import open_index

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class Indicators:
    """Indicators as given (order kept, duplicates dropped) and the SHA-256 values among them."""

    values: tuple[str, ...]

    @property
    def hashes(self) -> frozenset[str]:
        return frozenset(v.lower() for v in self.values if _SHA256.match(v))


def read_indicators(sources: Sequence[str], notes: list[str] | None = None) -> Indicators:
    """Each source is a file of indicators (one a line, `#` comments) when such a file
    exists, else one indicator; defanged `[.]` and `hxxp` are refanged. A value that looks
    like a path (a `/` and no `://`) but is no file is refused (ValueError), not searched. A
    bare name ending as indicator lists do (`iocs.txt`, `.csv`…) that is no file here is
    searched as text, and said so in `notes`: `--ioc iocs.txt` run from another folder had
    searched for the text "iocs.txt" without a word, while `config.json` is an indicator
    (XMRig's configuration file)."""
    # by value ignoring case (as it is matched), its first spelling kept: an ordered dict, as
    # a list's membership test made 300k indicators quadratic
    found: dict[str, str] = {}
    for source in sources:
        path = Path(source)
        if not path.is_file() and _is_path(source):
            raise ValueError(f"no indicator file {source!r}")
        if not path.is_file() and source.lower().endswith(_LIST_SUFFIXES) and notes is not None:
            notes.append(
                f"no file {source!r} in {Path.cwd()}: searched for the text {source!r} (give "
                "the path of a file of indicators to search its lines)"
            )
        lines = (
            path.read_text(encoding="utf-8", errors="replace").splitlines()
            if path.is_file()
            else [source]
        )
        for line in lines:
            value = _refang(line.strip())
            if value and not value.startswith("#"):
                found.setdefault(value.casefold(), value)
    return Indicators(tuple(found.values()))


# How files of indicators end (no top-level domain does; a file name may be an indicator).
_LIST_SUFFIXES = (".txt", ".csv", ".tsv", ".json", ".jsonl", ".ioc", ".iocs", ".lst", ".list")


def _is_path(value: str) -> bool:
    # a `\` is not a path here: a Windows path (`C:\Users\Public\xmrig.exe`) is an indicator
    return "://" not in value and "/" in value


def _refang(value: str) -> str:
    value = value.replace("[.]", ".").replace("(.)", ".").replace("[:]", ":")
    return re.sub(r"^hxxp", "http", value, flags=re.IGNORECASE)


def which(patterns: Iterable[tuple[str, re.Pattern[bytes]]], raw: bytes) -> tuple[str, ...]:
    """The labels of the patterns that match `raw` (the unredacted text of a hit)."""
    return tuple(label for label, pattern in patterns if pattern.search(raw))


def package_users(case: Case) -> dict[str, tuple[str, ...]]:
    """Blob SHA-256 (hex) -> the function versions (`account/region/name:version`) and layer
    versions (their ARN) whose CodeSha256 names it, from the case index."""
    users: dict[str, list[str]] = {}
    try:
        with open_index(case) as con:
            rows = con.execute(
                """SELECT lower(code_sha256_hex),
                          account || '/' || region || '/' || function_name || ':' || version
                   FROM versions WHERE code_sha256_hex IS NOT NULL
                   UNION
                   SELECT lower(code_sha256_hex), layer_version_arn
                   FROM layers WHERE code_sha256_hex IS NOT NULL AND layer_version_arn IS NOT NULL
                   ORDER BY 1, 2"""
            ).fetchall()
    except duckdb.Error:
        return {}
    for sha, name in rows:
        users.setdefault(str(sha), []).append(str(name))
    return {sha: tuple(names) for sha, names in users.items()}


def fallback_user(params: dict[str, object], account: str | None, region: str | None) -> str:
    """The function or layer the manifest entry was fetched for (when the index has no row)."""
    if "Arn" in params:
        return str(params["Arn"])
    name, qualifier = params.get("FunctionName"), params.get("Qualifier", "$LATEST")
    if name:
        return f"{account or '?'}/{region or '?'}/{name}:{qualifier}"
    return "?"
