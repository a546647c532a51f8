"""LIR-CT-006: event-source mappings created (a new trigger that runs a function's code)."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.trail_rows import event_finding, select_events
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
)


def detect(case: CaseView) -> Iterator[Finding]:
    """CreateEventSourceMapping calls; medium when a person made them outside a deploy tool."""
    rows = select_events(case, "operation = 'CreateEventSourceMapping' AND error_code IS NULL")
    for row in rows:
        source = str(row.request.get("eventSourceArn", "?"))
        yield event_finding(
            INFO,
            row,
            severity=Severity.MEDIUM if row.is_human and not row.by_deploy_tool else Severity.LOW,
            summary=(
                f"{row.actor.arn} connected {source} to {row.function_name}; confirm the "
                "trigger is expected, since each record delivered runs the function's code."
            ),
            details={"event_source_arn": source},
        )


DETECTOR = Detector(INFO, detect)
