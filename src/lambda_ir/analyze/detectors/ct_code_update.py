"""LIR-CT-004: function code written by a person or by another function's execution role."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.baseline import who_severity
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.trail_rows import TrailRow, event_finding, select_events
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-004",
    title="Function code changed by a person or an unusual principal",
    severity=Severity.MEDIUM,
    attack=("T1525", "T1546"),
    evidence=(Kind.TRAIL,),
    references=(
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-overwrite-code/",
        "https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_overwrite_lambda_code.yml",
    ),
    false_positives=(
        "Hot fixes made by hand; developers deploying from laptops. Changes made through "
        "Terraform, CDK, SAM, Serverless or Pulumi (by user agent) are treated as releases."
    ),
)


def _is_function_role(row: TrailRow, roles: dict[str, frozenset[str]]) -> bool:
    # A Lambda's execution role session is named after the function; code changes from one
    # are a function rewriting functions (privilege escalation or a worm), not a deploy.
    return row.actor.session_issuer in roles or "AWS_Lambda" in row.actor.user_agent


def detect(case: CaseView) -> Iterator[Finding]:
    """UpdateFunctionCode/CreateFunction by people outside deployment tools, or by function roles.

    HIGH when a function's execution role made it. A person's change is judged against the
    baseline (INFO on an established path, LOW to HIGH by what was new); without one, HIGH
    when a person who changed code before did it from an address never used for it before.
    """
    rows = select_events(
        case,
        "operation IN ('UpdateFunctionCode', 'CreateFunction') AND event_source = ? "
        "AND error_code IS NULL",
        ["lambda.amazonaws.com"],
    )
    roles = case.execution_roles
    seen_ips: dict[str, set[str]] = {}
    for row in rows:
        known = seen_ips.setdefault(row.actor.arn, set())
        new_ip = bool(known) and row.actor.source_ip not in known
        known.add(row.actor.source_ip)
        novelty = case.verdict(row)
        if _is_function_role(row, roles):
            severity, who = Severity.HIGH, "a Lambda execution role"
        elif row.is_human and not row.by_deploy_tool:
            severity, who = Severity.MEDIUM, "a person, not a deployment tool"
            if new_ip:  # this principal deployed before, never from this address
                severity, who = Severity.HIGH, f"a person, from a new address {row.actor.source_ip}"
            if novelty.judged:  # the account's own history decides, not one address
                severity = who_severity(severity, novelty)
        else:
            continue
        new_sha = str(row.response.get("codeSha256", ""))
        verb = "created" if row.operation == "CreateFunction" else "replaced the code of"
        published = " and published a version" if row.request.get("publish") else ""
        yield event_finding(
            INFO,
            row,
            severity=severity,
            summary=(
                f"{row.actor.arn} ({who}) {verb} {row.function_name}{published}"
                + (f", new CodeSha256 {new_sha}" if new_sha else "")
                + f"; {novelty.phrase()}; compare the package with the previous version "
                "(`lambda-ir diff`)."
            ),
            details={"code_sha256": new_sha, "baseline": novelty.to_json()},
        )


DETECTOR = Detector(INFO, detect)
