"""Every containment action, by name: one line per action, and how `--action` picks them."""

from __future__ import annotations

from lambda_ir.respond import (
    block_public,
    deactivate_key,
    deny_role,
    disable_triggers,
    disable_url,
    pin_alias,
    revoke_sessions,
    strip_config,
    throttle,
)
from lambda_ir.respond.plan import Action, Chosen

ALL: tuple[Action, ...] = (
    throttle.ACTION,
    block_public.ACTION,
    disable_url.ACTION,
    disable_triggers.ACTION,
    pin_alias.ACTION,
    deny_role.ACTION,
    revoke_sessions.ACTION,
    revoke_sessions.ROLE_ACTION,
    deactivate_key.ACTION,
    strip_config.STRIP_LAYERS,
    strip_config.STRIP_ENV,
)
BY_NAME = {action.info.name: action for action in ALL}


class ChoiceError(ValueError):
    """An `--action` that names no action, lacks its value, or needs a flag not given."""


def choose(texts: tuple[str, ...], *, allow_config_change: bool = False) -> tuple[Chosen, ...]:
    """Parse `NAME` / `NAME=VALUE` choices, in the order given, each action at most once."""
    chosen: list[Chosen] = []
    for text in texts:
        name, sep, value = text.partition("=")
        action = BY_NAME.get(name.strip())
        if action is None:
            raise ChoiceError(f"unknown action {name!r}; choose from {', '.join(BY_NAME)}")
        if action.info.value and not (sep and value.strip()):
            raise ChoiceError(f"{name} needs a value: --action {name}={action.info.value}")
        if not action.info.value and sep:
            raise ChoiceError(f"{name} takes no value")
        if action.info.explicit and not allow_config_change:
            raise ChoiceError(
                f"{name} changes the function's configuration: add --allow-config-change"
            )
        choice = Chosen(action, value.strip() if sep else None)
        if choice in chosen:
            continue  # the same action and value twice is one action
        if not action.info.repeatable and any(c.action is action for c in chosen):
            raise ChoiceError(f"{name} given twice with different values (strip-env takes KEY,KEY)")
        chosen.append(choice)
    return tuple(chosen)


def permissions() -> tuple[str, ...]:
    """Every IAM action any containment action needs (plus reading the function, and who
    makes the calls, which custody records), sorted."""
    found = {"lambda:GetFunction", "sts:GetCallerIdentity"}
    for action in ALL:
        found.update(action.info.permissions)
    return tuple(sorted(found))
