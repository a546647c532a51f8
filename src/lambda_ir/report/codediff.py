"""Which files changed inside a function's package between two versions.

Read from the index's `code_files` (one row per package member with its SHA-256, filled by
`evidence.index_code` without extracting anything), so the report never opens a zip.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

MAX_NAMES = 500  # per diff; a package rewritten wholesale is summarised, not listed

_DIFF = """
WITH a AS (SELECT member, member_sha256 FROM code_files WHERE blob_sha256 = $a),
     b AS (SELECT member, member_sha256 FROM code_files WHERE blob_sha256 = $b)
SELECT coalesce(a.member, b.member) AS name,
       CASE WHEN a.member IS NULL THEN 'added' WHEN b.member IS NULL THEN 'removed'
            ELSE 'changed' END AS change
FROM a FULL OUTER JOIN b ON a.member = b.member
WHERE a.member IS NULL OR b.member IS NULL OR a.member_sha256 IS DISTINCT FROM b.member_sha256
ORDER BY change, name
LIMIT $limit
"""


@dataclass(frozen=True)
class CodeDiff:
    """Files added, removed and changed between the packages of two versions."""

    before: str
    after: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    truncated: bool

    @property
    def label(self) -> str:
        """`+2 −1 ~3 files`: the diff at a glance."""
        more = " (first files only)" if self.truncated else ""
        return f"+{len(self.added)} −{len(self.removed)} ~{len(self.changed)} files{more}"


def diff_packages(
    index: duckdb.DuckDBPyConnection, before: tuple[str, str], after: tuple[str, str]
) -> CodeDiff | None:
    """Compare two packages given as (version, blob SHA-256 hex); None without their files."""
    con = index.cursor()
    try:
        present = con.execute(
            "SELECT count(DISTINCT blob_sha256) FROM code_files WHERE blob_sha256 IN (?, ?)",
            [before[1], after[1]],
        ).fetchone()
    except duckdb.CatalogException:
        return None  # an index from before code_files existed: no diff, not a failure
    if not present or present[0] < 2:
        return None
    rows = con.execute(_DIFF, {"a": before[1], "b": after[1], "limit": MAX_NAMES + 1}).fetchall()
    names: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
    for name, change in rows[:MAX_NAMES]:
        names[str(change)].append(str(name))
    return CodeDiff(
        before=before[0],
        after=after[0],
        added=tuple(names["added"]),
        removed=tuple(names["removed"]),
        changed=tuple(names["changed"]),
        truncated=len(rows) > MAX_NAMES,
    )
