"""LIR-CT-004: function code written by a person or by another function's execution role."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.baseline import who_severity
from lambda_ir.analyze.baseline_sql import (
    JUDGED_SQL,
    VERDICT_KIND,
    VERDICT_SQL,
    verdict_of,
)
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.incidents import GAP_HOURS
from lambda_ir.analyze.trail_rows import group_finding, select_groups
from lambda_ir.analyze.unknowns import UNKNOWN_ADDRESS
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


# A Lambda's execution role session is named after the function; code changes from one are
# a function rewriting functions (privilege escalation or a worm), not a deploy.
_FUNCTION_ROLE = (
    "(list_contains(?, coalesce(session_issuer_arn, '')) "
    "OR contains(coalesce(user_agent, ''), 'AWS_Lambda'))"
)
_CALLS = (
    "operation IN ('UpdateFunctionCode', 'CreateFunction') AND event_source = ? "
    "AND error_code IS NULL"
)
# Whether the caller (by ARN) wrote code before, never from this address: stolen keys replayed.
# The call's new code and whether it published, from its request and response: taken here,
# where the calls are narrow, so the bodies are not carried through the joins (as the group
# key's expressions on `trail_events` they were: 10,000 calls of 12 KB ran out at 160 MB).
_NEW_ADDRESS = f"""JOIN (
  SELECT event_id, lir_code_sha, lir_publish,
    count(*) OVER earlier > 0 AND count(*) OVER earlier_here = 0 AS new_ip
  FROM (
    SELECT event_id, event_time, actor_arn, source_ip,
      response_elements->'$.codeSha256' AS lir_code_sha,
      request_parameters->'$.publish' AS lir_publish
    FROM trail_events WHERE {_CALLS})
  WINDOW earlier AS (PARTITION BY coalesce(actor_arn, '') ORDER BY event_time, event_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
    earlier_here AS (PARTITION BY coalesce(actor_arn, ''), coalesce(source_ip, '')
                     ORDER BY event_time, event_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
) AS addresses USING (event_id)"""  # noqa: S608
# Everything the severity and the summary depend on: one finding per value of these.
_KIND = (
    "principal, account, aws_region, function_name, qualifier, operation, function_role, "
    f"human AND NOT deploy_tool, new_ip, lir_code_sha, lir_publish, {VERDICT_KIND}"
)


# No baseline to tell a release from an intrusion (too little history): every principal's
# change is reported, whatever user agent it sent (an agent is the caller's to choose).
_UNJUDGED = f"(NOT service AND NOT ({JUDGED_SQL}))"


def detect(case: CaseView) -> Iterator[Finding]:
    """UpdateFunctionCode/CreateFunction by people outside deployment tools, or by function roles.

    HIGH when a function's execution role made it. A person's change is judged against the
    baseline (INFO on an established path, LOW to HIGH by what was new); without one, HIGH
    when a person who changed code before did it from an address never used for it before.
    Without a baseline, a change by any other principal (a pipeline's role, a deployment
    tool's agent) is INFO: kept for the record, as nothing yet tells a release from stolen
    keys sending a deployment tool's user agent; a case's first days of ordinary releases
    must not be a list of LOW findings (the demo's estate made 120).
    Selected and grouped in DuckDB: like calls (same principal, function, code and verdict)
    are one finding.
    """
    roles = sorted(case.execution_roles)
    groups = select_groups(
        case,
        f"{_CALLS} AND (function_role OR (human AND NOT deploy_tool) OR {_UNJUDGED})",
        ["lambda.amazonaws.com", roles, "lambda.amazonaws.com"],  # in the order of the SQL text
        by=_KIND,
        gap_hours=GAP_HOURS,
        join=f"JOIN {case.novelty} USING (event_id) {_NEW_ADDRESS} "
        f"CROSS JOIN LATERAL (SELECT {_FUNCTION_ROLE} AS function_role)",
        extra=f"{VERDICT_SQL}, function_role, new_ip, human AND NOT deploy_tool",
    )
    for group in groups:
        row, novelty = group.first, verdict_of(group.extra[0])
        function_role, new_ip, by_hand = group.extra[-3:]
        if function_role:
            severity, who = Severity.HIGH, "a Lambda execution role"
        elif not by_hand:  # no baseline yet, or it would not be here
            severity = Severity.INFO
            who = "a person, with a deployment tool's agent" if row.is_human else "a role session"
        else:
            severity, who = Severity.MEDIUM, "a person, not a deployment tool"
            if new_ip:  # this principal deployed before, never from this address (or none)
                address = row.actor.source_ip
                where = f"a new address {address}" if address else UNKNOWN_ADDRESS
                severity, who = Severity.HIGH, f"a person, from {where}"
            if novelty.judged:  # the account's own history decides, not one address
                severity = who_severity(severity, novelty)
        new_sha = str(row.response.get("codeSha256", ""))
        verb = "created" if row.operation == "CreateFunction" else "replaced the code of"
        published = " and published a version" if row.request.get("publish") else ""
        yield group_finding(
            INFO,
            group,
            severity=severity,
            summary=(
                f"{row.actor.name} ({who}) {verb} {row.function_label}{published}"
                + (f", new CodeSha256 {new_sha}" if new_sha else "")
                + f"; {novelty.phrase()}; compare the package with the previous version "
                "(the report's version table gives the complete diff command)."
            ),
            details={"code_sha256": new_sha, "baseline": novelty.to_json()},
        )


DETECTOR = Detector(INFO, detect)
