"""LIR-CT-013: a principal changed a function in a shape it never releases in.

The usual shape of a release is part of the baseline: what one principal does to one function
in one session (writes none more than `SHAPE_GAP_MINUTES` apart, however a day's midnight
falls), as the ordered list of its distinct write operations (a CI release is
`UpdateFunctionCode > UpdateAlias`; a CloudFormation canary `UpdateFunctionCode >
PublishVersion > UpdateAlias`). A principal established in the account (seen on two or more
days before) whose session's shape on a function was never one of its shapes before the
session's day did something it does not usually do, even from its usual network, tool and
hours: a poisoned pipeline changing layers, or a stolen CI key granting access. LOW: a new
shape is also how a pipeline grows; it names the usual shapes so a person can tell.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.baseline import ESTABLISHED_DAYS, MIN_HISTORY_DAYS
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.trail_rows import iso
from lambda_ir.model import FOREIGN_CALLER, Actor, EvidenceRef, Finding, FunctionRef, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-013",
    title="Change in a shape its principal never releases in",
    severity=Severity.LOW,
    attack=("T1195.002", "T1546"),
    evidence=(Kind.TRAIL,),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html",),
    false_positives="A pipeline that starts doing a new step (a first layer upgrade).",
)

# A release is a session: one principal's writes to one function, none more than this after
# the one before. A release's calls come seconds to minutes apart, and CodeDeploy's longest
# predefined Lambda canary shifts its alias 30 minutes after the first step; a calendar day
# would cut a release begun at 23:59 in two and merge a morning release with an evening fix.
SHAPE_GAP_MINUTES = 60

# One row per principal, function and session (its day: the day it began): the session's
# distinct writes in the order first made.
_SQL = """
WITH events AS MATERIALIZED (  -- each write, with the time its session began
    SELECT event_id, principal, account, aws_region, function_name, operation, event_time,
           max(CASE WHEN since IS NULL OR event_time - since > INTERVAL {GAP} MINUTE
                    THEN event_time END)
             OVER (PARTITION BY principal, account, aws_region, function_name
                   ORDER BY event_time, event_id ROWS UNBOUNDED PRECEDING) AS start
    FROM (
        SELECT t.event_id, n.principal, t.account, t.aws_region, t.function_name, t.operation,
               t.event_time,
               lag(t.event_time) OVER (PARTITION BY n.principal, t.account, t.aws_region,
                 t.function_name ORDER BY t.event_time, t.event_id) AS since
        FROM trail_events AS t JOIN {novelty} AS n USING (event_id)
        WHERE t.event_source = 'lambda.amazonaws.com' AND t.error_code IS NULL
          AND NOT coalesce(t.read_only, false) AND t.operation NOT LIKE 'Get%'
          AND t.operation NOT LIKE 'List%' AND coalesce(t.function_name, '') <> ''
          AND NOT n.service AND coalesce(t.user_agent, '') NOT ILIKE '%lambda-ir%'
          AND t.event_time IS NOT NULL
    )
), writes AS (
    SELECT principal, account, aws_region, function_name, start, CAST(start AS DATE) AS day,
           operation, min(event_time) AS first
    FROM events GROUP BY ALL
), days AS MATERIALIZED (  -- one row per session (named by its day for the baseline's days)
    SELECT principal, account, aws_region, function_name, start, day,
           -- the operations in the order first made (a sorted list: cheaper than an
           -- ordered aggregate; a tie in time goes by name)
           array_to_string(list_transform(list_sort(list({{'f': first, 'o': operation}})),
             lambda x: x.o), ' > ') AS shape, min(first) AS first
    FROM writes GROUP BY ALL
), history AS (  -- the account's distinct days before each day (then the principal's)
    SELECT account, day, row_number() OVER (PARTITION BY account ORDER BY day) - 1 AS before
    FROM (SELECT DISTINCT account, day FROM days)
), prior AS (
    SELECT account, principal, day,
           row_number() OVER (PARTITION BY account, principal ORDER BY day) - 1 AS before
    FROM (SELECT DISTINCT account, principal, day FROM days)
), shapes AS MATERIALIZED (  -- the day each of a principal's shapes was first seen
    SELECT account, principal, shape, min(day) AS since FROM days GROUP BY ALL
), fired AS MATERIALIZED (  -- only these sessions reach the costlier joins below
    SELECT d.* FROM days AS d
    JOIN history AS h USING (account, day)
    JOIN prior AS p USING (account, principal, day)
    JOIN shapes AS s USING (account, principal, shape)
    WHERE h.before >= {MIN_HISTORY_DAYS} -- a baseline to judge by
      AND p.before >= {ESTABLISHED_DAYS} -- a new principal is LIR-CT-012's to judge
      AND s.since = d.day -- the shape was never seen before this day
), usual AS (
    SELECT f.principal, f.account, f.day, list(DISTINCT u.shape ORDER BY u.shape) AS usual
    FROM (SELECT DISTINCT principal, account, day FROM fired) AS f
    JOIN shapes AS u ON u.account = f.account AND u.principal = f.principal AND u.since < f.day
    GROUP BY ALL
), calls AS (  -- the fired sessions' calls: their trail files and who made the first
    SELECT e.principal, e.account, e.aws_region, e.function_name, e.start,
           list(t.evidence_path || '|' || t.evidence_sha256 ORDER BY t.event_time) AS refs,
           arg_min(t.actor_arn, t.event_time) AS arn, arg_min(t.source_ip, t.event_time) AS ip,
           arg_min(t.user_agent, t.event_time) AS agent,
           arg_min(t.access_key_id, t.event_time) AS key,
           arg_min(t.actor_type, t.event_time) AS kind
    FROM events AS e
    SEMI JOIN fired AS f ON f.principal = e.principal AND f.account = e.account
      AND f.aws_region = e.aws_region AND f.function_name = e.function_name
      AND f.start = e.start
    JOIN trail_events AS t USING (event_id)
    GROUP BY ALL
)
SELECT d.principal, d.account, d.aws_region, d.function_name, d.shape, d.first, c.refs,
       u.usual, c.arn, c.ip, c.agent, c.key, c.kind
FROM fired AS d
JOIN calls AS c USING (principal, account, aws_region, function_name, start)
LEFT JOIN usual AS u USING (principal, account, day)
ORDER BY d.start, d.principal, d.function_name
"""


def detect(case: CaseView) -> Iterator[Finding]:
    """Sessions in which an established principal's shape on a function was new for it;
    judged in DuckDB, so only those sessions reach Python."""
    sql = _SQL.format(
        novelty=case.novelty,
        GAP=SHAPE_GAP_MINUTES,
        MIN_HISTORY_DAYS=MIN_HISTORY_DAYS,
        ESTABLISHED_DAYS=ESTABLISHED_DAYS,
    )
    for row in case.index.execute(sql).fetchall():
        principal, account, region, function, shape, first, refs, usual, *who = row
        yield _finding(
            principal, account, region, function, first, shape, set(usual or ()), refs, who
        )


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
        actor=Actor(
            arn,
            kind,
            key,
            issuer,
            ip,
            agent,
            # another account's caller: its principal names it (`account:<caller>`)
            caller=principal.removeprefix(FOREIGN_CALLER)
            if principal.startswith(FOREIGN_CALLER) and not arn
            else "",
        ),
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
