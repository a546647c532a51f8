"""Lambda resource-policy statements: who they let in, and the AddPermission that rebuilds one.

Lambda writes a statement for each AddPermission call (Principal as `*`, `{"Service": …}` or
`{"AWS": arn}`; Conditions for SourceAccount, SourceArn, PrincipalOrgID, EventSourceToken and
FunctionUrlAuthType). `add_permission_params` inverts that, so removing a statement can be
undone; a statement carrying anything else cannot be rebuilt exactly and says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ROOT = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):root")
_ACCOUNT_IN_ARN = re.compile(r"arn:aws[\w-]*:[\w-]*:[\w-]*:(\d{12}):")
# Condition (operator, key) -> AddPermission parameter. Keys compare case-insensitively.
_CONDITION_PARAMS = {
    ("StringEquals", "aws:sourceaccount"): "SourceAccount",
    ("StringEquals", "aws:principalorgid"): "PrincipalOrgID",
    ("StringEquals", "lambda:eventsourcetoken"): "EventSourceToken",
    ("StringEquals", "lambda:functionurlauthtype"): "FunctionUrlAuthType",
    ("ArnLike", "aws:sourcearn"): "SourceArn",
}


def principals(statement: Mapping[str, Any]) -> list[str]:
    """The statement's principals as strings: `*`, service names, ARNs or account ids."""
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return [principal]
    found: list[str] = []
    if isinstance(principal, Mapping):
        for value in principal.values():
            found.extend([value] if isinstance(value, str) else [str(v) for v in value or []])
    return found


def account_of(principal: str) -> str | None:
    """The account a principal belongs to (12 digits, root ARN, user or role ARN), or None."""
    if principal.isdigit() and len(principal) == 12:
        return principal
    match = _ROOT.fullmatch(principal) or re.match(
        r"arn:aws[\w-]*:(?:iam|sts)::(\d{12}):", principal
    )
    return match.group(1) if match else None


def outside_reason(statement: Mapping[str, Any], allowed: frozenset[str]) -> str | None:
    """Why a statement lets in someone outside `allowed` accounts, or None when it does not.

    `*` is public unless a condition pins the caller to an allowed source account (or a
    source ARN in one); service principals (`s3.amazonaws.com`) are left alone.
    """
    if statement.get("Effect", "Allow") != "Allow":
        return None
    for principal in principals(statement):
        if principal == "*":
            if _pinned_account(statement) in allowed:
                continue
            return "grants * (anyone)"
        if principal.endswith((".amazonaws.com", ".amazonaws.com.cn")):
            continue
        account = account_of(principal)
        if account not in allowed:
            return f"grants account {account or principal} outside the allow-list"
    return None


def _pinned_account(statement: Mapping[str, Any]) -> str | None:
    for operator, members in (statement.get("Condition") or {}).items():
        for key, value in (members or {}).items():
            if operator == "StringEquals" and key.lower() == "aws:sourceaccount":
                return str(value)
            if operator in ("ArnLike", "ArnEquals") and key.lower() == "aws:sourcearn":
                match = _ACCOUNT_IN_ARN.match(str(value))
                if match:
                    return match.group(1)
    return None


def add_permission_params(
    statement: Mapping[str, Any], function: str, qualifier: str | None
) -> dict[str, Any] | None:
    """The AddPermission parameters that recreate `statement`, or None if that is impossible."""
    found = principals(statement)
    action = statement.get("Action")
    if len(found) != 1 or not isinstance(action, str) or not statement.get("Sid"):
        return None
    principal = found[0]
    match = _ROOT.fullmatch(principal)
    params: dict[str, Any] = {
        "FunctionName": function,
        "StatementId": str(statement["Sid"]),
        "Action": action,
        "Principal": match.group(1) if match else principal,
    }
    if qualifier:
        params["Qualifier"] = qualifier
    for operator, members in (statement.get("Condition") or {}).items():
        for key, value in (members or {}).items():
            name = _CONDITION_PARAMS.get((operator, key.lower()))
            if name is None or not isinstance(value, str):
                return None
            params[name] = value
    return params
