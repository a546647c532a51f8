"""LIR-TRG-003: a schedule invoking a function was created by a principal that never deploys it."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.trail_rows import event_finding, select_events
from lambda_ir.analyze.trigger_map import read_triggers, wiring_event
from lambda_ir.model import Finding, Kind, Severity

DEPLOYS = ("CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion")

INFO = DetectorInfo(
    id="LIR-TRG-003",
    title="Schedule created by an unusual principal",
    severity=Severity.MEDIUM,
    attack=("T1053", "T1546"),
    evidence=(Kind.TRIGGER,),
    references=("https://docs.aws.amazon.com/scheduler/latest/UserGuide/what-is-scheduler.html",),
    false_positives=(
        "A platform team that owns schedules but not the code; a deployer whose Lambda calls "
        "fall outside the collected window."
    ),
    description=(
        "An EventBridge Scheduler schedule or scheduled rule targets the function, and the "
        "CloudTrail call that created it came from a principal that made none of the "
        "function's deployment calls in the trail (CreateFunction, UpdateFunctionCode, "
        "UpdateFunctionConfiguration, PublishVersion). Needs the trail to hold both."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """One finding per schedule whose creator never deployed the function it runs."""
    for trigger in read_triggers(case):
        if trigger.kind not in ("scheduler", "eventbridge-schedule"):
            continue
        wired = wiring_event(case, trigger)
        if wired is None:
            continue
        function = trigger.function
        deployers = {
            row.actor.session_issuer or row.actor.key
            for row in select_events(
                case,
                "function_name = ? AND aws_region = ? AND operation IN (?, ?, ?, ?) "
                "AND error_code IS NULL",
                [function.name, function.region, *DEPLOYS],
            )
        }
        creator = wired.actor.session_issuer or wired.actor.key
        if not deployers or creator in deployers:
            continue
        yield event_finding(
            INFO,
            wired,
            resource=function.arn,
            extra_evidence=(trigger.evidence,),
            summary=(
                f"{trigger.source} ({trigger.detail}) runs {function.name}; it was created by "
                f"{wired.actor.name}, which made none of the function's deployments "
                f"(deployed by {', '.join(sorted(deployers))})."
            ),
            details={"schedule": trigger.source, "deployers": sorted(deployers)},
        )


DETECTOR = Detector(INFO, detect)
