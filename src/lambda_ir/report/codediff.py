"""What changed inside a function's package between two versions, for the report.

The comparison itself is `analyze.diff` (the same one `lambda-ir diff` prints: files added,
removed and changed, redacted unified diffs of text files, and the CloudTrail call that
uploaded the code); this module keeps what the report shows and never fails the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.diff import DiffError, diff_versions
from lambda_ir.analyze.unknowns import UNKNOWN_TIME

MAX_FILES = 200  # per diff; a package rewritten wholesale is summarised, not listed


@dataclass(frozen=True)
class FileDiff:
    """One file that differs; `text` is a redacted unified diff, "" for binary or large files."""

    name: str
    status: str  # added | removed | changed
    text: str


@dataclass(frozen=True)
class CodeDiff:
    """Files that differ between the packages of two versions, and who uploaded the new one."""

    before: str
    after: str
    files: tuple[FileDiff, ...]
    uploaded_by: str
    truncated: bool

    def names(self, status: str) -> tuple[str, ...]:
        """The names of the files with this status (added, removed or changed)."""
        return tuple(f.name for f in self.files if f.status == status)

    @property
    def label(self) -> str:
        """`+2 −1 ~3 files`: the diff at a glance."""
        more = " (first files only)" if self.truncated else ""
        counts = (len(self.names(s)) for s in ("added", "removed", "changed"))
        return "+{} −{} ~{} files".format(*counts) + more


def diff_code(view: CaseView, function: str, before: str, after: str) -> CodeDiff | None:
    """The package diff between two versions; None when either package is not in the case."""
    try:
        result = diff_versions(view, function, before, after)
    except (DiffError, ValueError, OSError):
        return None
    if not result.files:
        return None  # same code, or a package missing (the diff says so in `skipped`)
    by = result.code_by
    uploaded_by = f"{by.event_name} by {by.actor.name} at {by.time or UNKNOWN_TIME}" if by else ""
    return CodeDiff(
        before=before,
        after=after,
        files=tuple(FileDiff(f.name, f.status, f.text_diff) for f in result.files[:MAX_FILES]),
        uploaded_by=uploaded_by,
        truncated=len(result.files) > MAX_FILES,
    )
