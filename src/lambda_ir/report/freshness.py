"""Whether the findings a report shows are of the evidence the case holds now.

A report of a case `analyze` never ran on, or of one collected again since, would read as
"nothing to contain" or show an older story: the first screen says so before anything else.
"""

from __future__ import annotations

import shlex

from lambda_ir.evidence import Case, layout
from lambda_ir.evidence.custody import read_entries
from lambda_ir.evidence.manifest import read_lines
from lambda_ir.model import Kind
from lambda_ir.timeline.findings import FINDINGS_FILE

# What a command adds that analyze never reads: `contain`'s and `hunt`'s plans and records.
_NOT_ANALYZED = frozenset({Kind.RESPONSE.value})


def analysis_note(case: Case) -> str:
    """A sentence saying the findings are missing or older than the evidence, "" when they
    are of all of it: no findings.json, or evidence listed after the last `analyzed`
    custody entry (its manifest checkpoint), other than response records."""
    # plain words: the note is shown in HTML, Markdown and the terminal alike
    again = f"run: lambda-ir analyze --case {shlex.quote(str(case.root))} (then the report again)"
    if not (case.root / FINDINGS_FILE).is_file():
        return (
            "lambda-ir analyze has not run on this case: nothing below says that any "
            f"function is clean; {again}."
        )
    analyzed = [
        entry
        for _, _, entry in read_entries(case.root / layout.CUSTODY)
        if entry is not None and entry.action == "analyzed"
    ]
    if not analyzed:  # findings of another tool's making, or of a case before custody said
        return ""
    last = analyzed[-1]
    added = [kind for kind in _kinds_after(case, last.manifest_lines) if kind not in _NOT_ANALYZED]
    if not added:
        return ""
    kinds = ", ".join(sorted(set(added)))
    return (
        f"{len(added)} artifact(s) ({kinds}) were added to the case after the last analysis "
        f"({last.time}): the findings, incidents and steps below do not include them; {again}."
    )


def _kinds_after(case: Case, lines: int) -> list[str]:
    """The kinds of the manifest's entries after its first `lines` lines (custody counts every
    line, a readable entry or not: an unreadable one is `unreadable` here)."""
    return [
        line.entry.kind if line.entry is not None else "unreadable"
        for line in read_lines(case.root / layout.MANIFEST)
        if line.number > lines
    ]
