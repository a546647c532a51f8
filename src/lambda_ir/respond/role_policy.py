"""An inline policy on the execution role: what it is now, and the change that sets it.

Shared by `deny-role` and `revoke-sessions`. iam:GetRolePolicy reads the policy of that
name (if any); iam:PutRolePolicy writes ours; the undo writes the previous document back, or
deletes our inline policy with iam:DeleteRolePolicy when there was none (only that policy:
never the role, never another policy).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import orjson

from lambda_ir.respond.plan import AwsCall, Change
from lambda_ir.respond.target import PlanError, Target

PERMISSIONS = ("iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy")


def current_document(target: Target, role: str, policy: str) -> dict[str, Any] | None:
    """The role's inline policy `policy` as a dict, or None when the role has none by that name."""
    response = target.read(
        "iam", "GetRolePolicy", {"RoleName": role, "PolicyName": policy}, missing=None
    )
    if response is None:
        return None
    document = response.get("PolicyDocument")
    if isinstance(document, str):  # IAM returns it URL-encoded; boto3 usually decodes it
        document = orjson.loads(urllib.parse.unquote(document))
    return document if isinstance(document, dict) else None


def role_of(target: Target) -> str:
    role = target.role_name
    if role is None:
        raise PlanError("the function's configuration names no execution role")
    return role


def put_change(
    action: str,
    summary: str,
    role: str,
    policy: str,
    document: dict[str, Any],
    previous: dict[str, Any] | None,
) -> Change:
    """PutRolePolicy of `document`, undone by restoring `previous` (or deleting ours)."""
    put = AwsCall(
        "iam",
        "PutRolePolicy",
        {"RoleName": role, "PolicyName": policy, "PolicyDocument": orjson.dumps(document).decode()},
    )
    if previous is None:
        undo = AwsCall(
            "iam", "DeleteRolePolicy", {"RoleName": role, "PolicyName": policy}, ("NoSuchEntity",)
        )
    else:
        undo = AwsCall(
            "iam",
            "PutRolePolicy",
            {
                "RoleName": role,
                "PolicyName": policy,
                "PolicyDocument": orjson.dumps(previous).decode(),
            },
        )
    return Change(action, summary, put, undo)
