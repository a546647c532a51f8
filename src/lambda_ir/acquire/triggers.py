"""Collect what can invoke a function: EventBridge rules, schedules, SNS and S3 notifications.

Read-only, all kind `trigger` (docs/EVIDENCE.md):
- per function: `events:ListRuleNamesByTarget` on the default event bus for its unqualified
  ARN and (once the aliases are in) each alias ARN, then per rule (once per run)
  `events:DescribeRule` (event pattern or schedule, `CreatedBy`) and
  `events:ListTargetsByRule`;
- per region: `scheduler:ListSchedules` (every group), then `scheduler:GetSchedule` for each
  schedule whose target is a Lambda function; `sns:ListSubscriptions` (protocol `lambda`
  subscriptions name their function as `Endpoint`);
- after the policies are in: `s3:GetBucketNotificationConfiguration` for each bucket a
  function's resource policy lets `s3.amazonaws.com` invoke it from (`AWS:SourceArn`).
Event-source mappings and the policy's principals are collected by their own steps. Rules
that target a version ARN, and rules on custom event buses, are not listed.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson

from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import fetch_json, fetch_pages
from lambda_ir.acquire.inventory import RegionListing
from lambda_ir.acquire.steps import FunctionTarget, later
from lambda_ir.aws import QuotaClass
from lambda_ir.evidence import ManifestEntry
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import Kind

LAMBDA_ARN = "arn:aws:lambda:"


def collect_event_rules(ctx: CollectContext, target: FunctionTarget) -> None:
    """The default bus's rules targeting the function, each rule described once per run."""
    _rules_targeting(ctx, target.account, target.region, target.arn, target.name)


def collect_alias_rules(ctx: CollectContext) -> None:
    """Queue the same for every collected alias ARN (triggers often invoke `live`).

    Run once the alias steps are done (`collect._drive`)."""
    for entry in _own(ctx, Kind.ALIAS):
        if not entry.path or entry.error or not entry.region:
            continue
        try:
            document = ctx.case.read_json(entry.path)
        except (OSError, ValueError):
            continue
        for alias in (document or {}).get("Aliases") or []:
            arn = str(alias.get("AliasArn") or "")
            if arn.count(":") != 7:
                continue
            label = ":".join(arn.split(":")[6:8])
            task = functools.partial(
                _rules_targeting, ctx, entry.account or ctx.account, entry.region, arn, label
            )
            later(ctx, QuotaClass.UNMETERED, entry.region, "alias-event-rules", task)


def _own(ctx: CollectContext, kind: str) -> list[ManifestEntry]:
    """This run's account's stored artifacts of `kind`, from the manifest as the case handle
    holds it in memory (an organisation's manifest is long: re-reading it per account cost
    O(accounts x lines)). Another account's entries are that account's run's to follow up,
    with its own credentials and under its own folder."""
    return [e for e in ctx.case.listed(kind) if e.account in (None, ctx.account)]


def _rules_targeting(ctx: CollectContext, account: str, region: str, arn: str, label: str) -> None:
    root = f"{paths.account_root(account, region)}/events"
    listed = fetch_pages(
        ctx,
        kind=Kind.TRIGGER,
        api="events:ListRuleNamesByTarget",
        params={"TargetArn": arn},
        path=f"{root}/by-target/{path_segment(label)}.json",
        region=region,
        list_key="RuleNames",
    )
    for name in (listed or {}).get("RuleNames") or []:
        if ctx.claim("events-rule", f"{region}/{name}"):
            _rule(ctx, region, str(name), f"{root}/rules/{path_segment(str(name))}")


def _rule(ctx: CollectContext, region: str, name: str, root: str) -> None:
    fetch_json(
        ctx,
        kind=Kind.TRIGGER,
        api="events:DescribeRule",
        params={"Name": name},
        path=f"{root}/rule.json",
        region=region,
    )
    fetch_pages(
        ctx,
        kind=Kind.TRIGGER,
        api="events:ListTargetsByRule",
        params={"Rule": name},
        path=f"{root}/targets.json",
        region=region,
        list_key="Targets",
    )


SCHEDULES = RegionListing(
    Kind.TRIGGER, "scheduler:ListSchedules", "scheduler/schedules.json", "Schedules"
)
# Every SNS subscription of the region (Lambda ones name the function as Endpoint).
SNS_SUBSCRIPTIONS = RegionListing(
    Kind.TRIGGER, "sns:ListSubscriptions", "sns/subscriptions.json", "Subscriptions"
)


def collect_schedules(ctx: CollectContext, region: str) -> None:
    """EventBridge Scheduler schedules of the region; those invoking Lambda, in full."""
    root = f"{paths.account_root(ctx.account, region)}/scheduler"
    listed = SCHEDULES.fetch(ctx, region)
    for schedule in (listed or {}).get("Schedules") or []:
        arn = str((schedule.get("Target") or {}).get("Arn") or "")
        if not arn.startswith(LAMBDA_ARN):
            continue
        group, name = str(schedule.get("GroupName") or "default"), str(schedule.get("Name"))
        fetch_json(
            ctx,
            kind=Kind.TRIGGER,
            api="scheduler:GetSchedule",
            params={"Name": name, "GroupName": group},
            path=f"{root}/{path_segment(group)}/{path_segment(name)}.json",
            region=region,
        )


def collect_bucket_notifications(ctx: CollectContext) -> None:
    """Queue GetBucketNotificationConfiguration for buckets named in collected policies.

    Run once the policy steps are done (`collect._drive`); each bucket once per run."""
    for entry in _own(ctx, Kind.POLICY):
        if not entry.path or entry.error or not entry.region:
            continue
        if entry.api != "lambda:GetPolicy":
            continue
        try:
            document = ctx.case.read_json(entry.path)
        except (OSError, ValueError):
            continue
        for bucket in policy_buckets(document):
            if ctx.claim("bucket-notification", bucket):
                task = functools.partial(_notification, ctx, bucket, entry.region)
                later(ctx, QuotaClass.UNMETERED, entry.region, "bucket-notification", task)


def _notification(ctx: CollectContext, bucket: str, region: str) -> None:
    fetch_json(
        ctx,
        kind=Kind.TRIGGER,
        api="s3:GetBucketNotificationConfiguration",
        params={"Bucket": bucket},
        path=f"{paths.account_root(ctx.account, None)}/s3/{path_segment(bucket)}/notification.json",
        region=region,
    )


def policy_buckets(document: Any) -> list[str]:
    """Buckets whose `AWS:SourceArn` lets s3.amazonaws.com invoke, from a GetPolicy response."""
    try:
        policy = orjson.loads(str((document or {}).get("Policy") or "{}"))
    except orjson.JSONDecodeError:
        return []
    statements = policy.get("Statement") or []
    found = []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") or {}
        service = principal.get("Service") if isinstance(principal, dict) else principal
        if service != "s3.amazonaws.com":
            continue
        for condition in (statement.get("Condition") or {}).values():
            source = condition.get("AWS:SourceArn") if isinstance(condition, dict) else None
            for arn in source if isinstance(source, list) else [source]:
                if isinstance(arn, str) and arn.startswith("arn:aws:s3:::"):
                    found.append(arn.removeprefix("arn:aws:s3:::").split("/", 1)[0])
    return list(dict.fromkeys(b for b in found if b and "*" not in b))
