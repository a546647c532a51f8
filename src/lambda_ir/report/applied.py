"""What `lambda-ir contain --apply` already did in this case, as its custody records say.

A case collected again after containing still holds the findings that called for it (the
acts happened), so the checklist would ask for the same containment again: each step that
custody shows applied, and not undone since, says when.
"""

from __future__ import annotations

from collections.abc import Mapping

from lambda_ir.evidence import Case, layout
from lambda_ir.evidence.custody import read_entries

# What an applied call acted on, as a checklist step names it: (action, target, region,
# account), the target a function's name or an access key id ("" region for IAM's).
AppliedKey = tuple[str, str, str, str]
# Actions a step names only in part: their value (`strip-env=VAR`, `pin-alias=N`) is not in the
# call's parameters, and a revocation cuts off only the sessions issued before it, so a step
# for later activity is a new one. None is said applied.
UNMARKED = frozenset({"strip-env", "pin-alias", "revoke-sessions", "revoke-role-sessions"})


# What custody says an undo did to a step: made its call, or found its state already there
# (`contain-undo-skipped`: no call, the step's containment no longer holds either way).
_UNDONE = {"contain-undo-call": "applied", "contain-undo-skipped": "already-in-place"}


def applied_actions(case: Case) -> Mapping[AppliedKey, str]:
    """Each (action, target, region) a `contain-call` applied and no later `contain-undo-call`
    of the same action undid (nor an undo found already undone), with the time of its last
    applied call."""
    done: dict[AppliedKey, str] = {}
    for _, _, entry in read_entries(case.root / layout.CUSTODY):
        if entry is None or entry.action not in ("contain-call", *_UNDONE):
            continue
        details, params = entry.details, entry.details.get("params")
        wanted = _UNDONE.get(entry.action, "applied")
        if details.get("status") != wanted or not isinstance(params, dict):
            continue
        caller = str(details.get("caller") or "").split(":")
        key = applied_key(
            str(details.get("action") or ""),
            params,
            str(details.get("region") or ""),
            # contain acts in its caller's account; a skipped step names the function's
            str(details.get("account") or (caller[4] if len(caller) > 4 else "")),
        )
        if key is None:
            continue
        if entry.action == "contain-call":
            done[key] = str(details.get("called_at") or entry.time)
        else:
            done.pop(key, None)
    return done


def applied_key(
    action: str, params: Mapping[str, object], region: str, account: str
) -> AppliedKey | None:
    """What a contain call's parameters say it acted on; None when they name nothing a step
    names (a call of another shape, or an action in UNMARKED)."""
    if action in UNMARKED:
        return None
    if function := params.get("FunctionName"):
        name = str(function)
        if name.startswith("arn:"):  # an ARN names its own region and account
            parts = name.split(":")
            if len(parts) > 6:
                name, region, account = parts[6], parts[3], parts[4]
        return action, name, region, account
    if key := params.get("AccessKeyId"):  # an access key id is the account's own
        return action, str(key), "", ""
    return None
