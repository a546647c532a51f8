"""`disable-triggers`: disable (never delete) the event-source mappings that invoke the function.

lambda:ListEventSourceMappings over the region (a mapping may target any version or alias),
kept when its FunctionArn names this function; lambda:UpdateEventSourceMapping with
Enabled=false stops polling and keeps the mapping, its position and settings. The undo
enables it again. Push triggers (S3, SNS, EventBridge) go through the resource policy or the
source's own configuration and are not touched here.

A mapping on its way to a state (`Creating`, `Enabling`, `Updating`: nothing in the answer
says whether it will end enabled) is read again (lambda:GetEventSourceMapping) until it
settles, for up to SETTLE_WAIT in all (the mappings of one plan share the wait: five on their
way took five minutes one after another): one that ends disabled is left alone, as is its
undo; one still on its way then is disabled all the same (it may be about to run), and the
plan says that its undo enables it. A dry run waits for nothing: it plans the mapping as
listed, on its way, and --apply (which plans again) checks it.
"""

from __future__ import annotations

import time

from lambda_ir.model import FunctionRef
from lambda_ir.respond.plan import Action, ActionInfo, AwsCall, Change
from lambda_ir.respond.target import Target

INFO = ActionInfo(
    name="disable-triggers",
    summary="Disable (not delete) every event-source mapping of the function.",
    permissions=(
        "lambda:ListEventSourceMappings",
        "lambda:GetEventSourceMapping",
        "lambda:UpdateEventSourceMapping",
    ),
)
_STOPPED = ("Disabled", "Disabling", "Deleting")
_ON_THE_WAY = ("Creating", "Enabling", "Updating")
SETTLE_WAIT = 60.0  # seconds
SETTLE_POLL = 2.0  # seconds between reads of a mapping on its way


def plan(target: Target, _value: str | None) -> list[Change]:
    """One UpdateEventSourceMapping per mapping of this function still enabled."""
    mappings = target.read_all("lambda", "ListEventSourceMappings", {}, "EventSourceMappings")
    changes = []
    deadline = time.monotonic() + SETTLE_WAIT  # for every mapping of the plan at once
    for mapping in mappings:
        arn = str(mapping.get("FunctionArn", ""))
        if not arn or FunctionRef.from_arn(arn).name != target.name:
            continue
        uuid = str(mapping["UUID"])
        state = str(mapping.get("State", ""))
        if state in _ON_THE_WAY and not target.dry_run:
            state = _settled(target, uuid, state, deadline)
        if state in _STOPPED:
            continue
        note = ""
        if state in _ON_THE_WAY:
            note = (
                f" ({state}: on its way, re-checked at --apply)"
                if target.dry_run
                else f" (still {state} after {SETTLE_WAIT:.0f} s: its undo enables it)"
            )
        changes.append(
            Change(
                INFO.name,
                f"disable mapping {uuid} from {mapping.get('EventSourceArn', '?')}{note}",
                AwsCall("lambda", "UpdateEventSourceMapping", {"UUID": uuid, "Enabled": False}),
                AwsCall("lambda", "UpdateEventSourceMapping", {"UUID": uuid, "Enabled": True}),
            )
        )
    return changes


def _settled(target: Target, uuid: str, state: str, deadline: float) -> str:
    """The mapping's state once it left `state`'s kind, or as it is at `deadline` ("Deleting"
    once gone). Read once more when the deadline has passed already (another mapping of the
    plan used the wait): what the listing said may have changed since."""
    while state in _ON_THE_WAY:
        left = deadline - time.monotonic()
        if left > 0:
            time.sleep(min(SETTLE_POLL, left))
        found = target.read("lambda", "GetEventSourceMapping", {"UUID": uuid}, missing=None)
        state = "Deleting" if found is None else str(found.get("State", ""))
        if left <= 0:
            break
    return state


ACTION = Action(INFO, plan)
