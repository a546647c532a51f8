"""LIR-TRG-002: a function is triggered by a resource or principal of another account."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.trigger_map import read_triggers
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-TRG-002",
    title="Function triggered from another account",
    severity=Severity.LOW,
    attack=("T1546", "T1199"),
    evidence=(Kind.TRIGGER, Kind.EVENT_SOURCE, Kind.POLICY),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html",),
    false_positives=(
        "Cross-account event buses, topics or queues of your own organization: list those "
        "accounts in the allow-list (`--allow-file`)."
    ),
    description=(
        "A trigger whose source (EventBridge rule, SNS topic, event-source queue or stream, "
        "resource-policy principal or its source ARN) lives in an account other than the "
        "function's and not in the allow-list."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """One finding per function and foreign source."""
    allowed = case.options.allowed_accounts
    for trigger in read_triggers(case):
        function, owner = trigger.function, trigger.source_account
        if not owner or owner == function.account or owner in allowed:
            continue
        yield make_finding(
            INFO,
            resource=function.arn,
            account=function.account,
            region=function.region,
            key=f"{trigger.kind}|{trigger.source}",
            evidence=(trigger.evidence,),
            summary=(
                f"{function.name} can be invoked by {trigger.kind} {trigger.source} "
                f"of account {owner}, not the function's account {function.account}."
            ),
            details={"kind": trigger.kind, "source": trigger.source, "source_account": owner},
        )


DETECTOR = Detector(INFO, detect)
