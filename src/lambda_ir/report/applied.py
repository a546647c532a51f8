"""What `lambda-ir contain --apply` already did in this case, as its custody records say.

A case collected again after containing still holds the findings that called for it (the
acts happened), so the checklist would ask for the same containment again: each step that
custody shows applied, and not undone since, says when.
"""

from __future__ import annotations

from collections.abc import Mapping

from lambda_ir.evidence import Case, layout
from lambda_ir.evidence.custody import read_entries

# What an applied call acted on, as a checklist step names it: (action, target, region), the
# target a function's name, an access key id or a role's name ("" region for IAM's).
AppliedKey = tuple[str, str, str]


def applied_actions(case: Case) -> Mapping[AppliedKey, str]:
    """Each (action, target, region) a `contain-call` applied and no later `contain-undo-call`
    of the same action undid, with the time of its last applied call."""
    done: dict[AppliedKey, str] = {}
    for _, _, entry in read_entries(case.root / layout.CUSTODY):
        if entry is None or entry.action not in ("contain-call", "contain-undo-call"):
            continue
        details = entry.details
        if details.get("status") != "applied":
            continue
        key = applied_key(
            str(details.get("action") or ""),
            details.get("params") or {},
            str(details.get("region") or ""),
        )
        if key is None:
            continue
        if entry.action == "contain-call":
            done[key] = str(details.get("called_at") or entry.time)
        else:
            done.pop(key, None)
    return done


def applied_key(action: str, params: Mapping[str, object], region: str) -> AppliedKey | None:
    """What a contain call's parameters say it acted on; None when they name nothing a step
    names (a call of another shape)."""
    if function := params.get("FunctionName"):
        name = str(function)
        if name.startswith("arn:"):  # an ARN names its own region
            parts = name.split(":")
            name, region = (parts[6], parts[3]) if len(parts) > 6 else (name, region)
        return action, name, region
    if key := params.get("AccessKeyId"):
        return action, str(key), ""
    if role := params.get("RoleName"):
        return action, str(role), ""
    return None
