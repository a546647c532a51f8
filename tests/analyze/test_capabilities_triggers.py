"""The trigger map and the LIR-TRG detectors, firing and quiet, over cases built from files."""

from __future__ import annotations

import json
from typing import Any

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import trg_foreign_source, trg_iam_events, trg_schedule_creator
from lambda_ir.analyze.trigger_map import read_triggers
from lambda_ir.evidence import Case
from lambda_ir.model import Severity
from tests.analyze.casebuild import (
    ACCOUNT,
    REGION,
    CaseBuilder,
    run_detector,
    trail_event,
)

FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:x7k2q"
ROOT = f"raw/{ACCOUNT}/{REGION}"


def _rule(builder: CaseBuilder, name: str, target: str, **rule: Any) -> None:
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"
    builder.put(
        f"{ROOT}/events/rules/{name}/rule.json",
        {"Name": name, "Arn": arn, "State": "ENABLED", "CreatedBy": ACCOUNT, **rule},
        "trigger",
        "events:DescribeRule",
        Name=name,
    )
    builder.put(
        f"{ROOT}/events/rules/{name}/targets.json",
        {"Targets": [{"Id": "1", "Arn": target}]},
        "trigger",
        "events:ListTargetsByRule",
        Rule=name,
    )


def _pattern(**pattern: Any) -> str:
    return json.dumps(pattern)


def test_rule_on_create_role_fires_with_who_wired_it(builder: CaseBuilder) -> None:
    pattern = _pattern(source=["aws.iam"], detail={"eventName": ["CreateRole"]})
    _rule(builder, "new-roles", FN, EventPattern=pattern)
    builder.trail([trail_event("PutTargets", {"rule": "new-roles"}, source="events.amazonaws.com")])
    (finding,) = run_detector(builder, trg_iam_events.DETECTOR)
    # Security automation reacts to IAM events too: suspicious, not proof (MEDIUM).
    assert finding.severity is Severity.MEDIUM and finding.resource == FN
    assert "aws.iam event (CreateRole)" in finding.summary
    assert finding.actor is not None and finding.actor.arn.endswith("user/mallory")
    assert {ref.path.rsplit("/", 1)[-1] for ref in finding.evidence} >= {"rule.json"}


def test_rule_on_create_role_wired_by_an_unusual_actor_is_high(builder: CaseBuilder) -> None:
    """Ten days of CI releases, then a user never seen wires the rule at 02:10 from a new
    network with an SDK: persistence by someone off the account's paths."""
    pattern = _pattern(source=["aws.iam"], detail={"eventName": ["CreateRole"]})
    _rule(builder, "new-roles", FN, EventPattern=pattern)
    ci = {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/gha-deploy/run",
        "accountId": ACCOUNT,
        "sessionContext": {"sessionIssuer": {"arn": f"arn:aws:iam::{ACCOUNT}:role/gha-deploy"}},
    }
    history = [
        trail_event(
            "UpdateFunctionCode20150331v2",
            {"functionName": "x7k2q"},
            identity=ci,
            event_id=f"ci-{day}",
            time=f"2026-10-{day:02d}T10:15:00Z",
            user_agent="APN/1.0 HashiCorp/1.0 Terraform/1.9.8",
            source_ip="192.0.2.10",
        )
        for day in range(1, 11)
    ]
    wiring = trail_event(
        "PutTargets",
        {"rule": "new-roles"},
        source="events.amazonaws.com",
        time="2026-10-12T02:10:00Z",
        user_agent="Boto3/1.34.69 md/Botocore#1.34.69",
        source_ip="203.0.113.66",
        event_id="wire",
    )
    builder.trail([*history, wiring])
    (finding,) = run_detector(builder, trg_iam_events.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert "new against the baseline" in finding.summary


def test_cloudtrail_api_calls_of_other_services_are_low(builder: CaseBuilder) -> None:
    pattern = _pattern(**{"detail-type": ["AWS API Call via CloudTrail"], "source": ["aws.s3"]})
    _rule(builder, "s3-calls", FN, EventPattern=pattern)
    (finding,) = run_detector(builder, trg_iam_events.DETECTOR)
    assert finding.severity is Severity.LOW


def test_object_uploads_and_schedules_are_quiet(builder: CaseBuilder) -> None:
    _rule(builder, "uploads", FN, EventPattern=_pattern(source=["aws.s3"]))
    _rule(builder, "nightly", FN, ScheduleExpression="cron(0 3 * * ? *)")
    assert run_detector(builder, trg_iam_events.DETECTOR) == []
    kinds = {t.kind for t in read_triggers(CaseView(Case.open(builder.root)))}
    assert kinds == {"eventbridge-rule", "eventbridge-schedule"}


def _subscriptions(builder: CaseBuilder, *topics: str) -> None:
    builder.put(
        f"{ROOT}/sns/subscriptions.json",
        {
            "Subscriptions": [
                {"Protocol": "lambda", "Endpoint": FN, "TopicArn": topic} for topic in topics
            ]
            + [{"Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": topics[0]}]
        },
        "trigger",
        "sns:ListSubscriptions",
    )


def test_foreign_topic_fires_and_own_or_allowed_accounts_are_quiet(builder: CaseBuilder) -> None:
    own = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    foreign = f"arn:aws:sns:{REGION}:999988887777:collector"
    _subscriptions(builder, own, foreign)
    (finding,) = run_detector(builder, trg_foreign_source.DETECTOR)
    assert "sns arn:aws:sns" in finding.summary and "999988887777" in finding.summary
    assert finding.details["source_account"] == "999988887777"
    assert finding.severity is Severity.LOW  # a standing cross-account trigger: exposure
    allowed = run_detector(
        builder, trg_foreign_source.DETECTOR, allowed_accounts=frozenset({"999988887777"})
    )
    assert allowed == []


def _schedule(builder: CaseBuilder) -> None:
    builder.put(
        f"{ROOT}/scheduler/default/sync.json",
        {
            "Arn": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/sync",
            "Name": "sync",
            "ScheduleExpression": "rate(5 minutes)",
            "Target": {"Arn": FN, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/s"},
        },
        "trigger",
        "scheduler:GetSchedule",
        Name="sync",
        GroupName="default",
    )


def _deployer() -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/ci",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAEXAMPLEKEY000003",
        "userName": "ci",
    }


def _deployed_then_scheduled(builder: CaseBuilder, scheduler: dict[str, Any] | None) -> None:
    """`ci` creates the function; `scheduler` (mallory when None) creates the schedule."""
    _schedule(builder)
    deploy = trail_event(
        "CreateFunction20150331", {"functionName": "x7k2q"}, identity=_deployer(), event_id="d1"
    )
    schedule = trail_event(
        "CreateSchedule",
        {"name": "sync"},
        source="scheduler.amazonaws.com",
        identity=scheduler,
        event_id="s1",
        time="2026-11-03T02:00:00Z",
    )
    builder.trail([deploy, schedule])


def test_schedule_by_a_principal_that_never_deployed_fires(builder: CaseBuilder) -> None:
    _deployed_then_scheduled(builder, None)
    (finding,) = run_detector(builder, trg_schedule_creator.DETECTOR)
    assert finding.actor is not None and finding.actor.arn.endswith("user/mallory")
    assert "deployed by arn:aws:iam::111122223333:user/ci" in finding.summary
    assert finding.time == "2026-11-03T02:00:00Z"


def test_schedule_by_the_deployer_is_quiet(builder: CaseBuilder) -> None:
    _deployed_then_scheduled(builder, _deployer())
    assert run_detector(builder, trg_schedule_creator.DETECTOR) == []


def test_function_urls_are_in_the_trigger_map(builder: CaseBuilder) -> None:
    url = "https://abc123.lambda-url.eu-west-1.on.aws/"
    builder.put(
        f"{ROOT}/lambda/functions/x7k2q/url-configs.json",
        {"FunctionUrlConfigs": [{"FunctionUrl": url, "FunctionArn": FN, "AuthType": "NONE"}]},
        "url",
        "lambda:ListFunctionUrlConfigs",
        FunctionName="x7k2q",
    )
    triggers = read_triggers(CaseView(Case.open(builder.root)))
    assert [(t.kind, t.source, t.detail, t.key3[2]) for t in triggers] == [
        ("function-url", url, "AuthType NONE", "x7k2q")
    ]


def test_a_rule_wired_by_a_call_without_a_time_says_the_time_is_unknown(
    builder: CaseBuilder,
) -> None:
    pattern = _pattern(source=["aws.iam"], detail={"eventName": ["CreateRole"]})
    _rule(builder, "new-roles", FN, EventPattern=pattern)
    wiring = trail_event("PutTargets", {"rule": "new-roles"}, source="events.amazonaws.com")
    del wiring["eventTime"]
    builder.trail([wiring])
    (finding,) = run_detector(builder, trg_iam_events.DETECTOR)
    assert finding.time is None and "None" not in finding.summary
    assert (
        f"wired by arn:aws:iam::{ACCOUNT}:user/mallory at an unknown time (the event gives "
        "none the index could read): code" in finding.summary
    )
