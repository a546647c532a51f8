"""Write every report output into the case and record their hashes in the chain of custody."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import orjson

from lambda_ir import sanitize
from lambda_ir.evidence import Case
from lambda_ir.heap import collector_paused
from lambda_ir.report.blocks import BLOCK, indented_chunks
from lambda_ir.report.facts import ReportFacts, build_facts
from lambda_ir.report.findings_csv import csv_chunks, render_csv
from lambda_ir.report.html import render_html
from lambda_ir.report.indicators import (
    Indicator,
    stix_bundle,
    stix_indicator,
    to_stix,
    to_text,
)
from lambda_ir.report.markdown import render_markdown
from lambda_ir.report.ocsf import ocsf_bytes, ocsf_chunks
from lambda_ir.report.response import case_indicators
from lambda_ir.report.sarif import sarif_bytes, sarif_chunks
from lambda_ir.timeline.findings import read_findings
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
        return self.path_of("report.html")

    def path_of(self, name: str) -> Path:
        """The path of one written output, by file name (StopIteration when not written)."""
        return next(p for p in self.paths if p.name == name)


# `report --format` names and the files they write.
FORMATS = {
    "html": "report.html",
    "md": "report.md",
    "sarif": "findings.sarif",
    "ocsf": "findings.ocsf.jsonl",
    "csv": "findings.csv",
    "stix": "indicators.stix.json",
    "txt": "indicators.txt",
}


def render(facts: ReportFacts, name: str) -> bytes:
    """One output's bytes, by its `--format` name (a key of FORMATS); pure."""
    renderers: dict[str, Callable[[ReportFacts], bytes]] = {
        "html": lambda f: render_html(f).encode(),
        "md": lambda f: render_markdown(f).encode(),
        "sarif": lambda f: sarif_bytes(f.findings),
        "ocsf": lambda f: ocsf_bytes(f.findings, f.generated),
        "csv": lambda f: render_csv(f.findings).encode(),
        # Nothing raw from the evidence in any file (`sanitize`): JSON as \\uXXXX, text visible.
        "stix": lambda f: sanitize.json_bytes(
            orjson.dumps(
                to_stix(_indicators(f), f.generated, f.case_id), option=orjson.OPT_INDENT_2
            )
            + b"\n"
        ),
        "txt": lambda f: sanitize.text(to_text(_indicators(f))).encode(),
    }
    return renderers[name](facts)


def stream(facts: ReportFacts, name: str, block: int = BLOCK) -> Iterator[bytes]:
    """`render(facts, name)` in pieces, `block` findings or indicators at a time: the
    exports of a million-event case (hundreds of MB each) are never whole in memory. The
    pages for people (within their size budget) come whole."""
    if name == "sarif":
        return sarif_chunks(facts.findings, block)
    if name == "ocsf":
        return ocsf_chunks(facts.findings, facts.generated, block)
    if name == "csv":
        return csv_chunks(facts.findings, block)
    if name == "stix":
        objects = (stix_indicator(i, facts.generated, facts.case_id) for i in _indicators(facts))
        bundle = stix_bundle(facts.generated, facts.case_id)
        return indented_chunks(bundle, "objects", objects, block)
    return iter([render(facts, name)])


def render_all(facts: ReportFacts, formats: Iterable[str] = tuple(FORMATS)) -> dict[str, bytes]:
    """The chosen outputs' bytes by file name, each rendered whole; pure (`write_report`
    streams them to their files instead, the same bytes: `stream`)."""
    return {FORMATS[name]: render(facts, name) for name in _chosen(formats)}


def _chosen(formats: Iterable[str]) -> list[str]:
    """The `--format` names asked for, in FORMATS order; an unknown one is a ValueError."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format {', '.join(sorted(unknown))}; choose from {_NAMES}")
    return [name for name in FORMATS if name in formats]


_NAMES = ", ".join(FORMATS)


def _indicators(facts: ReportFacts) -> list[Indicator]:
    return case_indicators(facts)


def write_report(
    case: Case,
    index: duckdb.DuckDBPyConnection | None,
    generated: str,
    formats: Iterable[str] = tuple(FORMATS),
    block: int = BLOCK,
) -> ReportResult:
    """Render the case and write the chosen outputs (by default all of `FORMATS`).

    Reads the case, findings.json and the index; writes only derived outputs and one
    `reported` custody entry carrying each output's SHA-256 (hashed as it is written). The
    exports are streamed `block` findings at a time (`stream`), the same bytes as `render`.
    """
    with collector_paused():  # the findings, events and facts are alive at once
        return _write_report(case, index, generated, formats, block)


def _write_report(
    case: Case,
    index: duckdb.DuckDBPyConnection | None,
    generated: str,
    formats: Iterable[str],
    block: int,
) -> ReportResult:
    timeline_warnings: list[str] = []
    read_warnings: list[str] = []
    findings = read_findings(case, read_warnings)  # once, for the timeline and the facts
    events = build_timeline(case, index, timeline_warnings, findings)
    facts = build_facts(
        case, events, generated, index=index, findings=findings, read_warnings=read_warnings
    )
    del findings, events  # the facts keep their redacted copy and the events they show
    outputs: dict[str, str] = {}
    paths = []
    chosen = _chosen(tuple(formats))
    # said before any is replaced: a run stopped midway leaves outputs custody has no hash
    # of, which `verify` then tells from an edit
    case.log("reporting", {"outputs": [FORMATS[name] for name in chosen]})
    for name in chosen:  # one at a time: at 1M events they total 1.1 GB
        path, digest = case.write_derived_stream(FORMATS[name], stream(facts, name, block))
        paths.append(path)
        outputs[FORMATS[name]] = digest
    case.log("reported", {"outputs": outputs, "findings": len(facts.findings)})
    warnings = tuple(timeline_warnings) + facts.warnings
    return ReportResult(outputs, tuple(paths), facts, warnings)
