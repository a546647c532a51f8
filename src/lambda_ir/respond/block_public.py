"""`block-public`: remove resource-policy statements open to anyone or to foreign accounts.

Every qualifier has its own policy (the unqualified function, each version, each alias), so
each is read (lambda:GetPolicy) and each statement granting `*` or an account outside the
allow-list is removed with lambda:RemovePermission. The undo re-adds the statement with
lambda:AddPermission, rebuilt from the statement itself; the statements stay in the plan and
the pre-change evidence either way. Service principals (triggers) are left alone.
"""

from __future__ import annotations

from typing import Any

import orjson

from lambda_ir.respond.plan import Action, ActionInfo, AwsCall, Change
from lambda_ir.respond.statements import add_permission_params, outside_reason
from lambda_ir.respond.target import Target

INFO = ActionInfo(
    name="block-public",
    summary="Remove policy statements granting * or accounts outside the allow-list, "
    "on every qualifier.",
    permissions=(
        "lambda:ListVersionsByFunction",
        "lambda:ListAliases",
        "lambda:GetPolicy",
        "lambda:RemovePermission",
        "lambda:AddPermission",
    ),
)


def qualifiers(target: Target) -> list[str | None]:
    """None (the unqualified function), every published version and every alias."""
    params = {"FunctionName": target.name}
    versions = target.read_all("lambda", "ListVersionsByFunction", params, "Versions")
    aliases = target.read_all("lambda", "ListAliases", params, "Aliases")
    found: list[str | None] = [None]
    found += [str(v["Version"]) for v in versions if v.get("Version") != "$LATEST"]
    found += [str(a["Name"]) for a in aliases]
    return found


def plan(target: Target, _value: str | None) -> list[Change]:
    """One RemovePermission per statement open beyond the allowed accounts."""
    changes: list[Change] = []
    for qualifier in qualifiers(target):
        for statement in _statements(target, qualifier):
            reason = outside_reason(statement, target.allowed_accounts)
            if reason is not None:
                changes.append(_removal(target, qualifier, statement, reason))
    return changes


def _statements(target: Target, qualifier: str | None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"FunctionName": target.name}
    if qualifier:
        params["Qualifier"] = qualifier
    response = target.read("lambda", "GetPolicy", params, missing={})
    text = response.get("Policy")
    if not text:
        return []
    statements = orjson.loads(text).get("Statement", [])
    return [s for s in statements if isinstance(s, dict)]


def _removal(
    target: Target, qualifier: str | None, statement: dict[str, Any], reason: str
) -> Change:
    sid = str(statement.get("Sid", ""))
    params: dict[str, Any] = {"FunctionName": target.name, "StatementId": sid}
    if qualifier:
        params["Qualifier"] = qualifier
    rebuilt = add_permission_params(statement, target.name, qualifier)
    undo = None
    note = ""
    if rebuilt is None:
        note = "statement cannot be rebuilt with AddPermission; it is kept in this plan: " + (
            orjson.dumps(statement).decode()
        )
    else:
        undo = AwsCall("lambda", "AddPermission", rebuilt, ("ResourceConflictException",))
    where = f"qualifier {qualifier}" if qualifier else "unqualified"
    return Change(
        INFO.name,
        f"remove statement {sid!r} ({where}): {reason}",
        AwsCall("lambda", "RemovePermission", params, ("ResourceNotFoundException",)),
        undo,
        note,
    )


ACTION = Action(INFO, plan)
