"""Run detectors over a case, offline, and write findings.json.

A detector that crashes becomes a recorded warning and the others still run; a detector whose
evidence the case does not hold is reported as skipped, so "no finding" is never confused with
"not looked at".
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from lambda_ir import sanitize
from lambda_ir.analyze.caseview import AnalyzeOptions, CaseView
from lambda_ir.analyze.detector import Detector
from lambda_ir.analyze.incidents import INCIDENTS_FILE, Incident, correlate
from lambda_ir.analyze.own_footprints import without_own
from lambda_ir.evidence import Case
from lambda_ir.heap import collector_paused
from lambda_ir.model import Finding, Kind, Severity

FINDINGS_FILE = "findings.json"


@dataclass(frozen=True)
class DetectorProblem:
    """A detector that did not run to completion, and why."""

    detector: str
    reason: str


@dataclass(frozen=True)
class AnalysisResult:
    """What an analysis produced: findings, and which detectors crashed or were skipped."""

    findings: tuple[Finding, ...]
    ran: tuple[str, ...]
    skipped: tuple[DetectorProblem, ...]
    warnings: tuple[DetectorProblem, ...]
    seconds: float
    incidents: tuple[Incident, ...] = ()  # the findings correlated (incidents.json)
    own_calls: int = 0  # findings left out: they only reported the case's own collector calls

    def counts(self) -> dict[str, int]:
        """Number of findings per severity, every severity listed."""
        out = {severity.value: 0 for severity in reversed(Severity)}
        for finding in self.findings:
            out[finding.severity.value] += 1
        return out


def missing_evidence(detector: Detector, view: CaseView) -> tuple[Kind, ...]:
    """The evidence kinds a detector reads that the case lacks; empty when any is present."""
    kinds = detector.info.evidence
    if not kinds or any(view.has(kind) for kind in kinds):
        return ()
    return kinds


def run_detectors(view: CaseView, detectors: Sequence[Detector]) -> AnalysisResult:
    """Run each detector over the view; crashes become warnings, missing evidence skips."""
    with collector_paused():
        return _run(view, detectors)


def _run(view: CaseView, detectors: Sequence[Detector]) -> AnalysisResult:
    started = time.monotonic()
    found: dict[str, Finding] = {}
    ran: list[str] = []
    skipped: list[DetectorProblem] = []
    warnings: list[DetectorProblem] = []
    for detector in detectors:
        lacking = missing_evidence(detector, view)
        if lacking:
            reason = "no " + " or ".join(kind.value for kind in lacking) + " evidence in the case"
            skipped.append(DetectorProblem(detector.info.id, reason))
            continue
        try:
            results = list(detector.detect(view))
        except Exception as exc:  # a broken detector must not stop the others
            warnings.append(DetectorProblem(detector.info.id, f"{type(exc).__name__}: {exc}"))
            continue
        ran.append(detector.info.id)
        for finding in results:
            found.setdefault(finding.id, finding)
    incidents, ordered, own = finish(view, list(found.values()))
    return AnalysisResult(
        findings=ordered,
        incidents=incidents,
        ran=tuple(ran),
        skipped=tuple(skipped),
        warnings=tuple(warnings),
        seconds=round(time.monotonic() - started, 3),
        own_calls=own,
    )


def finish(
    view: CaseView, found: list[Finding]
) -> tuple[tuple[Incident, ...], tuple[Finding, ...], int]:
    """The detectors' findings as an analysis reports them: the collector's own calls left
    out, the index closed, correlated into incidents and ordered most severe first. Returns
    the incidents, the findings (each with its incident id) and how many were left out."""
    # The collector's own read calls (e.g. a FilterLogEvents naming the indicator it searched
    # for) are the responder, not the attacker: out before findings become incidents.
    kept, own = without_own(view, found)
    view.close_index()  # the findings are made: DuckDB's memory back before correlating them
    incidents, ordered = correlate(sorted(kept, key=_order))
    return incidents, ordered, len(own)


def _order(finding: Finding) -> tuple[int, str, str]:
    return (-finding.severity.rank, finding.time or "", finding.id)


def findings_json(findings: Sequence[Finding]) -> bytes:
    """findings.json's bytes: a JSON list, most severe first."""
    return b"".join(findings_chunks(findings))


CHUNK = 2000  # findings serialised at once


def findings_chunks(findings: Sequence[Finding]) -> Iterator[bytes]:
    """findings.json CHUNK findings at a time, the bytes `orjson.dumps(list, OPT_INDENT_2)`
    would give: hundreds of thousands of findings are never one list of dicts nor one string.
    Each chunk is itself a list dumped with indentation, its brackets cut off and the chunks
    joined with the commas between them."""
    if not findings:
        yield b"[]\n"
        return
    for start in range(0, len(findings), CHUNK):
        part = [finding.to_json() for finding in findings[start : start + CHUNK]]
        body = orjson.dumps(part, option=orjson.OPT_INDENT_2)[2:-2]  # "[\n" … "\n]"
        yield (b",\n" if start else b"[\n") + sanitize.json_bytes(body)
    yield b"\n]\n"


def incidents_json(incidents: Sequence[Incident]) -> bytes:
    """incidents.json's bytes: a JSON list, most important first."""
    document = orjson.dumps([i.to_json() for i in incidents], option=orjson.OPT_INDENT_2)
    return sanitize.json_bytes(document) + b"\n"


def analyze_case(
    case: Case, detectors: Sequence[Detector], options: AnalyzeOptions | None = None
) -> tuple[AnalysisResult, Path]:
    """Analyze a case: run detectors, write findings.json, record the run in custody."""
    view = CaseView(case, options)
    with collector_paused():  # through the writing too: a dict per finding for the JSON
        result = run_detectors(view, detectors)
        case.log("analyzing", {"outputs": [FINDINGS_FILE, INCIDENTS_FILE]})  # see `verify`
        target, found = case.write_derived_stream(FINDINGS_FILE, findings_chunks(result.findings))
        _, grouped = case.write_derived_stream(INCIDENTS_FILE, [incidents_json(result.incidents)])
    details = custody_details(result, options or AnalyzeOptions())
    # what `verify` checks them against: a findings.json edited after analyze is said so
    details["outputs"] = {FINDINGS_FILE: found, INCIDENTS_FILE: grouped}
    case.log("analyzed", details)
    return result, target


def custody_details(result: AnalysisResult, options: AnalyzeOptions) -> dict[str, Any]:
    """What the custody log records about an analysis run."""
    return {
        "findings": len(result.findings),
        "incidents": len(result.incidents),
        "own_calls_left_out": result.own_calls,
        "by_severity": result.counts(),
        "detectors_run": len(result.ran),
        "skipped": [p.detector for p in result.skipped],
        "warnings": [f"{p.detector}: {p.reason}" for p in result.warnings],
        "yara_dirs": [str(p) for p in options.yara_dirs],
        "sigma_dirs": [str(p) for p in options.sigma_dirs],
        "ioc_files": [str(p) for p in options.ioc_files],
        "allow_file": str(options.allow_file) if options.allow_file else None,
        "attached_in": [str(p) for p in options.attached_in],
    }
