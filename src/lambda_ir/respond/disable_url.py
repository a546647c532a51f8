"""`disable-url`: delete every function URL config (unqualified and per alias).

lambda:ListFunctionUrlConfigs lists them all; lambda:DeleteFunctionUrlConfig removes each.
The configuration (auth type, CORS, invoke mode) is kept in the plan, and the undo creates it
again with lambda:CreateFunctionUrlConfig. AWS gives a recreated URL a new address: callers
of the old address do not come back.
"""

from __future__ import annotations

from typing import Any

from lambda_ir.model import FunctionRef
from lambda_ir.respond.plan import Action, ActionInfo, AwsCall, Change
from lambda_ir.respond.target import Target

INFO = ActionInfo(
    name="disable-url",
    summary="Delete every function URL config, keeping each configuration for the undo.",
    permissions=(
        "lambda:ListFunctionUrlConfigs",
        "lambda:DeleteFunctionUrlConfig",
        "lambda:CreateFunctionUrlConfig",
    ),
)
NEW_ADDRESS = "a recreated function URL gets a new address from AWS"


def plan(target: Target, _value: str | None) -> list[Change]:
    """One DeleteFunctionUrlConfig per URL config; nothing when there is none."""
    configs = target.read_all(
        "lambda", "ListFunctionUrlConfigs", {"FunctionName": target.name}, "FunctionUrlConfigs"
    )
    return [_deletion(target, config) for config in configs]


def _deletion(target: Target, config: dict[str, Any]) -> Change:
    qualifier = FunctionRef.from_arn(str(config["FunctionArn"])).qualifier
    where: dict[str, Any] = {"FunctionName": target.name}
    if qualifier:
        where["Qualifier"] = qualifier
    create = dict(where, AuthType=config.get("AuthType", "AWS_IAM"))
    if config.get("Cors"):
        create["Cors"] = config["Cors"]
    if config.get("InvokeMode"):
        create["InvokeMode"] = config["InvokeMode"]
    return Change(
        INFO.name,
        f"delete function URL {config.get('FunctionUrl', '')} "
        f"(auth {create['AuthType']}, {qualifier or 'unqualified'})",
        AwsCall("lambda", "DeleteFunctionUrlConfig", where, ("ResourceNotFoundException",)),
        AwsCall("lambda", "CreateFunctionUrlConfig", create, ("ResourceConflictException",)),
        NEW_ADDRESS,
    )


ACTION = Action(INFO, plan)
