"""Per-function collection: every version's configuration, GetFunction per version, policies
per qualifier, aliases, URL and async-invoke configs, concurrency and settings.

The plan spends quota where it buys evidence: ListVersionsByFunction gives every version's
full configuration in one call; GetFunction is made per version (for the code location,
tags and concurrency) but not per alias, whose target versions are already covered;
GetPolicy is made per qualifier because AWS keeps a separate policy for each, and a
statement added to version 3 alone is visible only through `Qualifier=3`.
ListProvisionedConcurrencyConfigs is made only for functions with a published version, and
code signing is listed per region (`acquire/code_signing.py`; GetFunctionCodeSigningConfig
per function only as its fallback).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from lambda_ir.acquire import paths
from lambda_ir.acquire.code import collect_package
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.deleted import listing_said_gone, record_deleted
from lambda_ir.acquire.fetch import fetch_json, fetch_page_files, fetch_pages
from lambda_ir.acquire.layers import collect_layer
from lambda_ir.acquire.logs import version_log_groups
from lambda_ir.acquire.roles import collect_role
from lambda_ir.acquire.steps import FunctionTarget, later, schedule
from lambda_ir.aws import QuotaClass
from lambda_ir.model import Kind

LATEST = "$LATEST"


def collect_versions(ctx: CollectContext, fn: FunctionTarget) -> None:
    """lambda:ListVersionsByFunction, then per version: GetFunction, code, policy, layers, role.

    ListProvisionedConcurrencyConfigs follows only when a published version exists (or the
    listing failed, so nothing is missed): AWS allocates provisioned concurrency to a published
    version or an alias of one, never to $LATEST or an alias of $LATEST (the API reference,
    docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html: "Adds a
    provisioned concurrency configuration to a function's alias or version", Qualifier
    required; $LATEST is refused with InvalidParameterValueException), so a function with
    only $LATEST has none to list.

    A listed function whose listing answers not-found was deleted during collection: a gap
    note (`acquire.deleted`), not a function collected, and nothing more is read about it.
    """
    versions = fetch_page_files(
        ctx,
        kind=Kind.FUNCTION_VERSIONS,
        api="lambda:ListVersionsByFunction",
        params={"FunctionName": fn.name},
        page_path=f"{paths.function_root(fn.account, fn.region, fn.name)}/versions/{{page}}.json",
        region=fn.region,
        list_key="Versions",
    )
    if versions is None and listing_said_gone(ctx, fn):
        record_deleted(ctx, fn)  # a gap, not a function collected: nothing more to read
        return
    configs = [c for c in versions or [] if isinstance(c, dict)]
    if versions is None or any(str(c.get("Version")) != LATEST for c in configs):
        later(
            ctx,
            QuotaClass.CONTROL_PLANE,
            fn.region,
            "ListProvisionedConcurrencyConfigs",
            partial(collect_provisioned_concurrency, ctx, fn),
        )
    if not configs and fn.listed:
        configs = [fn.listed]  # the listing still tells us $LATEST's code and role
    if configs:
        with ctx.tally.lock:
            ctx.tally.functions.add(fn.arn)  # a function counts once AWS showed it exists
    for config in configs:
        qualifier = str(config.get("Version") or LATEST)
        later(
            ctx,
            QuotaClass.GET_FUNCTION,
            fn.region,
            "GetFunction",
            partial(collect_get_function, ctx, fn, qualifier),
        )
        if qualifier != LATEST:
            later(
                ctx,
                QuotaClass.GET_POLICY,
                fn.region,
                "GetPolicy",
                partial(collect_policy, ctx, fn, qualifier),
            )
        _follow_references(ctx, fn, config)
    _read_version_log_groups(ctx, fn, configs)


def _read_version_log_groups(
    ctx: CollectContext, fn: FunctionTarget, configs: list[dict[str, Any]]
) -> None:
    """Queue the run's logs step (FilterLogEvents or an export) on each log group a version
    is configured with besides the one that step reads for the function: what an alias
    still serving an older version logged, or a version published to log elsewhere."""
    step = next((s for s in ctx.function_steps if s.name in ("logs", "logs-export")), None)
    if step is None:  # no window, or --no-logs
        return
    for group in version_log_groups(fn, configs):
        schedule(ctx, step, replace(fn, log_group=group))


def _follow_references(ctx: CollectContext, fn: FunctionTarget, config: dict[str, Any]) -> None:
    """Queue each layer and execution role a version references, once per run."""
    for layer in config.get("Layers") or []:
        arn = str(layer.get("Arn", "")) if isinstance(layer, dict) else ""
        if arn and ctx.claim("layer", arn):
            later(
                ctx,
                QuotaClass.CONTROL_PLANE,
                fn.region,
                "GetLayerVersionByArn",
                partial(collect_layer, ctx, arn),
            )
    role = str(config.get("Role") or "")
    if role and ctx.claim("role", role):
        later(ctx, QuotaClass.UNMETERED, fn.region, "GetRole", partial(collect_role, ctx, role))


def collect_get_function(ctx: CollectContext, fn: FunctionTarget, qualifier: str) -> None:
    """lambda:GetFunction for one qualifier, then that version's package (once per SHA-256)."""
    params = {"FunctionName": fn.name, "Qualifier": qualifier}
    response = fetch_json(
        ctx,
        kind=Kind.FUNCTION,
        api="lambda:GetFunction",
        params=params,
        path=paths.qualifier_file(fn.account, fn.region, fn.name, "get-function", qualifier),
        region=fn.region,
    )
    if response is not None:
        collect_package(ctx, fn, qualifier, response)


def collect_policy(ctx: CollectContext, fn: FunctionTarget, qualifier: str | None) -> None:
    """lambda:GetPolicy for the unqualified function, a version or an alias.

    No policy at all is AWS's ResourceNotFoundException: recorded as `not-found`, which
    is the evidence that nobody was granted access at that qualifier.
    """
    params: dict[str, Any] = {"FunctionName": fn.name}
    if qualifier:
        params["Qualifier"] = qualifier
    fetch_json(
        ctx,
        kind=Kind.POLICY,
        api="lambda:GetPolicy",
        params=params,
        path=paths.qualifier_file(fn.account, fn.region, fn.name, "policy", qualifier),
        region=fn.region,
    )


def collect_unqualified_policy(ctx: CollectContext, fn: FunctionTarget) -> None:
    """lambda:GetPolicy without a qualifier (the policy of the function and `$LATEST`)."""
    collect_policy(ctx, fn, None)


def collect_aliases(ctx: CollectContext, fn: FunctionTarget) -> None:
    """lambda:ListAliases (routing weights included), then GetPolicy per alias."""
    document = fetch_pages(
        ctx,
        kind=Kind.ALIAS,
        api="lambda:ListAliases",
        params={"FunctionName": fn.name},
        path=f"{paths.function_root(fn.account, fn.region, fn.name)}/aliases.json",
        region=fn.region,
        list_key="Aliases",
    )
    for alias in (document or {}).get("Aliases", []):
        name = str(alias.get("Name", "")) if isinstance(alias, dict) else ""
        if name:
            later(
                ctx,
                QuotaClass.GET_POLICY,
                fn.region,
                "GetPolicy",
                partial(collect_policy, ctx, fn, name),
            )


FunctionStep = Callable[[CollectContext, FunctionTarget], None]


def _listing(kind: str, api: str, file: str, list_key: str) -> FunctionStep:
    def step(ctx: CollectContext, fn: FunctionTarget) -> None:
        fetch_pages(
            ctx,
            kind=kind,
            api=api,
            params={"FunctionName": fn.name},
            path=f"{paths.function_root(fn.account, fn.region, fn.name)}/{file}",
            region=fn.region,
            list_key=list_key,
        )

    step.__doc__ = f"{api} for one function (all qualifiers, all pages)."
    return step


def _setting(kind: str, api: str, file: str) -> FunctionStep:
    def step(ctx: CollectContext, fn: FunctionTarget) -> None:
        fetch_json(
            ctx,
            kind=kind,
            api=api,
            params={"FunctionName": fn.name},
            path=f"{paths.function_root(fn.account, fn.region, fn.name)}/{file}",
            region=fn.region,
        )

    step.__doc__ = f"{api} for one function."
    return step


collect_url_configs = _listing(
    Kind.URL, "lambda:ListFunctionUrlConfigs", "url-configs.json", "FunctionUrlConfigs"
)
collect_invoke_configs = _listing(
    Kind.INVOKE_CONFIG,
    "lambda:ListFunctionEventInvokeConfigs",
    "event-invoke-configs.json",
    "FunctionEventInvokeConfigs",
)
collect_provisioned_concurrency = _listing(
    Kind.CONCURRENCY,
    "lambda:ListProvisionedConcurrencyConfigs",
    "provisioned-concurrency.json",
    "ProvisionedConcurrencyConfigs",
)
collect_code_signing = _setting(
    Kind.FUNCTION_SETTING, "lambda:GetFunctionCodeSigningConfig", "code-signing.json"
)
collect_recursion = _setting(
    Kind.FUNCTION_SETTING, "lambda:GetFunctionRecursionConfig", "recursion.json"
)
collect_runtime_management = _setting(
    Kind.FUNCTION_SETTING, "lambda:GetRuntimeManagementConfig", "runtime-management.json"
)
