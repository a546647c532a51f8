"""Make planned calls, one at a time, each recorded in the case's chain of custody.

A failed call (denied, throttled, conflicting) does not stop the others: its outcome says
why, and only applied calls get an undo. An error code listed in the call's `settled_by`
means the wanted state was already there: nothing changed, so nothing to undo.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from lambda_ir.aws import ClientFactory, call, classify
from lambda_ir.evidence import Case
from lambda_ir.evidence.custody import utc_now
from lambda_ir.redact import redact_document
from lambda_ir.respond.plan import AwsCall, Change
from lambda_ir.respond.target import caller_identity
from lambda_ir.respond.undo_target import in_place

# What a call sent with the RevisionId of the plan's read is refused for, and what to do.
CHANGED_SINCE = (
    "the function changed after the plan read it (someone updated it meanwhile): this change "
    "was not made, so that update stands. Look at the function, then run the command again: "
    "it plans from the function as it is then"
)
# Calls after which Lambda refuses the next update until LastUpdateStatus leaves InProgress.
_SETTLES_LATER = frozenset({"lambda:UpdateFunctionConfiguration"})


class Status(StrEnum):
    """What happened to one planned call."""

    APPLIED = "applied"
    SETTLED = "already-in-place"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the run stopped during the call: AWS may or may not have made it


@dataclass(frozen=True)
class Outcome:
    """One change and what its call did."""

    change: Change
    status: Status
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.change.to_json(), status=self.status.value, error=self.error)


def perform(
    case: Case,
    clients: ClientFactory,
    region: str,
    changes: Sequence[Change],
    *,
    run: str,
    undoing: bool = False,
) -> Iterator[Outcome]:
    """Run each change's call (its undo call when `undoing`), logging each to custody; each
    outcome is given as soon as its call is made, so a caller stopped between two calls
    (Ctrl-C) knows which were made. Each record names who made the call, where and from
    when (`caller`, `region`, `called_at`): the CloudTrail event it left is then known for
    the responder's own (`analyze.own_footprints.own_change_ids`)."""
    caller: str | None = None
    updated: set[str] = set()  # functions whose $LATEST this run's calls updated
    for change in changes:
        target = change.undo if undoing else change.call
        if target is None:
            continue
        if caller is None:
            caller = _caller(clients, region)
        target = _after_own_update(clients, region, change, target, updated)
        called_at = utc_now()
        outcome = _one(clients, region, change, target)
        if outcome.status is Status.APPLIED and target.api in _SETTLES_LATER:
            updated.add(str(target.params.get("FunctionName")))
        case.log(
            "contain-undo-call" if undoing else "contain-call",
            {
                "run": run,
                "action": change.action,
                "summary": change.summary,
                "api": target.api,
                "params": redact_document(dict(target.params)),
                "status": outcome.status.value,
                "error": outcome.error,
                "caller": caller,
                "region": region,
                "called_at": called_at,
            },
        )
        yield outcome


def _after_own_update(
    clients: ClientFactory, region: str, change: Change, target: AwsCall, updated: set[str]
) -> AwsCall:
    """A configuration update planned from a read's RevisionId (`Target.update_latest`),
    sent after this run updated the same function (`strip-layers` then `strip-env`): our own
    update gave `$LATEST` a new RevisionId (and another once Lambda finished it), so the
    call names the RevisionId read now, but only if what it changes is still as the plan
    read it (its undo's settings are there): a change made meanwhile by someone else keeps
    the plan's RevisionId, and AWS refuses the call."""
    name = str(target.params.get("FunctionName"))
    if "RevisionId" not in target.params or name not in updated or change.undo is None:
        return target
    try:
        now = call(clients.client("lambda", region), "GetFunction", {"FunctionName": name})
    except (ClientError, BotoCoreError):
        return target  # sent as planned: AWS decides
    revision = (now.get("Configuration") or {}).get("RevisionId")
    if not revision or not in_place(change.undo.api, change.undo.params, [now]):
        return target
    return replace(target, params=dict(target.params, RevisionId=str(revision)))


def _caller(clients: ClientFactory, region: str) -> str:
    """The ARN the calls are made as (sts:GetCallerIdentity), "" when it cannot be read."""
    return str(caller_identity(clients, region).get("Arn", ""))


def _one(clients: ClientFactory, region: str, change: Change, target: AwsCall) -> Outcome:
    client = clients.client(target.service, region)
    try:
        call(client, target.operation, dict(target.params))
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in target.settled_by:
            return Outcome(change, Status.SETTLED, classify(exc).text)
        if code == "PreconditionFailedException" and "RevisionId" in target.params:
            return Outcome(change, Status.FAILED, f"{classify(exc).text}; {CHANGED_SINCE}")
        return Outcome(change, Status.FAILED, classify(exc).text)
    except BotoCoreError as exc:
        return Outcome(change, Status.FAILED, classify(exc).text)
    if target.api in _SETTLES_LATER:
        return Outcome(change, Status.APPLIED, _wait_updated(client, target))
    return Outcome(change, Status.APPLIED)


def _wait_updated(client: Any, target: AwsCall) -> str:
    """Wait until Lambda finished the update (the next one would be refused meanwhile)."""
    try:
        client.get_waiter("function_updated_v2").wait(
            FunctionName=target.params["FunctionName"], WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
    except WaiterError as exc:
        return f"applied, but the update did not finish: {exc}"
    return ""
