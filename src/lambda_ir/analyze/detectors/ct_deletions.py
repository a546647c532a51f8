"""LIR-CT-008: functions, versions, aliases or their log groups deleted (covering tracks)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.trail_rows import event_finding, select_events
from lambda_ir.analyze.unknowns import UNKNOWN_TIME, said
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-008",
    title="Function or its logs deleted",
    severity=Severity.MEDIUM,
    attack=("T1485", "T1070"),
    evidence=(Kind.TRAIL,),
    references=(
        "https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_lambda_crud.yml",
    ),
    false_positives=(
        "Stack teardowns by IaC pipelines and cleanups along established paths (LOW: the "
        "evidence is gone either way); MEDIUM to HIGH when who deleted was new."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """DeleteFunction/DeleteAlias and DeleteLogGroup of a /aws/lambda/ group."""
    rows = select_events(
        case,
        "error_code IS NULL AND ((event_source = ? AND operation IN "
        "('DeleteFunction', 'DeleteAlias', 'DeleteLayerVersion', 'DeleteFunctionUrlConfig')) "
        "OR (operation = 'DeleteLogGroup' "
        "AND starts_with(request_parameters->>'$.logGroupName', ?)))",
        ["lambda.amazonaws.com", "/aws/lambda/"],
    )
    for row in rows:
        if row.operation == "DeleteLogGroup":
            group = str(row.request.get("logGroupName", ""))
            name = group.removeprefix("/aws/lambda/")
            resource = f"arn:aws:logs:{row.region}:{row.account}:log-group:{group}"
            what = f"log group {group}"
        else:
            name = row.function_name or said(row.request, "layerName", "")
            resource = row.function_arn
            kind = row.operation.removeprefix("Delete")
            what = (
                f"{kind} {name}" + (f":{row.qualifier}" if row.qualifier else "")
                if name
                else f"a {re.sub(r'(?<!^)(?=[A-Z])', ' ', kind).lower()} the record does not name"
            )
            name = name or "it"
        novelty = case.verdict(row)
        severity = Severity.MEDIUM if row.is_human else Severity.LOW
        if novelty.established:  # a teardown along the usual path: still a gap, not a lead
            severity = Severity.LOW
        elif novelty.judged and novelty.strong:
            severity = max(severity, Severity.MEDIUM, novelty.severity() or severity, key=_rank)
        yield event_finding(
            INFO,
            row,
            resource=resource,
            severity=severity,
            summary=(
                f"{row.actor.name} deleted {what}; evidence of {name} from before "
                f"{row.time or UNKNOWN_TIME} may be gone, so record it as a gap in the report; "
                f"{novelty.phrase()}."
            ),
            details={"operation": row.operation, "baseline": novelty.to_json()},
        )


def _rank(severity: Severity) -> int:
    return severity.rank


DETECTOR = Detector(INFO, detect)
