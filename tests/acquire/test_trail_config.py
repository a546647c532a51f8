"""CloudTrail coverage evidence (trail-config), evidence-erasure lookups and the bucket advice,
against the emulator over HTTP."""

from __future__ import annotations

import io
from dataclasses import replace

import boto3
from rich.console import Console

from lambda_ir.acquire.cloudtrail import collect_erasure_trail, collect_lambda_trail
from lambda_ir.acquire.context import CollectOptions, Scope
from lambda_ir.acquire.summary import CollectSummary
from lambda_ir.acquire.trail_config import collect_trail_config
from lambda_ir.acquire.window import parse_when
from lambda_ir.aws import CallMeter
from lambda_ir.cli.collect import _show
from lambda_ir.cli.ui import Ui
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from tests.acquire import seed
from tests.acquire.test_cloudtrail import estate
from tests.acquire.test_logs import collect_context

DATA_EVENTS = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}],
    }
]


def _trails(session: boto3.Session, aws: Emulator) -> None:
    """`org`: logging, Lambda data events selected; `quiet`: management only, not logging."""
    s3 = seed.client(session, aws.endpoint_url, "s3")
    s3.create_bucket(Bucket="ct-bucket")
    trail = seed.client(session, aws.endpoint_url, "cloudtrail")
    trail.create_trail(Name="org", S3BucketName="ct-bucket", IsMultiRegionTrail=True)
    trail.put_event_selectors(TrailName="org", EventSelectors=DATA_EVENTS)
    trail.start_logging(Name="org")
    trail.create_trail(Name="quiet", S3BucketName="ct-bucket")


def test_trails_status_and_selectors_are_collected(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    _trails(session, aws)
    with collect_context(case, session, aws, Scope(("us-east-1",))) as ctx:
        collect_trail_config(ctx, "us-east-1")
        assert ctx.tally.errors == []
    found = [e for e in case.entries() if e.kind == "trail-config"]
    assert sorted(e.api or "" for e in found) == [
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetTrailStatus",
    ]
    by_name = {(e.api, (e.path or "").split("/")[-2]): case.read_json(e.path or "") for e in found}
    assert by_name[("cloudtrail:GetTrailStatus", "org")]["IsLogging"] is True
    assert by_name[("cloudtrail:GetTrailStatus", "quiet")]["IsLogging"] is False
    selectors = by_name[("cloudtrail:GetEventSelectors", "org")]["EventSelectors"]
    assert selectors[0]["DataResources"][0]["Type"] == "AWS::Lambda::Function"
    described = next(e for e in found if e.api == "cloudtrail:DescribeTrails")
    assert {t["Name"] for t in case.read_json(described.path or "")["trailList"]} == {
        "org",
        "quiet",
    }


def test_a_multi_region_trail_is_asked_once_in_its_home_region(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    _trails(session, aws)
    with collect_context(case, session, aws, Scope(("eu-west-1", "us-east-1"))) as ctx:
        collect_trail_config(ctx, "eu-west-1")
        collect_trail_config(ctx, "us-east-1")
        assert ctx.tally.errors == []
    status = [e for e in case.entries() if e.api == "cloudtrail:GetTrailStatus"]
    assert [e.region for e in status].count("us-east-1") == len(status) >= 1


def test_erasure_lookups_find_a_deleted_log_group_and_a_stopped_trail(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    _trails(session, aws)
    logs = seed.client(session, aws.endpoint_url, "logs")
    logs.create_log_group(logGroupName="/aws/lambda/pay")
    logs.delete_log_group(logGroupName="/aws/lambda/pay")
    seed.client(session, aws.endpoint_url, "cloudtrail").stop_logging(Name="org")
    aws.flush_trails()
    with collect_context(case, session, aws, Scope(("us-east-1",), since=_day_ago())) as ctx:
        collect_erasure_trail(ctx, "us-east-1")
        assert ctx.tally.errors == []
    lookups = {
        e.params["LookupAttributes"][0]["AttributeValue"]: e.meta["lines"]
        for e in case.entries()
        if e.api == "cloudtrail:LookupEvents"
    }
    assert lookups["DeleteLogGroup"] == 1 and lookups["StopLogging"] == 1
    assert lookups["DeleteTrail"] == 0


def test_long_lookups_advise_the_trail_bucket_in_the_summary(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    estate(session, aws)  # 60 GetFunction calls: two LookupEvents pages
    with collect_context(case, session, aws, Scope(("us-east-1",), since=_day_ago())) as ctx:
        ctx.options = CollectOptions(bucket_advice_pages=2)
        collect_lambda_trail(ctx, "us-east-1")
        advice = list(ctx.tally.advice)
    assert len(advice) == 1 and "--trail-bucket" in advice[0]
    assert "EventSource=lambda.amazonaws.com" in advice[0]
    summary = CollectSummary("1", ("us-east-1",), 1, 1, 0, 0, (), {}, CallMeter().reading(), 1.0)
    out = io.StringIO()
    _show(Ui(console=Console(file=out, width=200)), summary)
    assert "advice" not in out.getvalue()
    out = io.StringIO()
    _show(Ui(console=Console(file=out, width=200)), replace(summary, advice=tuple(advice)))
    assert f"advice: {advice[0]}" in out.getvalue()


def _day_ago() -> str:
    return parse_when("1d")
