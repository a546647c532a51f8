"""`investigate`: collect → index → analyze → timeline → report, in one call.

The CLI's `investigate` and `demo` call `investigate()`; each stage is the same library
function its own command calls, so a case built here is the case the stages would build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3

from lambda_ir.acquire import CollectOptions, CollectSummary, ProgressSink, Scope, collect
from lambda_ir.analyze.caseview import AnalyzeOptions
from lambda_ir.analyze.detectors import ALL
from lambda_ir.analyze.engine import AnalysisResult, analyze_case
from lambda_ir.evidence import Case
from lambda_ir.evidence.custody import utc_now
from lambda_ir.evidence.index import build_index, open_index
from lambda_ir.report import write_report
from lambda_ir.report.write import ReportResult
from lambda_ir.timeline import write_timeline
from lambda_ir.timeline.write import TimelineResult

STAGES = ("collect", "index", "analyze", "timeline", "report")


@dataclass(frozen=True)
class Investigation:
    """What each stage of an investigation produced."""

    collected: CollectSummary
    index: Path
    analysis: AnalysisResult
    timeline: TimelineResult
    report: ReportResult

    @property
    def report_html(self) -> Path:
        return self.report.html


def investigate(
    case: Case,
    session: boto3.Session,
    scope: Scope,
    collect_options: CollectOptions | None = None,
    analyze_options: AnalyzeOptions | None = None,
    progress: ProgressSink | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Investigation:
    """Run the whole pipeline into `case`; collection is read-only, the rest offline.

    `on_stage` is told each stage's name as it starts (for a person watching). A collection
    that could collect nothing stops here with the summary: there is nothing to analyze.
    """
    announce = on_stage or (lambda _stage: None)
    announce("collect")
    collected = collect(case, session, scope, collect_options, progress)
    if not collected.ok or collected.interrupted or collected.asked_none_found:
        raise InvestigationStopped(collected)
    announce("index")
    index = build_index(case)
    announce("analyze")
    analysis, _ = analyze_case(case, ALL, analyze_options)
    with open_index(case) as connection:
        announce("timeline")
        timeline = write_timeline(case, connection, "jsonl")
        announce("report")
        report = write_report(case, connection, utc_now())
    return Investigation(collected, index, analysis, timeline, report)


class InvestigationStopped(Exception):
    """Collection was interrupted, collected nothing, or found none of the functions
    `--function` named (nothing of theirs to analyze); the summary says what happened."""

    def __init__(self, summary: CollectSummary) -> None:
        reason = (
            "interrupted"
            if summary.interrupted
            else "no function --function named exists"
            if summary.ok and summary.asked_none_found
            else "nothing could be collected"
        )
        super().__init__(f"investigation stopped after collect: {reason}; {summary.line()}")
        self.summary = summary
