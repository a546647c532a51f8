"""LIR-CT-002: a function URL created or changed to need no authentication (AuthType NONE)."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.baseline import act_severity
from lambda_ir.analyze.baseline_sql import VERDICT_SQL, verdict_of
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.trail_rows import PRINCIPAL, group_finding, select_groups
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-002",
    title="Function URL opened without authentication",
    severity=Severity.HIGH,
    attack=("T1190", "T1546"),
    evidence=(Kind.TRAIL,),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html",
        "https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_lambda_function_url.yml",
    ),
    false_positives="Public endpoints by design (webhooks, public APIs) deployed by IaC.",
    description=(
        "Opening a URL is an act, judged by who did it: HIGH from the event alone or when two "
        "or more things about the caller were new, MEDIUM for one, LOW along an established "
        "path (a public endpoint released as usual; the standing URL is LIR-CFG-001's exposure)."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Create/UpdateFunctionUrlConfig calls with `authType` NONE; like calls (one principal,
    function, operation and CORS setting) are one finding, grouped in DuckDB."""
    groups = select_groups(
        case,
        "operation IN ('CreateFunctionUrlConfig', 'UpdateFunctionUrlConfig') "
        "AND error_code IS NULL AND upper(request_parameters->>'$.authType') = 'NONE'",
        by=f"{PRINCIPAL}, account, aws_region, function_name, qualifier, operation, "
        "request_parameters->'$.cors'",
        join=f"LEFT JOIN {case.novelty} USING (event_id)",
        extra=VERDICT_SQL,
    )
    for group in groups:
        row, novelty = group.first, verdict_of(group.extra[0])
        severity = act_severity(novelty)
        cors = row.request.get("cors") or {}
        origins = cors.get("allowOrigins") or [] if isinstance(cors, dict) else []
        wildcard = "*" in origins
        yield group_finding(
            INFO,
            group,
            severity=severity,
            summary=(
                f"{row.actor.name} made {row.function_name}'s URL callable by anyone on the "
                f"internet ({row.operation}, AuthType NONE"
                + (", CORS allows any origin" if wildcard else "")
                + "); set AuthType AWS_IAM or delete the URL if it is not meant to be public; "
                f"{novelty.phrase()}."
            ),
            details={"cors_wildcard": wildcard, "baseline": novelty.to_json()},
        )


DETECTOR = Detector(INFO, detect)
