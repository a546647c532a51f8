"""LIR-CT-007: a burst of Lambda Get*/List* calls by one principal (enumeration, code theft)."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.baseline import who_severity
from lambda_ir.analyze.baseline_tools import SERVICE_SQL, principal_of, via_service
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.trail_rows import DEPLOY_TOOLS, iso
from lambda_ir.evidence.index_schema import FOREIGN_CALLER_SQL
from lambda_ir.model import Actor, EvidenceRef, Finding, Kind, Severity, foreign_caller

INFO = DetectorInfo(
    id="LIR-CT-007",
    title="Burst of Lambda reconnaissance calls",
    severity=Severity.MEDIUM,
    attack=("T1526", "T1580"),
    evidence=(Kind.TRAIL,),
    references=("https://github.com/RhinoSecurityLabs/pacu/tree/master/pacu/modules/lambda__enum",),
    false_positives=(
        "Inventory and CSPM tools, people browsing the console. lambda-ir's own collection "
        "is excluded by user agent; a deployment tool's burst (Terraform refreshes read every "
        "function) is quiet when the baseline knows its principal, LOW without a baseline; "
        "INFO when principal, network, tool and hours are established."
    ),
)
MIN_OPERATIONS = 5  # distinct Get*/List* operations in one window
MIN_CALLS = 20
WINDOW_MINUTES = 10

# Constant SQL. Every read starts a window of the next WINDOW_MINUTES (a sliding window: a
# burst across a clock's ten-minute mark is whole in the window of its first read); a read
# inside a window that reaches a threshold is in a burst, and one principal's consecutive
# reads in bursts, none more than the window apart, are one burst (overlapping windows). The
# agent is never a filter (the caller chooses it; a missing one is NULL): whether every call
# claimed a deploy tool is returned for Python.
_SQL = f"""
WITH reads AS MATERIALIZED (
    SELECT event_id, event_time, operation,
      -- the session; another account's caller (AWSAccount) by its account and principal id
      coalesce(nullif(actor_arn, ''), {FOREIGN_CALLER_SQL}, '') AS who
    FROM trail_events
    WHERE event_source = 'lambda.amazonaws.com'
      AND (operation LIKE 'Get%' OR operation LIKE 'List%')
      AND NOT {SERVICE_SQL}
      AND coalesce(user_agent, '') NOT ILIKE '%lambda-ir%' AND event_time IS NOT NULL
), starts AS (
    SELECT *, count(*) OVER ahead >= $calls OR count(DISTINCT operation) OVER ahead >= $kinds
      AS fires
    FROM reads
    WINDOW ahead AS (PARTITION BY who ORDER BY event_time
                     RANGE BETWEEN CURRENT ROW AND INTERVAL ($minutes) MINUTE FOLLOWING)
), covered AS (
    SELECT *, bool_or(fires) OVER (PARTITION BY who ORDER BY event_time
               RANGE BETWEEN INTERVAL ($minutes) MINUTE PRECEDING AND CURRENT ROW) AS inside
    FROM starts
), bursts AS (
    SELECT event_id, who, inside,
           sum(CASE WHEN inside AND NOT coalesce(previous AND event_time - since
                 <= INTERVAL ($minutes) MINUTE, false) THEN 1 ELSE 0 END)
             OVER (PARTITION BY who ORDER BY event_time, event_id) AS burst
    FROM (SELECT *, lag(inside) OVER previous AS previous, lag(event_time) OVER previous AS since
          FROM covered WINDOW previous AS (PARTITION BY who ORDER BY event_time, event_id))
)
SELECT any_value(t.actor_arn), arg_min(t.actor_type, t.event_time),
       arg_min(t.source_ip, t.event_time), arg_min(t.user_agent, t.event_time),
       arg_min(t.access_key_id, t.event_time), arg_min(t.account, t.event_time),
       arg_min(t.aws_region, t.event_time), arg_min(t.session_issuer_arn, t.event_time),
       min(t.event_time), max(t.event_time), count(*), count(DISTINCT t.operation),
       list(DISTINCT t.operation ORDER BY t.operation),
       list(DISTINCT t.evidence_path || '|' || t.evidence_sha256),
       bool_and(regexp_matches(coalesce(t.user_agent, ''), $tools, 'i')),
       arg_min(t.actor_name, t.event_time)
FROM bursts AS b JOIN trail_events AS t USING (event_id)
WHERE b.inside
GROUP BY b.who, b.burst
ORDER BY min(t.event_time), b.who
"""  # noqa: S608 - constant SQL


def detect(case: CaseView) -> Iterator[Finding]:
    """Principals that called many Lambda read APIs within a short window. A burst whose
    every call claimed a deployment tool (a Terraform refresh) is quiet only when the
    baseline knows its principal; a never-seen one is reported whatever its agent says."""
    params = {
        "calls": MIN_CALLS,
        "kinds": MIN_OPERATIONS,
        "minutes": WINDOW_MINUTES,
        "tools": DEPLOY_TOOLS,
    }
    for arn, kind, ip, agent, key, account, region, issuer, *counts in case.index.execute(
        _SQL, params
    ).fetchall():
        first, last, calls, ops, names, refs, deploy_tool, name = counts
        account, region = str(account or ""), str(region or "")  # a record may name neither
        actor = Actor(
            arn=str(arn or ""),
            type=str(kind or ""),
            access_key_id=str(key or ""),
            session_issuer=str(issuer or ""),
            source_ip=str(ip or ""),
            user_agent=str(agent or ""),
            caller=foreign_caller(str(kind or ""), str(arn or ""), str(name or "")),
        )
        principal = principal_of(
            actor.type, actor.arn, actor.session_issuer, actor.caller, actor.access_key_id
        )
        novelty = case.baseline.judge(
            account,
            principal,
            "",
            actor.source_ip,
            actor.user_agent,
            first,
            via=via_service(actor.type, actor.source_ip),
        )
        known = novelty.judged and "principal" not in novelty.new
        if deploy_tool and known:
            continue  # a known principal's deploy tool refreshing its state
        # Without a baseline a deploy tool's burst is LOW: its agent is only its word.
        default = Severity.LOW if deploy_tool else INFO.severity
        evidence = [EvidenceRef(*ref.rsplit("|", 1)) for ref in sorted(refs)]
        yield make_finding(
            INFO,
            resource=f"arn:aws:lambda:{region}:{account}:*",
            account=account,
            region=region,
            key=f"{actor.name}|{iso(first)}",
            severity=who_severity(default, novelty),
            time=iso(first),
            actor=actor,
            evidence=evidence,
            summary=(
                f"{actor.name} made {calls} Lambda read calls "
                f"({ops} kinds: {', '.join(names[:8])}) between {iso(first)} and "
                f"{iso(last)}; {novelty.phrase()}."
            ),
            details={"calls": calls, "operations": list(names), "baseline": novelty.to_json()},
        )


DETECTOR = Detector(INFO, detect)
