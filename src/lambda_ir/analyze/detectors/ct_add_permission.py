"""LIR-CT-001: AddPermission (function or layer) granting access to anyone or another account."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.trail_rows import TrailRow, event_finding, select_events
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-001",
    title="Function permission granted to anyone or another account",
    severity=Severity.HIGH,
    attack=("T1546", "T1098"),
    evidence=(Kind.TRAIL,),
    references=(
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-backdoor-function/",
        "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html",
    ),
    false_positives=(
        "Public webhooks by design; partner accounts granted along an established path "
        "(LOW); HIGH when the grant came from someone acting off the account's paths."
    ),
)


def _grantee_account(principal: str) -> str:
    if principal.isdigit():
        return principal
    parts = principal.split(":")
    return parts[4] if principal.startswith("arn:") and len(parts) > 4 else ""


def _resource(row: TrailRow) -> str:
    if row.operation == "AddLayerVersionPermission":
        layer = str(row.request.get("layerName", "?"))
        if not layer.startswith("arn:"):
            layer = f"arn:aws:lambda:{row.region}:{row.account}:layer:{layer}"
        return f"{layer}:{row.request.get('versionNumber', '?')}"
    return row.function_arn


def _name(row: TrailRow) -> str:
    return _resource(row) if row.operation == "AddLayerVersionPermission" else row.function_name


def detect(case: CaseView) -> Iterator[Finding]:
    """AddPermission / AddLayerVersionPermission whose principal is `*` or a foreign account."""
    rows = select_events(
        case,
        "operation IN ('AddPermission', 'AddLayerVersionPermission') AND event_source = ? "
        "AND error_code IS NULL",
        ["lambda.amazonaws.com"],
    )
    for row in rows:
        principal = str(row.request.get("principal", ""))
        grantee = _grantee_account(principal)
        if principal == "*":
            severity, who = Severity.HIGH, "anyone (`*`)"
        elif grantee and grantee != row.account:
            severity, who = Severity.MEDIUM, f"account {grantee}"
        else:
            continue
        scope = row.request.get("sourceArn") or row.request.get("sourceAccount")
        if principal == "*" and (scope or row.request.get("organizationId")):
            severity = Severity.MEDIUM  # scoped by a source or organization condition
        novelty = case.verdict(row)
        if principal != "*" and novelty.established:
            severity = Severity.LOW  # a partner integration granted along the usual path
        elif novelty.judged and len(novelty.strong) >= 2:
            severity = Severity.HIGH  # granted by someone acting off the account's paths
        action = row.request.get("action", "lambda:InvokeFunction")
        yield event_finding(
            INFO,
            row,
            resource=_resource(row),
            severity=severity,
            summary=(
                f"{row.actor.arn} allowed {who} to call {action} on {_name(row)} "
                f"(statement {row.request.get('statementId', '?')!r}); remove the statement "
                f"unless it is a known integration; {novelty.phrase()}."
            ),
            details={"principal": principal, "action": action, "baseline": novelty.to_json()},
        )


DETECTOR = Detector(INFO, detect)
