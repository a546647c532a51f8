"""Reading IAM policy documents: is a role admin-equivalent, or can it escalate?

Only Allow statements are weighed and conditions are ignored (a role that is admin under a
condition is still worth a responder's look); NotAction/Deny subtleties are not evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

# Permissions that let a principal grant itself more (Rhino Security Labs' escalation paths).
ESCALATION_ACTIONS = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:CreateAccessKey",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
)
LAMBDA_WRITE = ("lambda:CreateFunction", "lambda:UpdateFunctionCode")


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def allowed_actions(documents: Iterable[Mapping[str, Any]]) -> list[tuple[str, list[str]]]:
    """(action pattern, resources) for every Allow statement of the documents."""
    out: list[tuple[str, list[str]]] = []
    for document in documents:
        if not isinstance(document, Mapping):
            continue  # not a policy document: nothing it allows
        statements = document.get("Statement") or []
        if isinstance(statements, Mapping):
            statements = [statements]
        if not isinstance(statements, list):
            continue
        for stmt in statements:
            if not isinstance(stmt, Mapping) or str(stmt.get("Effect", "")) != "Allow":
                continue
            resources = _listed(stmt.get("Resource")) or ["*"]
            out.extend((action, resources) for action in _listed(stmt.get("Action")))
    return out


def can(actions: list[tuple[str, list[str]]], wanted: str) -> bool:
    """True when some allowed pattern covers `wanted` (IAM wildcards, case-insensitive)."""
    return any(fnmatchcase(wanted.lower(), pattern.lower()) for pattern, _ in actions)


def role_risk(documents: Iterable[Mapping[str, Any]]) -> str | None:
    """Why a role's policies are dangerous ("admin-equivalent", …), or None when they are not."""
    actions = allowed_actions(documents)
    if any(pattern == "*" and "*" in resources for pattern, resources in actions):
        return "admin-equivalent: Action * on Resource *"
    if can(actions, "iam:PassRole") and all(can(actions, a) for a in LAMBDA_WRITE):
        return "can escalate: iam:PassRole with lambda:CreateFunction/UpdateFunctionCode"
    if any(pattern.lower() in ("iam:*", "iam:*policy*") for pattern, _ in actions):
        return "can escalate: iam:*"
    granted = [a for a in ESCALATION_ACTIONS if can(actions, a)]
    if granted:
        return "can escalate: " + ", ".join(granted)
    return None
