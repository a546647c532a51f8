"""Write every report output into the case and record their hashes in the chain of custody."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import orjson

from lambda_ir.evidence import Case
from lambda_ir.report.facts import ReportFacts, build_facts
from lambda_ir.report.html import render_html
from lambda_ir.report.markdown import render_markdown
from lambda_ir.report.ocsf import render_ocsf
from lambda_ir.report.sarif import render_sarif
from lambda_ir.timeline.merge import build_timeline


@dataclass(frozen=True)
class ReportResult:
    """What `write_report` wrote: each output's path and SHA-256, and what was missing."""

    outputs: dict[str, str]
    paths: tuple[Path, ...]
    facts: ReportFacts
    warnings: tuple[str, ...]

    @property
    def html(self) -> Path:
        """The report page, the file to hand to a person."""
        return next(p for p in self.paths if p.name == "report.html")


def render_all(facts: ReportFacts) -> dict[str, bytes]:
    """Every output's bytes by file name; pure, for tests and for `write_report`."""
    sarif = orjson.dumps(render_sarif(facts.findings), option=orjson.OPT_INDENT_2)
    ocsf = b"".join(
        orjson.dumps(row) + b"\n" for row in render_ocsf(facts.findings, facts.generated)
    )
    return {
        "report.html": render_html(facts).encode(),
        "report.md": render_markdown(facts).encode(),
        "findings.sarif": sarif + b"\n",
        "findings.ocsf.jsonl": ocsf,
    }


def write_report(
    case: Case, index: duckdb.DuckDBPyConnection | None, generated: str
) -> ReportResult:
    """Render the case and write report.html, report.md, findings.sarif, findings.ocsf.jsonl.

    Reads the case, findings.json and the index; writes only derived outputs and one
    `reported` custody entry carrying each output's SHA-256.
    """
    timeline_warnings: list[str] = []
    events = build_timeline(case, index, timeline_warnings)
    facts = build_facts(case, events, generated)
    outputs: dict[str, str] = {}
    paths = []
    for name, data in render_all(facts).items():
        paths.append(case.write_derived(name, data))
        outputs[name] = hashlib.sha256(data).hexdigest()
    case.log("reported", {"outputs": outputs, "findings": len(facts.findings)})
    warnings = tuple(timeline_warnings) + facts.warnings
    return ReportResult(outputs, tuple(paths), facts, warnings)
