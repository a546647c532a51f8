"""`throttle`: reserved concurrency 0, so Lambda runs no invocation of the function at all.

lambda:PutFunctionConcurrency with 0; the undo puts back the previous reservation, or
deletes the reservation when there was none (DeleteFunctionConcurrency removes only the
setting, never the function). Invocations already running finish; new ones are throttled.
"""

from __future__ import annotations

from lambda_ir.respond.plan import Action, ActionInfo, AwsCall, Change
from lambda_ir.respond.target import Target

INFO = ActionInfo(
    name="throttle",
    summary="Set reserved concurrency to 0: no new invocation runs.",
    permissions=(
        "lambda:GetFunctionConcurrency",
        "lambda:PutFunctionConcurrency",
        "lambda:DeleteFunctionConcurrency",
    ),
)


def plan(target: Target, _value: str | None) -> list[Change]:
    """Nothing when the reservation is already 0."""
    current = target.read("lambda", "GetFunctionConcurrency", {"FunctionName": target.name})
    reserved = current.get("ReservedConcurrentExecutions")
    if reserved == 0:
        return []
    if reserved is None:
        undo = AwsCall("lambda", "DeleteFunctionConcurrency", {"FunctionName": target.name})
        before = "no reservation"
    else:
        undo = AwsCall(
            "lambda",
            "PutFunctionConcurrency",
            {"FunctionName": target.name, "ReservedConcurrentExecutions": reserved},
        )
        before = f"reserved {reserved}"
    do = AwsCall(
        "lambda",
        "PutFunctionConcurrency",
        {"FunctionName": target.name, "ReservedConcurrentExecutions": 0},
    )
    return [Change(INFO.name, f"reserved concurrency: {before} -> 0", do, undo)]


ACTION = Action(INFO, plan)
