"""`revoke-sessions`: deny the execution role's sessions issued before now, and
`revoke-role-sessions=ARN` the same for another role of the function's account.

What the IAM console's "Revoke active sessions" does: an inline policy `AWSRevokeOlderSessions`
denying everything when `aws:TokenIssueTime` is before the cutoff. Credentials stolen from the
function stop working; sessions Lambda issues after the cutoff work again. The function's own
running sandboxes hold old credentials too, so they fail until Lambda recycles them.

The cutoff is the moment the plan is made (with `--apply`, once the evidence is saved, so a
session issued meanwhile is denied too), rounded up to the next whole second (a session
issued in that second is denied too). A policy of that name already cutting off at or after
it is left as it is; an earlier one is replaced, keeping any other statement in it (only its
revocations: deny every action on every resource before a time, and nothing else). Cutoffs
are compared as times (ISO 8601 with an offset or fractions, or epoch seconds), not as text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
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


def revocation_cutoff(now: datetime) -> datetime:
    """The cutoff for sessions issued up to `now`: the next whole second (UTC). `DateLessThan`
    denies only what is strictly earlier, and a session issued in `now`'s own second, before
    it, must be denied too (cut at the second's start, it survived)."""
    return now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)


def revoke_document(cutoff: datetime) -> dict[str, Any]:
    """The console's revoke policy: deny everything to sessions issued before `cutoff`."""
    stamp = cutoff.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"Version": "2012-10-17", "Statement": [_statement(stamp)]}


def _statement(stamp: str) -> dict[str, Any]:
    return {
        "Effect": "Deny",
        "Action": ["*"],
        "Resource": ["*"],
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": stamp}},
    }


def cutoff_of(document: dict[str, Any] | None) -> datetime | None:
    """The latest cutoff of the document's revocations (statements denying every action on
    every resource to sessions issued before a time, and nothing else), or None if it has
    none. A deny of some actions only, or with another condition, revokes nothing whole."""
    cutoffs = [c for s in _statements(document) if (c := _revocation(s)) is not None]
    return max(cutoffs, default=None)


def _statements(document: dict[str, Any] | None) -> list[Any]:
    statements = (document or {}).get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _revocation(statement: Any) -> datetime | None:
    """The cutoff of a statement that revokes every session issued before it, else None."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
        return None
    if not (_everything(statement.get("Action")) and _everything(statement.get("Resource"))):
        return None
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or list(condition) != ["DateLessThan"]:
        return None
    test = condition["DateLessThan"]
    if not isinstance(test, dict) or list(test) != ["aws:TokenIssueTime"]:
        return None
    values = test["aws:TokenIssueTime"]
    # several values match when any does: the latest is the cutoff; one unreadable, none
    times = [_time(v) for v in (values if isinstance(values, list) else [values])]
    if not times or any(t is None for t in times):
        return None
    return max(t for t in times if t is not None)


def _everything(value: Any) -> bool:
    return value in ("*", ["*"])


def _time(value: Any) -> datetime | None:
    """An IAM date condition's value: ISO 8601 (offset or Z, with or without fractions) or
    epoch seconds, as a UTC datetime; None when it is neither."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    if re.fullmatch(r"\d+", text):
        try:
            return datetime.fromtimestamp(int(text), UTC)
        except (ValueError, OverflowError, OSError):  # past the year 9999: no time
            return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def plan(target: Target, _value: str | None) -> list[Change]:
    """Nothing when a revoke policy already cuts off at or after this plan's time (rounded up)."""
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
    """Nothing when the role's revoke policy already cuts off at or after ours. Otherwise
    ours, keeping the policy's other statements (a deny someone wrote there stays in force
    while contained): only its revocations are replaced."""
    previous = role_policy.current_document(target, role, POLICY_NAME)
    cutoff = revocation_cutoff(target.now)
    existing = cutoff_of(previous)
    if existing is not None and existing >= cutoff:
        return []
    wanted = revoke_document(cutoff)
    (revocation,) = wanted["Statement"]
    stamp = revocation["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    others = [s for s in _statements(previous) if _revocation(s) is None]
    document = {**(previous or {}), **wanted, "Statement": [revocation, *others]}
    kept = f", keeping its {len(others)} other statement(s)" if others else ""
    return [
        role_policy.put_change(
            action,
            f"role {role}: inline policy {POLICY_NAME} (deny sessions issued before {stamp}{kept})",
            role,
            POLICY_NAME,
            document,
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
