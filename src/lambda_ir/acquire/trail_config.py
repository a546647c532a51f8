"""Collect CloudTrail's coverage: which trails exist, whether they log, and what they select.

Analysis needs this to say whether an absence in the trail means "it did not happen" or "it
was not recorded": Lambda `Invoke` is a data event, logged only when a trail's event
selectors (basic `DataResources` of type `AWS::Lambda::Function`, or advanced selectors on
`eventCategory = Data` and `resources.type = AWS::Lambda::Function`) ask for it, and a trail
whose `IsLogging` is false records nothing. Per region: `cloudtrail:DescribeTrails` (shadow
trails included, so a multi-region trail from another region shows), then per trail
`GetTrailStatus` and `GetEventSelectors`, asked once per trail in its home region (or in the
first region in scope when its home region is not), all as kind `trail-config`.
"""

from __future__ import annotations

from typing import Any

from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import fetch_json
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import Kind


def collect_trail_config(ctx: CollectContext, region: str) -> None:
    """DescribeTrails in `region`, then status and event selectors of the trails it owns."""
    root = f"{paths.account_root(ctx.account, region)}/cloudtrail"
    listed = fetch_json(
        ctx,
        kind=Kind.TRAIL_CONFIG,
        api="cloudtrail:DescribeTrails",
        params={"includeShadowTrails": True},
        path=f"{root}/describe-trails.json",
        region=region,
    )
    for trail in (listed or {}).get("trailList") or []:
        home = str(trail.get("HomeRegion") or region)
        if _asks_here(ctx, home, region) and trail.get("TrailARN"):
            _trail_details(ctx, str(trail["TrailARN"]), str(trail.get("Name") or "trail"), home)


def _asks_here(ctx: CollectContext, home: str, region: str) -> bool:
    """Each trail once per run: in its home region, else in the first region in scope."""
    if home in ctx.scope.regions:
        return home == region
    return region == ctx.scope.regions[0]


def _trail_details(ctx: CollectContext, arn: str, name: str, home: str) -> None:
    root = f"{paths.account_root(ctx.account, home)}/cloudtrail/trails/{path_segment(name)}"
    calls: tuple[tuple[str, dict[str, Any], str], ...] = (
        ("cloudtrail:GetTrailStatus", {"Name": arn}, "status.json"),
        ("cloudtrail:GetEventSelectors", {"TrailName": arn}, "event-selectors.json"),
    )
    for api, params, file in calls:
        fetch_json(
            ctx,
            kind=Kind.TRAIL_CONFIG,
            api=api,
            params=params,
            path=f"{root}/{file}",
            region=home,
        )
