"""Everything that can invoke each function, from the collected evidence (never from AWS).

Sources: EventBridge rules (`events:DescribeRule` + `ListTargetsByRule`, with the event
pattern or schedule), EventBridge Scheduler schedules (`scheduler:GetSchedule`), SNS
subscriptions (`sns:ListSubscriptions`, protocol `lambda`), S3 notifications
(`s3:GetBucketNotificationConfiguration`), event-source mappings, function URLs, and the
principals of the function's resource policy (API Gateway, function URL, Cognito, IoT, other
accounts, …).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from lambda_ir.analyze.trail_rows import TrailRow, select_events
from lambda_ir.analyze.values import ref_of
from lambda_ir.evidence import ManifestEntry
from lambda_ir.model import EvidenceRef, FunctionRef, Kind

if TYPE_CHECKING:
    from lambda_ir.analyze.caseview import CaseView

# CloudTrail-delivered events (`AWS API Call via CloudTrail`) and IAM's own source.
CLOUDTRAIL_DETAIL = "AWS API Call via CloudTrail"


@dataclass(frozen=True)
class Trigger:
    """One thing that can invoke a function (unqualified ref, or qualified when it targets one).

    `kind`: eventbridge-rule, eventbridge-schedule, scheduler, sns, s3, event-source-mapping,
    function-url, policy-principal. `source` names the rule, schedule, topic, bucket, queue,
    URL or principal; its account is `source_account` when the ARN says (None when not)."""

    function: FunctionRef
    kind: str
    source: str
    detail: str
    source_account: str | None
    created_by: str | None
    evidence: EvidenceRef
    pattern: Mapping[str, Any] | None = None

    @property
    def key3(self) -> tuple[str, str, str]:
        """(account, region, name) of the function, whatever the qualifier."""
        return (self.function.account, self.function.region, self.function.name)


def function_of(arn: str) -> FunctionRef | None:
    """A Lambda function ARN (qualified or not) as a reference; None for anything else."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
        return None
    return FunctionRef(parts[4], parts[3], parts[6], parts[7] if len(parts) > 7 else None)


def account_of(arn: str) -> str | None:
    """The account an ARN names (S3 bucket ARNs name none)."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4].isdigit() else None


def read_triggers(case: CaseView) -> tuple[Trigger, ...]:
    """Every trigger of every function in the case, in evidence order."""
    found: list[Trigger] = []
    rules = {
        _rule_key(e): (doc, e) for doc, e in case.documents(Kind.TRIGGER, "events:DescribeRule")
    }
    for document, entry in case.documents(Kind.TRIGGER, "events:ListTargetsByRule"):
        rule = rules.get(_rule_key(entry, "Rule"))
        if rule is not None:
            found.extend(_rule_triggers(rule[0], rule[1], document, entry))
    for document, entry in case.documents(Kind.TRIGGER, "scheduler:GetSchedule"):
        found.extend(_schedule(document, entry))
    for document, entry in case.documents(Kind.TRIGGER, "sns:ListSubscriptions"):
        found.extend(_subscriptions(document, entry))
    for document, entry in case.documents(Kind.TRIGGER, "s3:GetBucketNotificationConfiguration"):
        found.extend(_notifications(document, entry))
    for document, entry in case.documents(Kind.EVENT_SOURCE):
        found.extend(_mappings(document, entry))
    found.extend(
        Trigger(url.function, "function-url", url.url, f"AuthType {url.auth_type}", None, None,
                url.evidence)
        for url in case.urls
    )  # fmt: skip
    found.extend(_principals(case))
    return tuple(found)


def _rule_key(entry: ManifestEntry, field: str = "Name") -> tuple[str, str, str]:
    return (entry.account or "", entry.region or "", str(entry.params.get(field, "")))


def _rule_triggers(
    rule: Mapping[str, Any], rule_entry: ManifestEntry, targets: Any, entry: ManifestEntry
) -> Iterator[Trigger]:
    pattern = _json(rule.get("EventPattern"))
    schedule = str(rule.get("ScheduleExpression") or "")
    for target in (targets or {}).get("Targets") or []:
        function = function_of(str(target.get("Arn", "")))
        if function is None:
            continue
        arn = str(rule.get("Arn", ""))
        yield Trigger(
            function,
            "eventbridge-schedule" if schedule else "eventbridge-rule",
            arn or str(rule.get("Name", "")),
            schedule or str(rule.get("EventPattern") or ""),
            account_of(arn) if arn else rule_entry.account,
            str(rule.get("CreatedBy") or "") or None,
            ref_of(rule_entry),
            pattern,
        )


def _schedule(document: Any, entry: ManifestEntry) -> Iterator[Trigger]:
    function = function_of(str((document.get("Target") or {}).get("Arn", "")))
    if function is not None:
        arn = str(document.get("Arn") or document.get("Name") or "")
        yield Trigger(
            function,
            "scheduler",
            arn,
            str(document.get("ScheduleExpression") or ""),
            account_of(arn),
            None,
            ref_of(entry),
        )


def _subscriptions(document: Any, entry: ManifestEntry) -> Iterator[Trigger]:
    for subscription in (document or {}).get("Subscriptions") or []:
        function = function_of(str(subscription.get("Endpoint", "")))
        if subscription.get("Protocol") == "lambda" and function is not None:
            topic = str(subscription.get("TopicArn", ""))
            yield Trigger(function, "sns", topic, "", account_of(topic), None, ref_of(entry))


def _notifications(document: Any, entry: ManifestEntry) -> Iterator[Trigger]:
    bucket = str(entry.params.get("Bucket", ""))
    for config in (document or {}).get("LambdaFunctionConfigurations") or []:
        function = function_of(str(config.get("LambdaFunctionArn", "")))
        if function is not None:
            events = ", ".join(str(e) for e in config.get("Events") or [])
            yield Trigger(
                function, "s3", f"arn:aws:s3:::{bucket}", events, None, None, ref_of(entry)
            )


def _mappings(document: Any, entry: ManifestEntry) -> Iterator[Trigger]:
    for mapping in (document or {}).get("EventSourceMappings") or []:
        function = function_of(str(mapping.get("FunctionArn", "")))
        source = str(mapping.get("EventSourceArn") or "")
        if function is not None and source:
            state = str(mapping.get("State") or "")
            kind = "event-source-mapping"
            yield Trigger(function, kind, source, state, account_of(source), None, ref_of(entry))


def _principals(case: CaseView) -> Iterator[Trigger]:
    for statement in case.policy_statements:
        if statement.effect != "Allow":
            continue
        for principal in statement.principals:
            source = _source_arn(statement.condition) or principal
            yield Trigger(
                statement.function,
                "policy-principal",
                principal,
                source if source != principal else "",
                principal if principal.isdigit() else account_of(principal) or account_of(source),
                None,
                statement.evidence,
            )


def _source_arn(condition: str) -> str | None:
    for block in (_json(condition) or {}).values():
        if isinstance(block, Mapping):
            value = block.get("AWS:SourceArn") or block.get("aws:SourceArn")
            if isinstance(value, str):
                return value
    return None


def _json(text: Any) -> dict[str, Any] | None:
    if isinstance(text, dict):
        return text
    if not isinstance(text, str) or not text:
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


# The calls that wire a trigger to a function, by trigger kind, and the request field naming it.
WIRING = {
    "eventbridge-rule": (("PutTargets", "rule"), ("PutRule", "name")),
    "eventbridge-schedule": (("PutTargets", "rule"), ("PutRule", "name")),
    "scheduler": (("CreateSchedule", "name"), ("UpdateSchedule", "name")),
}


def wiring_event(case: CaseView, trigger: Trigger) -> TrailRow | None:
    """The CloudTrail event that wired this rule or schedule, when the trail holds it."""
    name = trigger.source.rsplit("/", 1)[-1]
    for event_name, field in WIRING.get(trigger.kind, ()):
        rows = select_events(
            case,
            "event_name = ? AND request_parameters->>? = ? AND error_code IS NULL",
            [event_name, f"$.{field}", name],
        )
        if rows:
            return rows[0]
    return None
