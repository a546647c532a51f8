"""Region-wide collection: account settings, event-source mappings, the function list.

ListEventSourceMappings is called once per region (not per function): one paged listing
answers for every function's triggers, at a fraction of the quota.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import fetch_json, fetch_page_files, fetch_pages
from lambda_ir.acquire.steps import FunctionTarget
from lambda_ir.model import FunctionRef, Kind


def collect_account_settings(ctx: CollectContext, region: str) -> None:
    """lambda:GetAccountSettings: the region's concurrency and code-storage limits and usage."""
    fetch_json(
        ctx,
        kind=Kind.ACCOUNT,
        api="lambda:GetAccountSettings",
        params={},
        path=f"{paths.lambda_root(ctx.account, region)}/account-settings.json",
        region=region,
    )


@dataclass(frozen=True)
class RegionListing:
    """One region-wide paged listing, every page merged into one document under the region."""

    kind: str
    api: str
    file: str  # under raw/<account>/<region>/
    list_key: str

    def collect(self, ctx: CollectContext, region: str) -> None:
        """A `Step` run: the listing in `region`, stored."""
        self.fetch(ctx, region)

    def fetch(self, ctx: CollectContext, region: str) -> dict[str, Any] | None:
        """Every page of the listing in `region`, stored; the merged document, None if failed."""
        return fetch_pages(
            ctx,
            kind=self.kind,
            api=self.api,
            params={},
            path=f"{paths.account_root(ctx.account, region)}/{self.file}",
            region=region,
            list_key=self.list_key,
        )


# Every function's queue and stream triggers, in one listing per region (not per function).
EVENT_SOURCE_MAPPINGS = RegionListing(
    Kind.EVENT_SOURCE,
    "lambda:ListEventSourceMappings",
    "lambda/event-source-mappings.json",
    "EventSourceMappings",
)


def list_functions(ctx: CollectContext, region: str) -> list[FunctionTarget]:
    """lambda:ListFunctions, every page stored; the functions in scope for this region.

    Functions named in the scope are returned even when the listing fails or misses them,
    so a denied ListFunctions does not stop a targeted collection.
    """
    listed = fetch_page_files(
        ctx,
        kind=Kind.FUNCTION_LIST,
        api="lambda:ListFunctions",
        params={},
        page_path=f"{paths.lambda_root(ctx.account, region)}/list-functions/{{page}}.json",
        region=region,
        list_key="Functions",
    )
    configs = {str(c.get("FunctionName")): c for c in (listed or []) if isinstance(c, dict)}
    wanted = wanted_names(ctx.scope.functions, region)
    names = sorted(configs) if wanted is None else sorted(wanted)
    return [FunctionTarget(ctx.account, region, name, configs.get(name, {})) for name in names]


def wanted_names(functions: tuple[str, ...], region: str) -> set[str] | None:
    """Names the scope asks for in `region` (None: every function); ARNs elsewhere are skipped."""
    if not functions:
        return None
    names: set[str] = set()
    for item in functions:
        if item.startswith("arn:"):
            ref = FunctionRef.from_arn(item)
            if ref.region == region:
                names.add(ref.name)
        else:
            names.add(item)
    return names


def regions_of(functions: tuple[str, ...]) -> tuple[str, ...]:
    """The regions named by function ARNs in a scope, in order of first mention."""
    seen: dict[str, None] = {}
    for item in functions:
        if item.startswith("arn:"):
            seen.setdefault(FunctionRef.from_arn(item).region, None)
    return tuple(seen)


def caller_identity(document: dict[str, Any] | None) -> str:
    """The account id from an sts:GetCallerIdentity response ('unknown' without one)."""
    return str((document or {}).get("Account") or "unknown")


def enabled_regions(session: Any, endpoint_url: str | None = None) -> tuple[str, ...]:
    """Regions enabled for the account (ec2:DescribeRegions); botocore's list if denied.

    Opt-in regions the account has not enabled are left out, so `--all-regions` does not
    spend a call per disabled region on errors.
    """
    try:
        client = session.client("ec2", endpoint_url=endpoint_url)
        described = client.describe_regions(AllRegions=False).get("Regions", [])
        names = sorted(str(r["RegionName"]) for r in described if r.get("RegionName"))
        partition = session.get_partition_for_region(session.region_name or "us-east-1")
        lambda_regions = set(session.get_available_regions("lambda", partition))
        chosen = tuple(name for name in names if not lambda_regions or name in lambda_regions)
        if chosen:
            return chosen
    except Exception:  # no ec2:DescribeRegions: fall back to the regions botocore knows
        return tuple(session.get_available_regions("lambda"))
    return tuple(session.get_available_regions("lambda"))
