"""LIR-CT-007: a burst of Lambda Get*/List* calls by one principal (enumeration, code theft)."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.baseline import who_severity
from lambda_ir.analyze.baseline_tools import principal_of
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.trail_rows import DEPLOY_TOOLS, iso
from lambda_ir.model import Actor, EvidenceRef, Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-007",
    title="Burst of Lambda reconnaissance calls",
    severity=Severity.MEDIUM,
    attack=("T1526", "T1580"),
    evidence=(Kind.TRAIL,),
    references=("https://github.com/RhinoSecurityLabs/pacu/tree/master/pacu/modules/lambda__enum",),
    false_positives=(
        "Inventory and CSPM tools, people browsing the console. Excluded by user agent: "
        "lambda-ir's own collection and deployment tools (Terraform refreshes read every "
        "function); INFO when principal, network, tool and hours are established."
    ),
)
MIN_OPERATIONS = 5  # distinct Get*/List* operations in one window
MIN_CALLS = 20
WINDOW_MINUTES = 10

# Constant SQL: per principal and 10-minute window, how many distinct read calls.
_SQL = """
SELECT actor_arn, any_value(actor_type), any_value(source_ip), any_value(user_agent),
       any_value(access_key_id), any_value(account), any_value(aws_region),
       any_value(session_issuer_arn),
       min(event_time), max(event_time), count(*), count(DISTINCT operation),
       list(DISTINCT operation ORDER BY operation),
       list(DISTINCT evidence_path || '|' || evidence_sha256)
FROM trail_events
WHERE event_source = 'lambda.amazonaws.com' AND (operation LIKE 'Get%' OR operation LIKE 'List%')
  AND actor_type <> 'AWSService' AND user_agent NOT ILIKE '%lambda-ir%'
  AND NOT regexp_matches(user_agent, ?, 'i')
GROUP BY actor_arn, time_bucket(INTERVAL (?) MINUTE, event_time)
HAVING count(DISTINCT operation) >= ? OR count(*) >= ?
ORDER BY min(event_time)
"""


def detect(case: CaseView) -> Iterator[Finding]:
    """Principals that called many Lambda read APIs within a short window."""
    rows = case.index.execute(
        _SQL, [DEPLOY_TOOLS, WINDOW_MINUTES, MIN_OPERATIONS, MIN_CALLS]
    ).fetchall()
    for arn, kind, ip, agent, key, account, region, issuer, *counts in rows:
        first, last, calls, ops, names, refs = counts
        actor = Actor(
            arn=str(arn),
            type=str(kind),
            access_key_id=str(key),
            session_issuer=str(issuer or ""),
            source_ip=str(ip),
            user_agent=str(agent),
        )
        principal = principal_of(
            actor.type, actor.arn, actor.session_issuer, "", actor.access_key_id
        )
        novelty = case.baseline.judge(
            str(account), principal, "", actor.source_ip, actor.user_agent, first
        )
        evidence = [EvidenceRef(*ref.rsplit("|", 1)) for ref in sorted(refs)]
        yield make_finding(
            INFO,
            resource=f"arn:aws:lambda:{region}:{account}:*",
            account=str(account),
            region=str(region),
            key=f"{arn}|{iso(first)}",
            severity=who_severity(INFO.severity, novelty),
            time=iso(first),
            actor=actor,
            evidence=evidence,
            summary=(
                f"{arn} made {calls} Lambda read calls ({ops} kinds: {', '.join(names[:8])}) "
                f"between {iso(first)} and {iso(last)}; {novelty.phrase()}."
            ),
            details={"calls": calls, "operations": list(names), "baseline": novelty.to_json()},
        )


DETECTOR = Detector(INFO, detect)
