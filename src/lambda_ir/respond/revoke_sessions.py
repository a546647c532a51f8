"""`revoke-sessions`: deny the execution role's sessions issued before now, and
`revoke-role-sessions=ARN` the same for another role of the function's account.

What the IAM console's "Revoke active sessions" does: an inline policy `AWSRevokeOlderSessions`
denying everything when `aws:TokenIssueTime` is before the cutoff. Credentials stolen from the
function stop working; sessions Lambda issues after the cutoff work again. The function's own
running sandboxes hold old credentials too, so they fail until Lambda recycles them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from lambda_ir.respond import role_policy
from lambda_ir.respond.plan import Action, ActionInfo, Change
from lambda_ir.respond.target import PlanError, Target

INFO = ActionInfo(
    name="revoke-sessions",
    summary="Deny the execution role's sessions issued before now (aws:TokenIssueTime).",
    permissions=role_policy.PERMISSIONS,
)
POLICY_NAME = "AWSRevokeOlderSessions"


def revoke_document(cutoff: datetime) -> dict[str, Any]:
    """The console's revoke policy with `cutoff` (UTC, whole seconds)."""
    stamp = cutoff.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": stamp}},
            }
        ],
    }


def cutoff_of(document: dict[str, Any] | None) -> str | None:
    """The TokenIssueTime cutoff of a revoke policy, or None if it is not one."""
    for statement in (document or {}).get("Statement", []):
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        stamp = (statement.get("Condition") or {}).get("DateLessThan", {})
        if isinstance(stamp, dict) and "aws:TokenIssueTime" in stamp:
            return str(stamp["aws:TokenIssueTime"])
    return None


def plan(target: Target, _value: str | None) -> list[Change]:
    """Nothing when a revoke policy already cuts off at or after this run's start."""
    return _revoke(target, INFO.name, role_policy.role_of(target))


def plan_role(target: Target, value: str | None) -> list[Change]:
    """The same for the role `value` names (its ARN), which must be in the function's account:
    the stolen pipeline or operator role an incident's actor acted as."""
    arn = (value or "").strip()
    match = _ROLE_ARN.fullmatch(arn)
    if match is None:
        raise PlanError(f"{ROLE_INFO.name} needs a role ARN: {ROLE_INFO.name}={ROLE_INFO.value}")
    account, name = match.group(1), match.group(2).rsplit("/", 1)[-1]
    if account != target.function.account:
        raise PlanError(
            f"{arn} is in account {account}; contain acts in the function's account "
            f"{target.function.account}: run it with that account's credentials for that role"
        )
    return _revoke(target, ROLE_INFO.name, name)


def _revoke(target: Target, action: str, role: str) -> list[Change]:
    previous = role_policy.current_document(target, role, POLICY_NAME)
    wanted = revoke_document(target.now)
    stamp = wanted["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    existing = cutoff_of(previous)
    if existing is not None and existing >= stamp:
        return []
    return [
        role_policy.put_change(
            action,
            f"role {role}: inline policy {POLICY_NAME} (deny sessions issued before {stamp})",
            role,
            POLICY_NAME,
            wanted,
            previous,
        )
    ]


ACTION = Action(INFO, plan)
ROLE_INFO = ActionInfo(
    name="revoke-role-sessions",
    summary="Deny a named role's sessions issued before now (a stolen pipeline or operator "
    "role's temporary keys, ASIA…).",
    permissions=role_policy.PERMISSIONS,
    value="arn:aws:iam::ACCOUNT:role/NAME",
    repeatable=True,
)
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/([\w+=,.@/-]+)")
ROLE_ACTION = Action(ROLE_INFO, plan_role)
