"""LIR-CT-013: a principal changed a function in a shape it never releases in.

The usual shape of a release is part of the baseline: what one principal does to one function
in a day, as the ordered list of its distinct write operations (a CI release is
`UpdateFunctionCode > UpdateAlias`; a CloudFormation canary `UpdateFunctionCode >
PublishVersion > UpdateAlias`). A principal established in the account (seen on two or more
days before) whose day's shape on a function was never one of its shapes before did something
it does not usually do, even from its usual network, tool and hours: a poisoned pipeline
changing layers, or a stolen CI key granting access. LOW: a new shape is also how a pipeline
grows; it names the usual shapes so a person can tell.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from lambda_ir.analyze.baseline import ESTABLISHED_DAYS, MIN_HISTORY_DAYS
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.trail_rows import iso
from lambda_ir.model import Actor, EvidenceRef, Finding, FunctionRef, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-013",
    title="Change in a shape its principal never releases in",
    severity=Severity.LOW,
    attack=("T1195.002", "T1546"),
    evidence=(Kind.TRAIL,),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html",),
    false_positives="A pipeline that starts doing a new step (a first layer upgrade).",
)

# One row per principal, function and day: the day's distinct writes in the order first made.
_SQL = """
WITH writes AS (
    SELECT n.principal, t.account, t.aws_region, t.function_name,
           CAST(t.event_time AS DATE) AS day, t.operation, min(t.event_time) AS first,
           list(t.evidence_path || '|' || t.evidence_sha256) AS refs,
           any_value(t.actor_arn) AS arn, any_value(t.source_ip) AS ip,
           any_value(t.user_agent) AS agent, any_value(t.access_key_id) AS key,
           any_value(t.actor_type) AS kind
    FROM trail_events AS t JOIN {novelty} AS n USING (event_id)
    WHERE t.event_source = 'lambda.amazonaws.com' AND t.error_code IS NULL
      AND NOT coalesce(t.read_only, false) AND t.operation NOT LIKE 'Get%'
      AND t.operation NOT LIKE 'List%' AND coalesce(t.function_name, '') <> ''
      AND NOT n.service AND coalesce(t.user_agent, '') NOT ILIKE '%lambda-ir%'
    GROUP BY ALL
)
SELECT principal, account, aws_region, function_name, day,
       string_agg(operation, ' > ' ORDER BY first) AS shape, min(first),
       flatten(list(refs)), any_value(arn), any_value(ip), any_value(agent), any_value(key),
       any_value(kind)
FROM writes GROUP BY ALL ORDER BY day, principal, function_name
"""


def detect(case: CaseView) -> Iterator[Finding]:
    """Days on which an established principal's shape on a function was new for it."""
    rows = case.index.execute(_SQL.format(novelty=case.novelty)).fetchall()
    account_days: dict[str, set[date]] = {}
    principal_days: dict[tuple[str, str], set[date]] = {}
    shapes: dict[tuple[str, str], dict[str, set[date]]] = {}
    for principal, account, _, _, day, shape, *_ in rows:
        account_days.setdefault(account, set()).add(day)
        principal_days.setdefault((account, principal), set()).add(day)
        shapes.setdefault((account, principal), {}).setdefault(shape, set()).add(day)
    for principal, account, region, function, day, shape, first, refs, *who in rows:
        before = [d for d in principal_days[(account, principal)] if d < day]
        if len([d for d in account_days[account] if d < day]) < MIN_HISTORY_DAYS:
            continue  # no baseline yet
        if len(before) < ESTABLISHED_DAYS:
            continue  # a new principal is LIR-CT-012's to judge
        usual = {
            s for s, days in shapes[(account, principal)].items() if any(d < day for d in days)
        }
        if shape in usual:
            continue
        yield _finding(principal, account, region, function, first, shape, usual, refs, who)


def _finding(
    principal: str,
    account: str,
    region: str,
    function: str,
    first: object,
    shape: str,
    usual: set[str],
    refs: list[str],
    who: list[str],
) -> Finding:
    arn, ip, agent, key, kind = (str(value or "") for value in who)
    issuer = principal if ":role/" in principal else ""
    listed = "; ".join(sorted(usual)[:4]) or "none"
    return make_finding(
        INFO,
        resource=FunctionRef(account, region, function).arn,
        account=account,
        region=region,
        key=f"{principal}|{iso(first)}|{shape}",
        time=iso(first),
        actor=Actor(arn, kind, key, issuer, ip, agent),
        evidence=[EvidenceRef(*ref.rsplit("|", 1)) for ref in dict.fromkeys(refs)],
        summary=(
            f"{principal} changed {function} as {shape}, a shape it never used before; its "
            f"usual shapes: {listed}."
        ),
        details={
            "principal": principal,
            "shape": shape,
            "usual_shapes": sorted(usual),
            "baseline": {
                "new": ["shape"],
                "reasons": [f"release shape {shape} new for {principal}"],
            },
        },
    )


DETECTOR = Detector(INFO, detect)
