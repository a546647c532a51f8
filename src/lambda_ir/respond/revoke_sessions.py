"""`revoke-sessions`: deny the execution role's sessions issued before now.

What the IAM console's "Revoke active sessions" does: an inline policy `AWSRevokeOlderSessions`
denying everything when `aws:TokenIssueTime` is before the cutoff. Credentials stolen from the
function stop working; sessions Lambda issues after the cutoff work again. The function's own
running sandboxes hold old credentials too, so they fail until Lambda recycles them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lambda_ir.respond import role_policy
from lambda_ir.respond.plan import Action, ActionInfo, Change
from lambda_ir.respond.target import Target

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
    role = role_policy.role_of(target)
    previous = role_policy.current_document(target, role, POLICY_NAME)
    wanted = revoke_document(target.now)
    stamp = wanted["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    existing = cutoff_of(previous)
    if existing is not None and existing >= stamp:
        return []
    return [
        role_policy.put_change(
            INFO.name,
            f"role {role}: inline policy {POLICY_NAME} (deny sessions issued before {stamp})",
            role,
            POLICY_NAME,
            wanted,
            previous,
        )
    ]


ACTION = Action(INFO, plan)
