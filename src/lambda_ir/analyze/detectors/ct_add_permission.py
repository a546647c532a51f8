"""LIR-CT-001: AddPermission (function or layer) granting access to anyone or another account."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.baseline_sql import (
    ESTABLISHED_SQL,
    VERDICT_KIND,
    VERDICT_SQL,
    done_before,
    verdict_of,
)
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.incidents import GAP_HOURS
from lambda_ir.analyze.trail_rows import TrailRow, group_finding, select_groups
from lambda_ir.analyze.unknowns import said
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
        "Public webhooks by design; a grant whose record names no principal (MEDIUM: read the "
        "policy); partner accounts granted along an established path "
        "(LOW when its principal had granted that grantee on an earlier day, MEDIUM the first "
        "time); HIGH when the grant came from someone acting off the account's paths."
    ),
)


def _grantee_account(principal: str) -> str:
    if principal.isdigit():
        return principal
    parts = principal.split(":")
    return parts[4] if principal.startswith("arn:") and len(parts) > 4 else ""


def _resource(row: TrailRow) -> str:
    if row.operation == "AddLayerVersionPermission":
        layer = said(row.request, "layerName", "?")
        if not layer.startswith("arn:"):
            layer = f"arn:aws:lambda:{row.region}:{row.account}:layer:{layer}"
        return f"{layer}:{said(row.request, 'versionNumber', '?')}"
    return row.function_arn


def _statement(row: TrailRow) -> str:
    sid = said(row.request, "statementId", "")
    return f"statement {sid!r}" if sid else "a statement the record does not name"


def _name(row: TrailRow) -> str:
    return _resource(row) if row.operation == "AddLayerVersionPermission" else row.function_label


_GRANT = "coalesce(request_parameters->>'$.principal', '')"
# `_grantee_account` in SQL: a bare account id, or the account of an ARN.
_GRANTEE = (
    f"CASE WHEN regexp_full_match({_GRANT}, '[0-9]+') THEN {_GRANT} "
    f"WHEN starts_with({_GRANT}, 'arn:') THEN split_part({_GRANT}, ':', 5) ELSE '' END"
)
# A grant whose record names no principal at all (CloudTrail's request without it, as in
# Panther's labelled AddPermission cases): whom it opened the function to is unknown, so it is
# reported for the policy to be read; a service principal (`s3.amazonaws.com`) is not.
_UNNAMED = "coalesce(request_parameters->>'$.principal', '') = ''"  # missing, null or empty
_CALLS = (
    "operation IN ('AddPermission', 'AddLayerVersionPermission') AND event_source = ? "
    f"AND error_code IS NULL AND ({_GRANT} = '*' OR {_GRANTEE} NOT IN ('', coalesce(account, '')) "
    f"OR {_UNNAMED})"
)


# A grant scoped by a condition (`SourceArn`, `SourceAccount`, `PrincipalOrgID`): a scoped or
# a layer's public grant vouches for no unscoped grant of a function to anyone.
_SCOPED = (
    "coalesce(request_parameters->>'$.sourceArn', request_parameters->>'$.sourceAccount', "
    "request_parameters->>'$.organizationId', request_parameters->>'$.principalOrgID', '') <> ''"
)


# Alike grants: the same operation (a function's or a layer's), the same grantee (`*`, or the
# same account), scoped or not alike (`baseline_sql.done_before`).
_ALIKE = f"operation, CASE WHEN {_GRANT} = '*' THEN '*' ELSE {_GRANTEE} END, {_SCOPED}"


# One finding per caller, resource, grant (principal, action, conditions) and verdict.
_KIND = (
    "principal, account, aws_region, function_name, qualifier, operation, "
    "request_parameters->'$.layerName', request_parameters->'$.versionNumber', "
    f"{_GRANT}, request_parameters->'$.action', request_parameters->'$.sourceArn', "
    "request_parameters->'$.sourceAccount', request_parameters->'$.organizationId', "
    # whether its principal granted the grantee before, only where it counts (established)
    f"{VERDICT_KIND}, {ESTABLISHED_SQL} AND lir_done_before"
)


UNNAMED_STEP = "read the function's policy (`aws lambda get-policy`) for whom it names, and "


def detect(case: CaseView) -> Iterator[Finding]:
    """AddPermission / AddLayerVersionPermission whose principal is `*`, a foreign account, or
    not in the record (selected and grouped in DuckDB: like grants by one caller are one
    finding)."""
    groups = select_groups(
        case,
        _CALLS,
        ["lambda.amazonaws.com"] * 2,  # the join's, then the where's
        by=_KIND,
        gap_hours=GAP_HOURS,
        join=f"JOIN {case.novelty} USING (event_id) {done_before(case.novelty, _CALLS, _ALIKE)}",
        extra=f"{VERDICT_SQL}, lir_done_before",
    )
    for group in groups:
        row, novelty = group.first, verdict_of(group.extra[0])
        first = not group.extra[1]  # no grant to this grantee by this principal before
        principal = said(row.request, "principal", "")
        unnamed = not principal  # missing, null or empty
        if principal == "*":
            severity, who = Severity.HIGH, "anyone (`*`)"
        elif unnamed:
            severity, who = Severity.MEDIUM, "a grantee the record does not name"
        else:
            severity, who = Severity.MEDIUM, f"account {_grantee_account(principal)}"
        scope = row.request.get("sourceArn") or row.request.get("sourceAccount")
        if principal == "*" and (scope or row.request.get("organizationId")):
            severity = Severity.MEDIUM  # scoped by a source or organization condition
        if novelty.established and first:
            # along its usual path, but a grant its principal never made before: a poisoned
            # pipeline's act as much as a new integration's
            severity = Severity.MEDIUM
        elif novelty.established:
            severity = Severity.LOW  # an integration or public endpoint granted as usual
        elif novelty.judged and len(novelty.strong) >= 2:
            severity = Severity.HIGH  # granted by someone acting off the account's paths
        action = said(row.request, "action", "")
        called = action or "an action the record does not name"
        yield group_finding(
            INFO,
            group,
            resource=_resource(row),
            severity=severity,
            summary=(
                f"{row.actor.name} allowed {who} to call {called} on {_name(row)} "
                f"({_statement(row)}); "
                + (UNNAMED_STEP if unnamed else "")
                + f"remove the statement unless it is a known integration; {novelty.phrase()}"
                + (
                    f"; but the first grant to {who} by {novelty.principal}."
                    if novelty.established and first
                    else "."
                )
            ),
            details={
                "principal": principal,
                "action": action,
                "sid": str(row.request.get("statementId") or ""),
                "baseline": novelty.to_json(),
            },
        )


DETECTOR = Detector(INFO, detect)
