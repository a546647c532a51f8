"""`findings.csv`: one row per finding, for a spreadsheet or a ticket import.

Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) are prefixed with
`'`, as the timeline's CSV does: titles and summaries quote attacker-written text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from lambda_ir import sanitize
from lambda_ir.model import Finding

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
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for finding in findings:
        actor = finding.actor
        writer.writerow(
            _cell(" ".join(str(value).split()))
            for value in (
                finding.id,
                finding.severity.value,
                finding.detector,
                finding.title,
                finding.resource,
                finding.account,
                finding.region,
                finding.time or "",
                actor.arn if actor else "",
                actor.access_key_id if actor else "",
                actor.source_ip if actor else "",
                " ".join(finding.attack),
                finding.summary,
                " ".join(
                    f"{ref.path}!{ref.member}" if ref.member else ref.path
                    for ref in finding.evidence
                ),
            )
        )
    return text.getvalue()


def _cell(text: str) -> str:
    text = sanitize.field(text)  # ESC, C1 and bidi controls visible, as in timeline.csv
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
