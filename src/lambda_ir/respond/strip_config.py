"""`strip-layers` and `strip-env=KEY`: take layers or one variable off the function's $LATEST.

Both change configuration (lambda:UpdateFunctionConfiguration on $LATEST) and so run only with
`--allow-config-change`. They plan from $LATEST's configuration whichever version or alias the
function was named with (`fn:live`), and the plan says what that qualifier keeps running.
Nothing is published and nothing is deleted: published versions are immutable and keep their
layers and variables (point aliases away with `pin-alias`), layer versions stay in the
account, and the undo puts the previous list or variables back. The undo plan therefore holds
the variables' values, as the collected GetFunction evidence does; printed plans and custody
entries redact them. The update carries the RevisionId of the read it was planned from: a
change made to $LATEST since is not overwritten (AWS refuses the call; the run says to plan
again).
"""

from __future__ import annotations

from typing import Any

from lambda_ir.respond.plan import Action, ActionInfo, Change
from lambda_ir.respond.target import PlanError, Target

_UPDATE = ("lambda:UpdateFunctionConfiguration",)
LAYERS_INFO = ActionInfo(
    name="strip-layers",
    summary="Remove every layer from $LATEST (needs --allow-config-change).",
    permissions=_UPDATE,
    explicit=True,
)
ENV_INFO = ActionInfo(
    name="strip-env",
    summary="Remove environment variables KEY[,KEY…] from $LATEST (needs --allow-config-change).",
    permissions=_UPDATE,
    value="KEY[,KEY…]",
    explicit=True,
)


def plan_layers(target: Target, _value: str | None) -> list[Change]:
    """Nothing when $LATEST has no layers."""
    layers = [str(layer["Arn"]) for layer in target.configuration.get("Layers", [])]
    if not layers:
        return []
    return [
        Change(
            LAYERS_INFO.name,
            f"remove {len(layers)} layer(s) from $LATEST: {', '.join(layers)}"
            + target.latest_only("its layers"),
            target.update_latest({"Layers": []}, as_read=True),
            target.update_latest({"Layers": layers}, as_read=False),
            "published versions keep their layers",
        )
    ]


def plan_env(target: Target, value: str | None) -> list[Change]:
    """Nothing when $LATEST has none of the variables named (comma-separated)."""
    names = {name.strip() for name in (value or "").split(",") if name.strip()}
    if not names:
        raise PlanError("strip-env needs the variables' names: --action strip-env=KEY[,KEY…]")
    variables: dict[str, Any] = dict(
        (target.configuration.get("Environment") or {}).get("Variables") or {}
    )
    present = sorted(names & set(variables))
    if not present:
        return []
    kept = {name: text for name, text in variables.items() if name not in names}
    return [
        Change(
            ENV_INFO.name,
            f"remove environment variable(s) {', '.join(present)} from $LATEST"
            + target.latest_only("its variables"),
            target.update_latest({"Environment": {"Variables": kept}}, as_read=True),
            target.update_latest({"Environment": {"Variables": variables}}, as_read=False),
            "published versions keep their variables",
        )
    ]


STRIP_LAYERS = Action(LAYERS_INFO, plan_layers)
STRIP_ENV = Action(ENV_INFO, plan_env)
