"""LIR-CT-006: event-source mappings created (a new trigger that runs a function's code)."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.baseline import who_severity
from lambda_ir.analyze.baseline_sql import select_judged
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.trail_rows import event_finding
from lambda_ir.analyze.unknowns import said
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-006",
    title="Event-source mapping created",
    severity=Severity.LOW,
    attack=("T1546",),
    evidence=(Kind.TRAIL,),
    references=(
        "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",
        "https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html",
    ),
    false_positives="Normal deployments of queue- or stream-driven functions.",
    description=(
        "A new trigger is persistence only when someone unusual wires it: INFO along an "
        "established path, the baseline's LOW/MEDIUM/HIGH for one, two, three or more new "
        "things; without a baseline MEDIUM for a person outside a deploy tool, else LOW."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """CreateEventSourceMapping calls; medium when a person made them outside a deploy tool."""
    rows = select_judged(case, "operation = 'CreateEventSourceMapping' AND error_code IS NULL")
    for row, novelty in rows:
        source = said(row.request, "eventSourceArn", "a source the record does not name")
        alone = Severity.MEDIUM if row.is_human and not row.by_deploy_tool else Severity.LOW
        yield event_finding(
            INFO,
            row,
            severity=who_severity(alone, novelty),
            summary=(
                f"{row.actor.name} connected {source} to {row.function_label}; confirm the "
                "trigger is expected, since each record delivered runs the function's code; "
                f"{novelty.phrase()}."
            ),
            details={"event_source_arn": source, "baseline": novelty.to_json()},
        )


DETECTOR = Detector(INFO, detect)
