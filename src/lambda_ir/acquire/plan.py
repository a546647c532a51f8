"""How many calls a collection makes per quota class, and the least time they can take.

A responder can predict a run before making it: `plan_calls(EstateShape(...))` counts the
calls for an estate, and `quota_bound()` turns counts into the minimum seconds Lambda's
quotas allow (each region's classes refill in parallel; a bucket starts with one second's
worth of tokens).

The plan per region: GetAccountSettings, ListFunctions (pages of 50),
ListEventSourceMappings, ListCodeSigningConfigs and one ListFunctionsByCodeSigningConfig per
config (none of it per function). Per function, from the shared control-plane pool:
ListVersionsByFunction (pages of 50), ListAliases, ListFunctionUrlConfigs,
ListFunctionEventInvokeConfigs, GetFunctionRecursionConfig, GetRuntimeManagementConfig, and
ListProvisionedConcurrencyConfigs only when it has a published version; GetFunction per
version ($LATEST included); GetPolicy unqualified, per version and per alias. Each layer
version referenced: GetLayerVersionByArn and GetLayerVersionPolicy. A denied code-signing
listing adds one GetFunctionCodeSigningConfig per function (not planned: it is a fallback).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from lambda_ir.aws import LAMBDA_RATES, QuotaClass

PAGE = 50  # Lambda's list page size
# Aliases, URL configs, invoke configs, recursion, runtime management (versions apart).
PER_FUNCTION_LISTINGS = 5


@dataclass(frozen=True)
class EstateShape:
    """An estate per region: functions, published versions and aliases each, layer versions
    referenced, code-signing configs; `latest_only` of the functions have no published version.
    """

    functions: int
    versions: int
    aliases: int = 1
    layer_versions: int = 0
    regions: int = 1
    latest_only: int = 0
    signing_configs: int = 0


def plan_calls(shape: EstateShape) -> dict[QuotaClass, int]:
    """Lambda calls per quota class for the whole estate (all regions)."""
    published = shape.functions - shape.latest_only
    cp = _region_calls(shape) + 2 * shape.layer_versions
    cp += published * (math.ceil((shape.versions + 1) / PAGE) + PER_FUNCTION_LISTINGS + 1)
    cp += shape.latest_only * (1 + PER_FUNCTION_LISTINGS)
    get_function = published * (shape.versions + 1) + shape.latest_only
    get_policy = published * (1 + shape.versions + shape.aliases)
    get_policy += shape.latest_only * (1 + shape.aliases)
    return {
        QuotaClass.CONTROL_PLANE: cp * shape.regions,
        QuotaClass.GET_FUNCTION: get_function * shape.regions,
        QuotaClass.GET_POLICY: get_policy * shape.regions,
    }


def _region_calls(shape: EstateShape) -> int:
    """Account settings, function list pages, event-source mappings, code signing."""
    listing = 1 + max(1, math.ceil(shape.functions / PAGE)) + 1
    signing = 1 + shape.signing_configs if shape.functions else 0
    return listing + signing


def quota_bound(
    calls: Mapping[tuple[str, QuotaClass], int],
    rates: Mapping[QuotaClass, float] = LAMBDA_RATES,
) -> float:
    """Least seconds the calls can take under the quotas (the slowest region and class)."""
    bound = 0.0
    for (_, klass), count in calls.items():
        rate = rates.get(klass)
        if rate:
            bound = max(bound, max(0.0, count - rate) / rate)
    return bound
