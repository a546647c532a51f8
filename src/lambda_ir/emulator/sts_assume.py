"""sts:AssumeRole as AWS refuses it, when IAM is enforced: no such role, or a trust policy
that does not name the caller.

moto issues a session for any role ARN, existing or not (tests that publish "from another
account" rely on that). With `enforce_iam` on, the emulator answers as AWS does: the role must
exist in its account (for every caller), and its trust policy must allow `sts:AssumeRole` to
the caller: `"AWS": "*"`, the caller's account id, `arn:aws:iam::<account>:root` or the
caller's own ARN, or (for a call an AWS service makes, `invoked_by`) that service principal;
`ExternalId` must equal a `sts:ExternalId` StringEquals condition when the trust policy has
one. Otherwise the answer is STS's `AccessDenied` (HTTP 403), which CloudTrail records. Other
conditions are not evaluated (a statement with one is skipped). As for identity policies
(`iam_enforce`), the emulator's admin and root keys are not held to trust policies: they
only need the role to exist.
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam.models import iam_backends

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response
from lambda_ir.emulator.iam_enforce import denied_response
from lambda_ir.emulator.identity import ADMIN_USER, PARTITION, Caller

ACTION = "sts:AssumeRole"


def check(call: ApiCall, caller: Caller) -> Response | None:
    """None when the caller may assume the role named in `call`; else STS's AccessDenied."""
    if call.service != "sts" or call.name != "AssumeRole":
        return None
    role_arn = str(call.params.get("RoleArn") or "")
    parts = role_arn.split(":")
    account = parts[4] if len(parts) > 5 else ""
    roles = iam_backends[account][PARTITION].roles.values() if account.isdigit() else []
    role = next((r for r in roles if r.arn == role_arn), None)
    external_id = call.params.get("ExternalId")
    if role is not None and (
        _privileged(caller)
        or trusts(role.assume_role_policy_document, caller, external_id, call.invoked_by)
    ):
        return None
    return denied_response("sts", caller, ACTION, role_arn, explicit=False)


def _privileged(caller: Caller) -> bool:
    identity = caller.user_identity
    if identity.get("type") == "Root":
        return True
    return identity.get("type") == "IAMUser" and caller.user_name == ADMIN_USER


def trusts(document: Any, caller: Caller, external_id: Any, service: str = "") -> bool:
    """True when a trust policy allows `caller` to assume the role (see the module doc)."""
    try:
        parsed = json.loads(document) if isinstance(document, str) else document
    except ValueError:
        return False
    statements = parsed.get("Statement", []) if isinstance(parsed, dict) else []
    names = {
        "*",
        caller.account_id,
        f"arn:{PARTITION}:iam::{caller.account_id}:root",
        str(caller.user_identity.get("arn", "")),
    }
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = _listed(statement.get("Action"))
        if not any(a in (ACTION, "sts:*", "*") for a in actions):
            continue
        principal = statement.get("Principal")
        if isinstance(principal, dict):
            allowed = _listed(principal.get("AWS"))
            allowed += _listed(principal.get("Service")) if service else []
        else:
            allowed = _listed(principal)
        if names.isdisjoint(allowed) and (not service or service not in allowed):
            continue
        if _condition_holds(statement.get("Condition"), external_id):
            return True
    return False


def _condition_holds(condition: Any, external_id: Any) -> bool:
    if not condition:
        return True
    if not isinstance(condition, dict) or set(condition) != {"StringEquals"}:
        return False  # a condition we do not evaluate: the statement does not apply
    wanted = condition["StringEquals"]
    if not isinstance(wanted, dict) or set(wanted) != {"sts:ExternalId"}:
        return False
    return external_id in _listed(wanted["sts:ExternalId"])


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
