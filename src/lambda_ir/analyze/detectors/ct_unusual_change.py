"""LIR-CT-012: a change to a function off the account's established paths (baseline).

Every successful Lambda write is judged against the case's own history (`analyze.baseline`):
the principal (role, not session), its network (/24), its tool family (user agent) and its
hours. Changes along established paths are releases and give no finding here; a change whose
principal, network, tool or hours are new, or whose principal had been dormant, is reported
naming what was new. Like changes (one principal, function and kind of novelty, in one
session: none more than `incidents.GAP_HOURS` after the previous) are one finding with a
count, first and last time, every event and every distinct address and access key
(`trail_rows.group_finding`): a day-20 change is not merged into day 12's, and the finding
names all the keys and addresses of its calls, not only the first's.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.baseline import READ_PREFIXES
from lambda_ir.analyze.baseline_sql import (
    STRONG_SQL,
    VERDICT_KIND,
    VERDICT_SQL,
    verdict_of,
)
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.incidents import GAP_HOURS
from lambda_ir.analyze.trail_rows import group_finding, lambda_resource, select_groups
from lambda_ir.analyze.unknowns import UNKNOWN_ADDRESS, UNKNOWN_TIME
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-012",
    title="Function changed off the account's established paths",
    severity=Severity.MEDIUM,
    attack=("T1078.004", "T1546"),
    evidence=(Kind.TRAIL,),
    references=(
        "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html",
        "https://docs.datadoghq.com/security/cloud_siem/detection_rules/?tab=newvalue",
    ),
    false_positives=(
        "A new team member, an office or home network, a first deploy with a new tool: one "
        "new thing is LOW. A runner pool or build host that had kept to one network for days "
        "moving to another (a NAT or public address replaced) is MEDIUM until the new network "
        "is established, its first two days (pinned). Collect with --baseline 90d for a "
        "longer history."
    ),
    description=(
        "New-value detection per account and principal, as GuardDuty and Datadog Cloud SIEM "
        "do: LOW for one new kind (principal, network, a pinned principal's move, tool, hours, "
        "dormancy), MEDIUM for two, HIGH for three or more."
    ),
)
# Successful Lambda writes, not our own: reads and invocations (data events: calling a
# function changes nothing) are left out by their operation's prefix.
_NOT_READ = " AND ".join(f"operation NOT LIKE '{prefix}%'" for prefix in READ_PREFIXES)
_WRITES = (
    "event_source = 'lambda.amazonaws.com' AND error_code IS NULL AND NOT coalesce(read_only, "
    f"false) AND {_NOT_READ} AND coalesce(user_agent, '') NOT ILIKE '%lambda-ir%'"
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Lambda writes whose principal, network, tool or hours were new for the account, one
    finding per principal, function, kind of novelty and session (grouped in DuckDB)."""
    groups = select_groups(
        case,
        f"{_WRITES} AND {STRONG_SQL}",
        by=f"principal, account, aws_region, coalesce(function_name, ''), {VERDICT_KIND}",
        gap_hours=GAP_HOURS,
        join=f"JOIN {case.novelty} USING (event_id)",
        extra=VERDICT_SQL,
        bodies=False,  # the summary names who, what, where and when, never the request
    )
    for group in groups:
        first, novelty = group.first, verdict_of(group.extra[0])
        operations = list(group.operations)
        yield group_finding(
            INFO,
            group,
            resource=lambda_resource(first.account, first.region, first.function_name),
            severity=novelty.severity(),
            summary=(
                f"{first.actor.name} changed {first.function_name or 'Lambda'} "
                f"({', '.join(operations)}) from {first.actor.source_ip or UNKNOWN_ADDRESS} "
                f"at {first.time or UNKNOWN_TIME}; "
                f"{novelty.phrase()}."
            ),
            details={
                "principal": novelty.principal,
                "operations": operations,
                "baseline": novelty.to_json(),
            },
        )


DETECTOR = Detector(INFO, detect)
