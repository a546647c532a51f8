"""LIR-CT-009: CloudTrail logging stopped, deleted, or its event selectors narrowed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lambda_ir.analyze.baseline import act_severity
from lambda_ir.analyze.baseline_sql import select_judged
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.trail_rows import TrailRow, event_finding
from lambda_ir.analyze.unknowns import UNKNOWN_TIME, members, said
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-009",
    title="CloudTrail coverage reduced (evidence gap)",
    severity=Severity.HIGH,
    attack=("T1562.008",),
    evidence=(Kind.TRAIL,),
    references=(
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.defense-evasion.cloudtrail-event-selectors/",
    ),
    false_positives="Planned trail changes; cost reductions that drop data events.",
    description=(
        "Blinding the trail is defense evasion when someone unusual does it: HIGH from the "
        "event alone (no baseline) or when two or more things about the caller were new "
        "against the baseline, LOW along an established path (IaC reshaping its trails), "
        "MEDIUM for one new thing."
    ),
)


def _lambda_blind(selectors: Any) -> str:
    """Why a PutEventSelectors request hides Lambda activity, or "" when it does not."""
    reasons = []
    for selector in selectors if isinstance(selectors, list) else []:
        if not isinstance(selector, dict):
            continue
        if selector.get("includeManagementEvents") is False:
            reasons.append("management events off (no Lambda API calls recorded)")
        for resource in members(selector, "dataResources"):
            if not isinstance(resource, dict):
                continue
            if resource.get("type") == "AWS::Lambda::Function" and not resource.get("values"):
                reasons.append("Lambda data events selector with no functions")
    return "; ".join(dict.fromkeys(reasons))


def _why(row: TrailRow) -> str:
    if row.operation == "PutEventSelectors":
        return _lambda_blind(row.request.get("eventSelectors"))
    return {"StopLogging": "logging stopped", "DeleteTrail": "trail deleted"}.get(row.operation, "")


def detect(case: CaseView) -> Iterator[Finding]:
    """StopLogging, DeleteTrail and PutEventSelectors that blind Lambda activity."""
    rows = select_judged(
        case,
        "event_source = ? AND operation IN ('StopLogging', 'DeleteTrail', 'PutEventSelectors') "
        "AND error_code IS NULL",
        ["cloudtrail.amazonaws.com"],
    )
    for row, novelty in rows:
        why = _why(row)
        if not why:
            continue
        trail = said(row.request, "name", "") or said(row.request, "trailName", "?")
        # With nothing to judge by, blinding the trail is HIGH by the event alone (README scale).
        severity = act_severity(novelty)
        yield event_finding(
            INFO,
            row,
            severity=severity,
            resource=f"arn:aws:cloudtrail:{row.region}:{row.account}:trail/{trail.split('/')[-1]}",
            summary=(
                f"{row.actor.name} changed trail {trail}: {why}; activity after "
                f"{row.time or UNKNOWN_TIME} may be missing from the trail, so treat the "
                "absence of events as unknown; "
                f"{novelty.phrase()}."
            ),
            details={"reason": why, "baseline": novelty.to_json()},
        )


DETECTOR = Detector(INFO, detect)
