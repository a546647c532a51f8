"""LIR-CT-010: a function's execution-role credentials used from outside Lambda."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.trail_rows import select_events
from lambda_ir.analyze.unknowns import UNNAMED_CALL
from lambda_ir.model import Finding, FunctionRef, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-010",
    title="Execution-role credentials used outside Lambda",
    severity=Severity.HIGH,
    attack=("T1552.005", "T1078.004"),
    evidence=(Kind.TRAIL,),
    references=(
        "https://www.secureworks.com/blog/detecting-the-use-of-stolen-aws-lambda-credentials",
    ),
    false_positives=(
        "Roles shared between a function and other compute (EC2, CI) that use the same session "
        "name; local testing with the function's role."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Calls by `assumed-role/<exec role>/<function>` whose user agent is not Lambda's runtime.

    Inside Lambda, SDK calls carry `exec-env/AWS_Lambda_<runtime>` in the user agent; stolen
    credentials replayed from a laptop or server do not.
    """
    roles = case.execution_roles
    if not roles:
        return
    rows = select_events(
        case,
        "actor_type = 'AssumedRole' AND list_contains(?, session_issuer_arn) "
        "AND user_agent NOT ILIKE '%AWS_Lambda%' AND source_ip NOT ILIKE '%.amazonaws.com'",
        [sorted(roles)],
    )
    seen: set[tuple[str, str, str]] = set()
    for row in rows:
        functions = roles.get(row.actor.session_issuer, frozenset())
        session = row.actor.arn.rsplit("/", 1)[-1]
        if session not in functions:
            continue  # same role, another session name: not this function's sandbox
        group = (row.actor.arn, row.actor.source_ip, row.actor.user_agent)
        if group in seen:
            continue  # one finding per session, IP and client
        seen.add(group)
        resource = FunctionRef(row.account, row.region, session).arn
        yield make_finding(
            INFO,
            resource=resource,
            account=row.account,
            region=row.region,
            key="|".join(group),
            time=row.time,
            actor=row.actor,
            evidence=(row.evidence,),
            summary=(
                f"The credentials of {session}'s execution role were used for "
                f"{row.event_name or UNNAMED_CALL} from {row.actor.source_ip} with user agent "
                f"{row.actor.user_agent!r}, not from Lambda; treat them as stolen and revoke "
                "the role's sessions."
            ),
            details={"event_id": row.event_id, "role": row.actor.session_issuer},
        )


DETECTOR = Detector(INFO, detect)
