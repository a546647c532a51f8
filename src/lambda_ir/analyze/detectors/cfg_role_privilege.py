"""LIR-CFG-009: a function's execution role is admin-equivalent or can escalate privileges."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.iam import role_risk
from lambda_ir.model import Finding, FunctionRef, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CFG-009",
    title="Execution role is admin-equivalent or can escalate",
    severity=Severity.LOW,
    attack=("T1078.004", "T1098"),
    evidence=(Kind.ROLE,),
    references=("https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/",),
    false_positives="Administrative automation functions that legitimately need broad rights.",
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Roles used by collected functions whose policies grant `*`, `iam:*` or escalation paths."""
    by_arn = {role.arn: role for role in case.roles}
    seen: set[tuple[str, str]] = set()
    for config in case.functions:
        role = by_arn.get(config.role)
        fn = FunctionRef(config.ref.account, config.ref.region, config.ref.name)
        if role is None or (fn.arn, role.arn) in seen:
            continue
        seen.add((fn.arn, role.arn))
        risk = role_risk(role.documents)
        if risk is None:
            continue
        yield make_finding(
            INFO,
            resource=fn.arn,
            account=fn.account,
            region=fn.region,
            key=f"{role.arn}|{risk}",
            evidence=(config.evidence, *role.evidence),
            summary=(
                f"{fn.name} runs as {role.arn}, which is {risk}; code running in the function "
                "(or anyone who can change it) holds those rights, so scope the role down."
            ),
            details={"role": role.arn, "risk": risk},
        )


DETECTOR = Detector(INFO, detect)
