"""LIR-CT-002: a function URL created or changed to need no authentication (AuthType NONE)."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.baseline import act_severity
from lambda_ir.analyze.baseline_sql import ESTABLISHED_SQL, VERDICT_SQL, done_before, verdict_of
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.trail_rows import PRINCIPAL, group_finding, select_groups
from lambda_ir.analyze.unknowns import member, members
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
        "path by a principal that had opened a URL to anyone on an earlier day (a public "
        "endpoint released as usual; the standing URL is LIR-CFG-001's exposure), MEDIUM along "
        "it the first time (a poisoned pipeline's act as much as a new webhook's)."
    ),
)


_OPENS = (
    "operation IN ('CreateFunctionUrlConfig', 'UpdateFunctionUrlConfig') "
    "AND error_code IS NULL AND upper(request_parameters->>'$.authType') = 'NONE'"
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Create/UpdateFunctionUrlConfig calls with `authType` NONE; like calls (one principal,
    function, operation and CORS setting) are one finding, grouped in DuckDB."""
    groups = select_groups(
        case,
        _OPENS,
        by=f"{PRINCIPAL}, account, aws_region, function_name, qualifier, operation, "
        # whether its principal opened one before, only where it counts: like calls before
        # a baseline, or off the paths, stay one finding
        f"request_parameters->'$.cors', {ESTABLISHED_SQL} AND coalesce(lir_done_before, false)",
        join=f"LEFT JOIN {case.novelty} USING (event_id) {done_before(case.novelty, _OPENS)}",
        extra=f"{VERDICT_SQL}, coalesce(lir_done_before, false)",
    )
    for group in groups:
        row, novelty = group.first, verdict_of(group.extra[0])
        severity = act_severity(novelty)
        first = novelty.established and not group.extra[1]
        if first:  # along its usual path, but an act its principal never did before
            severity = Severity.MEDIUM
        origins = members(member(row.request, "cors"), "allowOrigins")
        wildcard = "*" in origins
        yield group_finding(
            INFO,
            group,
            severity=severity,
            summary=(
                f"{row.actor.name} made {_url_of(row.function_name)} callable by anyone on the "
                f"internet ({row.operation}, AuthType NONE"
                + (", CORS allows any origin" if wildcard else "")
                + "); set AuthType AWS_IAM or delete the URL if it is not meant to be public; "
                f"{novelty.phrase()}"
                + (f"; but the first URL {novelty.principal} opened to anyone." if first else ".")
            ),
            details={"cors_wildcard": wildcard, "baseline": novelty.to_json()},
        )


def _url_of(function: str) -> str:
    return f"{function}'s URL" if function else "the URL of a function the record does not name"


DETECTOR = Detector(INFO, detect)
