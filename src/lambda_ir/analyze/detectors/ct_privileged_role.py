"""LIR-CT-005: a new function given (PassRole) an execution role that is admin or can escalate."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.baseline_sql import select_judged
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.iam import role_risk
from lambda_ir.analyze.trail_rows import event_finding
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-005",
    title="New function given a privileged execution role",
    severity=Severity.MEDIUM,
    attack=("T1078.004", "T1098"),
    evidence=(Kind.TRAIL,),
    references=("https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",),
    false_positives="Administrative automation functions that legitimately hold broad roles.",
    description=(
        "Passing an admin-equivalent role to a function is the classic Lambda privilege "
        "escalation, and also what lazy automation does: MEDIUM from the event alone, LOW "
        "along an established path (the broad role itself is LIR-CFG-009's exposure), and the "
        "baseline's LOW/MEDIUM/HIGH for one, two, three or more new things, at least MEDIUM."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """CreateFunction (or a role change) passing a role the case shows as admin-equivalent."""
    rows = select_judged(
        case,
        "operation IN ('CreateFunction', 'UpdateFunctionConfiguration') AND error_code IS NULL "
        "AND request_parameters->>'$.role' IS NOT NULL",
    )
    roles = {role.arn: role for role in case.roles}
    for row, novelty in rows:
        role_arn = str(row.request.get("role"))
        role = roles.get(role_arn)
        risk = role_risk(role.documents) if role else None
        if role is None or risk is None:
            continue
        severity = (
            Severity.LOW
            if novelty.established
            else max(Severity.MEDIUM, novelty.severity() or Severity.MEDIUM, key=lambda s: s.rank)
        )
        yield event_finding(
            INFO,
            row,
            severity=severity,
            extra_evidence=role.evidence,
            summary=(
                f"{row.actor.name} passed role {role_arn} ({risk}) to {row.function_label} "
                f"({row.operation}); whoever can change its code now holds that role; "
                f"{novelty.phrase()}."
            ),
            details={"role": role_arn, "risk": risk, "baseline": novelty.to_json()},
        )


DETECTOR = Detector(INFO, detect)
