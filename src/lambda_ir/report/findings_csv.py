"""`findings.csv`: one row per finding, for a spreadsheet or a ticket import.

Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) are prefixed with
`'`, as the timeline's CSV does: titles and summaries quote attacker-written text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import chain

from lambda_ir import sanitize
from lambda_ir.model import Finding
from lambda_ir.report.blocks import BLOCK, batches

COLUMNS = (
    "id",
    "severity",
    "detector",
    "title",
    "resource",
    "account",
    "region",
    "time",
    "principal",
    "access_key_id",
    "source_ip",
    "attack",
    "summary",
    "evidence",
)


def render_csv(findings: Iterable[Finding]) -> str:
    """The findings as CSV with a header row (already redacted by `facts`)."""
    return _csv_text(chain([COLUMNS], (_row(finding) for finding in findings)))


def csv_chunks(findings: Iterable[Finding], block: int = BLOCK) -> Iterator[bytes]:
    """`render_csv` encoded, `block` rows at a time (the header first): a row's quoting does
    not depend on the rows around it, so the blocks join to the same bytes."""
    yield _csv_text([COLUMNS]).encode()
    for batch in batches(findings, block):
        yield _csv_text(_row(finding) for finding in batch).encode()


def _csv_text(rows: Iterable[Iterable[str]]) -> str:
    """Rows as CSV; one writer's settings for the whole file and for its blocks. Every cell
    is quoted (OWASP's advice for CSV injection), and its formulas defused, after a `;` too
    (`sanitize.spreadsheet_cell`: a spreadsheet splitting rows at `;` honours no quote there)."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    return text.getvalue()


def _row(finding: Finding) -> list[str]:
    """One finding's cells, on one line each and never read as a formula."""
    actor = finding.actor
    return [
        sanitize.spreadsheet_cell(" ".join(str(value).split()))
        for value in (
            finding.id,
            finding.severity.value,
            finding.detector,
            finding.title,
            finding.resource,
            finding.account,
            finding.region,
            finding.time or "",
            actor.key if actor else "",
            actor.access_key_id if actor else "",
            actor.source_ip if actor else "",
            " ".join(finding.attack),
            finding.summary,
            " ".join(
                f"{ref.path}!{ref.member}" if ref.member else ref.path for ref in finding.evidence
            ),
        )
    ]
