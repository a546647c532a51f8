"""How many calls a collection makes per quota class, and the least time they can take.

A responder can predict a run before making it: `plan_calls(EstateShape(...))` counts the
calls for an estate, and `quota_bound()` turns counts into the minimum seconds Lambda's
quotas allow (each region's classes refill in parallel; a bucket starts with one second's
worth of tokens).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from lambda_ir.aws import LAMBDA_RATES, QuotaClass

PAGE = 50  # Lambda's list page size
PER_FUNCTION_LISTINGS = 7  # aliases, URL configs, invoke configs, provisioned, 3 settings


@dataclass(frozen=True)
class EstateShape:
    """An estate per region: functions, published versions each, aliases each, layer versions."""

    functions: int
    versions: int
    aliases: int = 1
    layer_versions: int = 0
    regions: int = 1


def plan_calls(shape: EstateShape) -> dict[QuotaClass, int]:
    """Lambda calls per quota class for the whole estate (all regions)."""
    per_region_cp = 1 + max(1, math.ceil(shape.functions / PAGE)) + 1  # settings, list, ESMs
    per_function_cp = math.ceil((shape.versions + 1) / PAGE) + PER_FUNCTION_LISTINGS
    cp = per_region_cp + shape.functions * per_function_cp + 2 * shape.layer_versions
    get_function = shape.functions * (shape.versions + 1)
    get_policy = shape.functions * (1 + shape.versions + shape.aliases)
    return {
        QuotaClass.CONTROL_PLANE: cp * shape.regions,
        QuotaClass.GET_FUNCTION: get_function * shape.regions,
        QuotaClass.GET_POLICY: get_policy * shape.regions,
    }


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
