"""The trigger map's evidence: EventBridge rules, Scheduler schedules, SNS subscriptions and S3
notifications, collected by the shipped collector policy against the emulator over HTTP."""

from __future__ import annotations

import json

import boto3

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.acquire.triggers import policy_buckets
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from tests.acquire import seed
from tests.acquire.conftest import Place

CREATE_ROLE = {"source": ["aws.iam"], "detail": {"eventName": ["CreateRole"]}}


def _triggers(session: boto3.Session, place: Place, arn: str) -> str:
    """A rule on CreateRole, a schedule, an SNS subscription and an S3 notification."""
    events = seed.client(session, place.endpoint, "events", place.region)
    events.put_rule(Name="on-create-role", EventPattern=json.dumps(CREATE_ROLE))
    events.put_targets(Rule="on-create-role", Targets=[{"Id": "1", "Arn": arn}])
    events.put_rule(Name="unrelated", ScheduleExpression="rate(1 day)")
    lam = seed.client(session, place.endpoint, "lambda", place.region)
    lam.create_alias(FunctionName="hooked", Name="live", FunctionVersion="1")
    events.put_rule(Name="every-hour", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="every-hour", Targets=[{"Id": "1", "Arn": f"{arn}:live"}])
    scheduler = seed.client(session, place.endpoint, "scheduler", place.region)
    scheduler.create_schedule(
        Name="nightly",
        ScheduleExpression="cron(0 3 * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": arn, "RoleArn": f"arn:aws:iam::{seed.ACCOUNT}:role/scheduler"},
    )
    sns = seed.client(session, place.endpoint, "sns", place.region)
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    bucket = f"uploads-{place.region}"
    s3 = seed.client(session, place.endpoint, "s3", place.region)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": place.region})
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    seed.client(session, place.endpoint, "lambda", place.region).add_permission(
        FunctionName="hooked",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
    )
    return bucket


def test_triggers_are_collected_with_the_shipped_policy(
    enforcing: Emulator, place: Place, session: boto3.Session, case: Case
) -> None:
    seed.function(session, place.endpoint, "hooked", ["v1"], region=place.region)
    arn = f"arn:aws:lambda:{place.region}:{seed.ACCOUNT}:function:hooked"
    bucket = _triggers(session, place, arn)
    collector = seed.collector(session, place.endpoint)
    options = CollectOptions(workers=4, quotas=False, endpoint_url=place.endpoint)
    collect(case, collector, Scope(regions=(place.region,)), options)

    found = {e.api: e for e in case.entries() if e.kind == "trigger"}
    failed = [(e.api, e.error) for e in case.entries() if e.kind == "trigger" and e.error]
    assert failed == []
    assert set(found) == {
        "events:ListRuleNamesByTarget",
        "events:DescribeRule",
        "events:ListTargetsByRule",
        "scheduler:ListSchedules",
        "scheduler:GetSchedule",
        "sns:ListSubscriptions",
        "s3:GetBucketNotificationConfiguration",
    }

    def read(api: str) -> dict:
        path = found[api].path
        assert path is not None
        return case.read_json(path)

    by_target = {
        e.params["TargetArn"]: case.read_json(e.path or "")
        for e in case.entries()
        if e.api == "events:ListRuleNamesByTarget"
    }
    assert by_target == {
        arn: {"RuleNames": ["on-create-role"]},
        f"{arn}:live": {"RuleNames": ["every-hour"]},
    }
    rules = {
        e.params["Name"]: case.read_json(e.path or "")
        for e in case.entries()
        if e.api == "events:DescribeRule"
    }
    assert json.loads(rules["on-create-role"]["EventPattern"]) == CREATE_ROLE
    assert rules["every-hour"]["ScheduleExpression"] == "rate(1 hour)"
    assert "unrelated" not in rules
    targets = [
        case.read_json(e.path or "")["Targets"][0]["Arn"]
        for e in case.entries()
        if e.api == "events:ListTargetsByRule"
    ]
    assert sorted(targets) == [arn, f"{arn}:live"]
    assert read("scheduler:GetSchedule")["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert [s["Endpoint"] for s in read("sns:ListSubscriptions")["Subscriptions"]] == [arn]
    notification = read("s3:GetBucketNotificationConfiguration")
    assert notification["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"] == arn
    assert found["s3:GetBucketNotificationConfiguration"].params == {"Bucket": bucket}


def test_policy_buckets_reads_source_arns_of_s3_statements() -> None:
    statements = [
        {"Principal": {"Service": "s3.amazonaws.com"},
         "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::media"}}},
        {"Principal": {"Service": "sns.amazonaws.com"},
         "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:sns:us-east-1:1:t"}}},
        {"Principal": {"Service": "s3.amazonaws.com"},
         "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::logs-*"}}},
    ]  # fmt: skip
    document = {"Policy": json.dumps({"Statement": statements})}
    assert policy_buckets(document) == ["media"]
    assert policy_buckets({"Policy": "not json"}) == []
