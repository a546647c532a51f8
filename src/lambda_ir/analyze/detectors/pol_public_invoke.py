"""LIR-POL-001: a resource policy (any qualifier) lets anyone or a foreign account invoke."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.attribution import last_call
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.values import PolicyStatement
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-POL-001",
    title="Function invocable by anyone or another account",
    severity=Severity.LOW,
    attack=("T1546", "T1190"),
    evidence=(Kind.POLICY,),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html",
        "https://github.com/panther-labs/panther-analysis/blob/main/policies/aws_lambda_policies/aws_lambda_public_access.yml",
    ),
    false_positives="Public webhooks and function URLs by design; partner-account integrations.",
)
# Condition keys that pin a `*` principal to a specific caller: then it is not public.
_SCOPING = (
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:principalorgid",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourcevpc",
    "aws:sourcevpce",
)


def _account(principal: str) -> str:
    if principal.isdigit():
        return principal
    parts = principal.split(":")
    return parts[4] if principal.startswith("arn:") and len(parts) > 4 else ""


def classify(stmt: PolicyStatement, trusted: frozenset[str]) -> tuple[Severity, str] | None:
    """Why a statement exposes the function, or None when it does not."""
    if stmt.effect != "Allow":
        return None
    scoped = any(key in stmt.condition.lower() for key in _SCOPING)
    if "*" in stmt.principals and not scoped:
        return Severity.LOW, "anyone (Principal `*`)"
    foreign = sorted(
        {a for p in stmt.principals if (a := _account(p)) and a != stmt.function.account} - trusted
    )
    if foreign:
        return Severity.LOW, "account " + ", ".join(foreign)
    return None


def detect(case: CaseView) -> Iterator[Finding]:
    """Allow statements with Principal `*` (no scoping condition) or a foreign account."""
    for stmt in case.policy_statements:
        verdict = classify(stmt, case.options.allowed_accounts)
        if verdict is None:
            continue
        severity, who = verdict
        cause = last_call(case, ("AddPermission",), stmt.function, "statementId", stmt.sid)
        yield make_finding(
            INFO,
            resource=stmt.function.arn,
            account=stmt.function.account,
            region=stmt.function.region,
            severity=severity,
            key=f"{stmt.sid}|{','.join(stmt.principals)}|{','.join(stmt.actions)}",
            evidence=(stmt.evidence, *((cause.evidence,) if cause else ())),
            time=cause.time if cause else None,
            actor=cause.actor if cause else None,
            summary=(
                f"Statement {stmt.sid!r} on {stmt.function.arn} lets {who} call "
                f"{', '.join(stmt.actions)}; remove it unless the exposure is intended."
            ),
            details={
                "sid": stmt.sid,
                "principals": list(stmt.principals),
                "actions": list(stmt.actions),
                "condition": stmt.condition,
            },
        )


DETECTOR = Detector(INFO, detect)
