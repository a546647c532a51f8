"""LIR-TRG-001: a function runs on IAM or CloudTrail events (Pacu's backdoor_new_roles)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.trigger_map import CLOUDTRAIL_DETAIL, read_triggers, wiring_event
from lambda_ir.analyze.unknowns import UNKNOWN_TIME
from lambda_ir.model import Finding, Kind, Severity

# Event sources whose events let a function react to identity changes as they happen.
IDENTITY_SOURCES = frozenset({"aws.iam", "aws.sts", "aws.organizations", "aws.sso"})

INFO = DetectorInfo(
    id="LIR-TRG-001",
    title="Function runs on IAM or CloudTrail events",
    severity=Severity.MEDIUM,
    attack=("T1546", "T1098.003"),
    evidence=(Kind.TRIGGER,),
    references=(
        "https://github.com/RhinoSecurityLabs/pacu/tree/master/pacu/modules/lambda__backdoor_new_roles",
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html",
    ),
    false_positives=(
        "Security automation (auto-remediation, guardrails) that reacts to IAM changes by "
        "design: confirm the rule's owner and the function's code."
    ),
    description=(
        "An EventBridge rule whose event pattern selects IAM/STS/Organizations events or "
        "CloudTrail API calls targets the function: it runs whenever anyone, for example, "
        "creates a role. Attributed to the PutTargets/PutRule call when the trail holds it. "
        "Security automation does the same by design: MEDIUM for identity events, LOW for "
        "other API calls; HIGH when whoever wired it was new on two or more counts against "
        "the account's baseline."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """One finding per rule and function whose pattern selects identity or API-call events."""
    for trigger in read_triggers(case):
        if trigger.kind != "eventbridge-rule" or trigger.pattern is None:
            continue
        sources, names, cloudtrail = _selects(trigger.pattern)
        identity = sorted(sources & IDENTITY_SOURCES)
        if not identity and not cloudtrail:
            continue
        wired = wiring_event(case, trigger)
        function = trigger.function
        what = ", ".join(identity) or "CloudTrail API calls"
        calls = f" ({', '.join(names)})" if names else ""
        who = f"; wired by {wired.actor.name} at {wired.time or UNKNOWN_TIME}" if wired else ""
        severity = Severity.MEDIUM if identity else Severity.LOW
        novelty = case.baseline.judge_row(wired) if wired else None
        if novelty is not None and novelty.judged and len(novelty.strong) >= 2:
            severity = Severity.HIGH  # wired by someone acting off the account's paths
            who += f" ({novelty.phrase()})"
        yield make_finding(
            INFO,
            resource=function.arn,
            account=function.account,
            region=function.region,
            severity=severity,
            key=trigger.source,
            time=wired.time if wired else None,
            actor=wired.actor if wired else None,
            evidence=(trigger.evidence, *((wired.evidence,) if wired else ())),
            summary=(
                f"{function.name} runs on every {what} event{calls} through rule "
                f"{trigger.source}{who}: code that reacts to identity changes can backdoor "
                "each new role or user as it is created."
            ),
            details={"rule": trigger.source, "pattern": dict(trigger.pattern)},
        )


def _selects(pattern: Mapping[str, Any]) -> tuple[set[str], list[str], bool]:
    """(sources, event names, selects CloudTrail API calls) of an event pattern."""
    sources = {str(s) for s in _listed(pattern.get("source"))}
    detail = pattern.get("detail") if isinstance(pattern.get("detail"), Mapping) else {}
    assert isinstance(detail, Mapping)
    names = [str(n) for n in _listed(detail.get("eventName"))]
    event_sources = {str(s) for s in _listed(detail.get("eventSource"))}
    sources |= {f"aws.{s.split('.', 1)[0]}" for s in event_sources}
    cloudtrail = CLOUDTRAIL_DETAIL in {str(d) for d in _listed(pattern.get("detail-type"))}
    return sources, names, cloudtrail


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


DETECTOR = Detector(INFO, detect)
