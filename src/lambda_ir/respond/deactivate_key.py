"""`deactivate-key=AKIA…`: set a leaked IAM access key Inactive (never delete it: it is evidence).

iam:GetAccessKeyLastUsed names the key's user; iam:ListAccessKeys gives its status;
iam:UpdateAccessKey sets Status=Inactive, which AWS enforces at once. The undo sets it Active
again. Temporary keys (`ASIA…`) cannot be deactivated: revoke the role's sessions instead.
"""

from __future__ import annotations

import re

from lambda_ir.respond.plan import Action, ActionInfo, AwsCall, Change
from lambda_ir.respond.target import PlanError, Target

INFO = ActionInfo(
    name="deactivate-key",
    summary="Set an IAM user's access key Inactive (never deleted).",
    permissions=("iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey"),
    value="AKIA…",
    repeatable=True,
)
_KEY_ID = re.compile(r"AKIA[A-Z0-9]{12,124}")


def plan(target: Target, value: str | None) -> list[Change]:
    """Nothing when the key is already Inactive."""
    key = (value or "").strip()
    if key.startswith("ASIA"):
        raise PlanError(f"{key} is a temporary key: use revoke-sessions on its role instead")
    if not _KEY_ID.fullmatch(key):
        raise PlanError("deactivate-key needs a long-term access key id: deactivate-key=AKIA…")
    used = target.read("iam", "GetAccessKeyLastUsed", {"AccessKeyId": key})
    user = used.get("UserName")
    if not user:
        raise PlanError(f"{key} belongs to no IAM user of this account")
    keys = target.read_all("iam", "ListAccessKeys", {"UserName": user}, "AccessKeyMetadata")
    status = next((k.get("Status") for k in keys if k.get("AccessKeyId") == key), None)
    if status is None:
        raise PlanError(f"{key} is not listed for user {user}")
    if status == "Inactive":
        return []
    where = {"UserName": user, "AccessKeyId": key}
    return [
        Change(
            INFO.name,
            f"access key {key} of user {user}: {status} -> Inactive",
            AwsCall("iam", "UpdateAccessKey", dict(where, Status="Inactive")),
            AwsCall("iam", "UpdateAccessKey", dict(where, Status=status)),
        )
    ]


ACTION = Action(INFO, plan)
