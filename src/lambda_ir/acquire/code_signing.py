"""Code signing, per region instead of per function: which functions must run signed code.

`lambda:ListCodeSigningConfigs` (all pages) lists the region's configs, then
`lambda:ListFunctionsByCodeSigningConfig` per config names the functions using it: 1 +
(number of configs) calls per region instead of one GetFunctionCodeSigningConfig per
function from the shared 15/s control-plane quota (most estates have no config at all, so a
region usually costs one call). A function absent from every config's list uses none.

When the region-level listing fails (typically `denied` for a collector allowed only
GetFunctionCodeSigningConfig), the failure is recorded and each function in scope gets
`lambda:GetFunctionCodeSigningConfig` instead, so a restricted collector still has the
evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from lambda_ir.acquire import functions as fn_steps
from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import fetch_pages
from lambda_ir.acquire.steps import FunctionTarget, later
from lambda_ir.aws import QuotaClass
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import Kind


@dataclass(frozen=True)
class RegionFunctions:
    """A region and the functions in scope there: the target of a region-wide step that
    falls back to per-function calls."""

    region: str
    functions: tuple[FunctionTarget, ...]

    @property
    def name(self) -> str:
        """What the manifest names as the step's target when it crashes: the region."""
        return self.region


def collect_code_signing(ctx: CollectContext, listed: RegionFunctions) -> None:
    """lambda:ListCodeSigningConfigs, then ListFunctionsByCodeSigningConfig per config.

    Skipped in a region with no function in scope (nothing to attribute a config to). Falls
    back to GetFunctionCodeSigningConfig per function when a listing fails.
    """
    if not listed.functions:
        return
    root = paths.lambda_root(ctx.account, listed.region)
    document = fetch_pages(
        ctx,
        kind=Kind.FUNCTION_SETTING,
        api="lambda:ListCodeSigningConfigs",
        params={},
        path=f"{root}/code-signing-configs.json",
        region=listed.region,
        list_key="CodeSigningConfigs",
    )
    if document is None:
        _fall_back(ctx, listed)
        return
    for config in document.get("CodeSigningConfigs") or []:
        arn = str(config.get("CodeSigningConfigArn", "")) if isinstance(config, dict) else ""
        if arn and not _functions_of(ctx, listed.region, arn):
            _fall_back(ctx, listed)  # which functions use this config is unknown
            return


def _functions_of(ctx: CollectContext, region: str, config_arn: str) -> bool:
    """lambda:ListFunctionsByCodeSigningConfig for one config; False when it failed."""
    config_id = config_arn.rsplit(":", 1)[-1]
    root = paths.lambda_root(ctx.account, region)
    document = fetch_pages(
        ctx,
        kind=Kind.FUNCTION_SETTING,
        api="lambda:ListFunctionsByCodeSigningConfig",
        params={"CodeSigningConfigArn": config_arn},
        path=f"{root}/code-signing-configs/{path_segment(config_id)}-functions.json",
        region=region,
        list_key="FunctionArns",
    )
    return document is not None


def _fall_back(ctx: CollectContext, listed: RegionFunctions) -> None:
    """GetFunctionCodeSigningConfig for every function in scope (once per region and run)."""
    if not ctx.claim("code-signing-fallback", listed.region):
        return
    for fn in listed.functions:
        later(
            ctx,
            QuotaClass.CONTROL_PLANE,
            fn.region,
            "GetFunctionCodeSigningConfig",
            partial(fn_steps.collect_code_signing, ctx, fn),
        )
