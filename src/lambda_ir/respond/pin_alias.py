"""`pin-alias=VERSION`: point every alias at a known-good version and clear routing weights.

lambda:GetFunctionConfiguration checks the version exists; lambda:ListAliases finds the
aliases; lambda:UpdateAlias sets FunctionVersion and an empty AdditionalVersionWeights, so no
share of traffic reaches a canary version the attacker published. The undo puts each alias's
version and weights back. Nothing is published or deleted.
"""

from __future__ import annotations

from typing import Any

from lambda_ir.respond.plan import Action, ActionInfo, AwsCall, Change
from lambda_ir.respond.target import PlanError, Target

INFO = ActionInfo(
    name="pin-alias",
    summary="Point every alias at VERSION and clear its routing weights.",
    permissions=(
        "lambda:GetFunctionConfiguration",
        "lambda:ListAliases",
        "lambda:UpdateAlias",
    ),
    value="VERSION",
)
NO_WEIGHTS: dict[str, Any] = {"AdditionalVersionWeights": {}}


def plan(target: Target, value: str | None) -> list[Change]:
    """One UpdateAlias per alias not already on VERSION without weights."""
    if not value or not value.isdigit():
        raise PlanError("pin-alias needs a published version number: --action pin-alias=VERSION")
    target.read(
        "lambda", "GetFunctionConfiguration", {"FunctionName": target.name, "Qualifier": value}
    )
    aliases = target.read_all("lambda", "ListAliases", {"FunctionName": target.name}, "Aliases")
    changes = []
    for alias in aliases:
        weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        if str(alias.get("FunctionVersion")) == value and not weights:
            continue
        name = str(alias["Name"])
        changes.append(
            Change(
                INFO.name,
                f"alias {name}: version {alias.get('FunctionVersion')} "
                f"(weights {weights or 'none'}) -> {value} (no weights)",
                _update(target.name, name, value, NO_WEIGHTS),
                _update(
                    target.name,
                    name,
                    str(alias.get("FunctionVersion")),
                    {"AdditionalVersionWeights": weights},
                ),
            )
        )
    return changes


def _update(function: str, alias: str, version: str, routing: dict[str, Any]) -> AwsCall:
    params = {
        "FunctionName": function,
        "Name": alias,
        "FunctionVersion": version,
        "RoutingConfig": routing,
    }
    return AwsCall("lambda", "UpdateAlias", params)


ACTION = Action(INFO, plan)
