"""`deny-role`: attach an inline deny-all policy to the function's execution role.

An explicit Deny on `*` overrides every Allow, so the role's credentials (in the function and
wherever they were stolen to) can do nothing until the policy is removed. iam:PutRolePolicy
adds `lambda-ir-deny-all`; the undo deletes that inline policy (or restores an earlier one).
"""

from __future__ import annotations

from typing import Any

from lambda_ir.respond import role_policy
from lambda_ir.respond.plan import Action, ActionInfo, Change
from lambda_ir.respond.target import Target

INFO = ActionInfo(
    name="deny-role",
    summary="Attach an inline deny-all policy to the execution role.",
    permissions=role_policy.PERMISSIONS,
)
POLICY_NAME = "lambda-ir-deny-all"
DENY_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "LambdaIrContain", "Effect": "Deny", "Action": "*", "Resource": "*"}],
}


def plan(target: Target, _value: str | None) -> list[Change]:
    """Nothing when the role already carries exactly this deny-all policy."""
    role = role_policy.role_of(target)
    previous = role_policy.current_document(target, role, POLICY_NAME)
    if previous == DENY_ALL:
        return []
    return [
        role_policy.put_change(
            INFO.name,
            f"role {role}: inline policy {POLICY_NAME} (deny *)",
            role,
            POLICY_NAME,
            DENY_ALL,
            previous,
        )
    ]


ACTION = Action(INFO, plan)
