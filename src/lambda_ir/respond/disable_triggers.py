"""`disable-triggers`: disable (never delete) the event-source mappings that invoke the function.

lambda:ListEventSourceMappings over the region (a mapping may target any version or alias),
kept when its FunctionArn names this function; lambda:UpdateEventSourceMapping with
Enabled=false stops polling and keeps the mapping, its position and settings. The undo
enables it again. Push triggers (S3, SNS, EventBridge) go through the resource policy or the
source's own configuration and are not touched here.
"""

from __future__ import annotations

from lambda_ir.model import FunctionRef
from lambda_ir.respond.plan import Action, ActionInfo, AwsCall, Change
from lambda_ir.respond.target import Target

INFO = ActionInfo(
    name="disable-triggers",
    summary="Disable (not delete) every event-source mapping of the function.",
    permissions=("lambda:ListEventSourceMappings", "lambda:UpdateEventSourceMapping"),
)
_STOPPED = ("Disabled", "Disabling", "Deleting")


def plan(target: Target, _value: str | None) -> list[Change]:
    """One UpdateEventSourceMapping per mapping of this function still enabled."""
    mappings = target.read_all("lambda", "ListEventSourceMappings", {}, "EventSourceMappings")
    changes = []
    for mapping in mappings:
        arn = str(mapping.get("FunctionArn", ""))
        if not arn or FunctionRef.from_arn(arn).name != target.name:
            continue
        if mapping.get("State") in _STOPPED:
            continue
        uuid = str(mapping["UUID"])
        changes.append(
            Change(
                INFO.name,
                f"disable mapping {uuid} from {mapping.get('EventSourceArn', '?')}",
                AwsCall("lambda", "UpdateEventSourceMapping", {"UUID": uuid, "Enabled": False}),
                AwsCall("lambda", "UpdateEventSourceMapping", {"UUID": uuid, "Enabled": True}),
            )
        )
    return changes


ACTION = Action(INFO, plan)
