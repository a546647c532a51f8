"""Resource-based policies per qualifier, with AWS semantics.

AWS keeps one policy per function *qualifier*: `GetPolicy(Qualifier="live")` returns only the
statements added with `Qualifier="live"`, and the unqualified call only the unqualified ones.
moto merges them all, so AddPermission/GetPolicy/RemovePermission are answered here.
Statements are built the way Lambda builds them (Principal forms, Conditions for SourceArn,
SourceAccount, PrincipalOrgID, EventSourceToken and FunctionUrlAuthType).
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_response, rest_error
from lambda_ir.emulator.lambda_state import (
    LambdaContext,
    QualifierKey,
    find_function,
    function_missing,
    function_name_of,
    key_for,
    not_found,
)


def add_permission(ctx: LambdaContext, call: ApiCall) -> Response:
    """AddPermission: store the statement under its qualifier; 409 on a duplicate Sid."""
    key = key_for(ctx, call)
    _, _, name, qualifier = key
    if find_function(ctx, name, qualifier) is None:
        return function_missing(ctx, name, qualifier)
    sid = str(call.params.get("StatementId", ""))
    statement = build_statement(ctx, name, qualifier, call.params)
    with ctx.extras.lock:
        statements = ctx.extras.policies.setdefault(key, [])
        if any(existing["Sid"] == sid for existing in statements):
            return rest_error(
                409,
                "ResourceConflictException",
                f"The statement id ({sid}) provided already exists. Please provide a new "
                "statement id, or remove the existing statement.",
            )
        statements.append(statement)
        ctx.extras.policy_revisions[key] = str(uuid.uuid4())
    return json_response({"Statement": orjson.dumps(statement).decode()}, 201)


def get_policy(ctx: LambdaContext, call: ApiCall) -> Response:
    """GetPolicy: only this qualifier's statements; 404 when it has none."""
    key = key_for(ctx, call)
    _, _, name, qualifier = key
    if find_function(ctx, name, qualifier) is None:
        return function_missing(ctx, name, qualifier)
    with ctx.extras.lock:
        statements = list(ctx.extras.policies.get(key, []))
        revision = ctx.extras.policy_revisions.get(key, "")
    if not statements:
        return not_found("The resource you requested does not exist.")
    policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
    return json_response({"Policy": orjson.dumps(policy).decode(), "RevisionId": revision})


def remove_permission(ctx: LambdaContext, call: ApiCall) -> Response:
    """RemovePermission: drop the Sid from this qualifier's policy; 404 if it is not there."""
    key = key_for(ctx, call)
    _, _, name, qualifier = key
    if find_function(ctx, name, qualifier) is None:
        return function_missing(ctx, name, qualifier)
    sid = str(call.params.get("StatementId", ""))
    with ctx.extras.lock:
        statements = ctx.extras.policies.get(key, [])
        kept = [s for s in statements if s["Sid"] != sid]
        if len(kept) == len(statements):
            return not_found(f"Statement {sid} is not found in resource policy.")
        ctx.extras.policies[key] = kept
        ctx.extras.policy_revisions[key] = str(uuid.uuid4())
    return Response(204, (("x-amzn-RequestId", str(uuid.uuid4())),))


def forget_function(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """DeleteFunction: drop policies, URL configs and settings of what was deleted."""
    _, _, name, qualifier = key_for(ctx, call)
    with ctx.extras.lock:
        for store in _stores(ctx):
            for key in [k for k in store if _covers(k, ctx, name, qualifier)]:
                del store[key]
    return response


def forget_alias(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """DeleteAlias: the alias's own policy, URL config and settings go with it."""
    name, _ = function_name_of(str(call.params.get("FunctionName", "")))
    alias = str(call.params.get("Name", ""))
    with ctx.extras.lock:
        for store in _stores(ctx):
            for key in [k for k in store if _covers(k, ctx, name, alias)]:
                del store[key]
    return response


def _stores(ctx: LambdaContext) -> tuple[dict[QualifierKey, Any], ...]:
    extras = ctx.extras
    return (
        extras.policies,
        extras.url_configs,
        extras.logging,
        extras.recursion,
        extras.runtime,
        extras.provisioned,
    )


def _covers(key: QualifierKey, ctx: LambdaContext, name: str, qualifier: str | None) -> bool:
    same = key[:3] == (ctx.account_id, ctx.region, name)
    return same and (qualifier is None or key[3] == qualifier)


def build_statement(
    ctx: LambdaContext, name: str, qualifier: str | None, params: dict[str, Any]
) -> dict[str, Any]:
    """The policy statement Lambda writes for an AddPermission request."""
    resource = f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:function:{name}"
    if qualifier:
        resource += f":{qualifier}"
    statement: dict[str, Any] = {
        "Sid": str(params.get("StatementId", "")),
        "Effect": "Allow",
        "Principal": _principal(str(params.get("Principal", ""))),
        "Action": str(params.get("Action", "")),
        "Resource": resource,
    }
    condition: dict[str, dict[str, str]] = {}
    if params.get("SourceAccount"):
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
    if params.get("PrincipalOrgID"):
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
    if params.get("EventSourceToken"):
        condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = params[
            "EventSourceToken"
        ]
    if params.get("FunctionUrlAuthType"):
        condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = params[
            "FunctionUrlAuthType"
        ]
    if params.get("SourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": params["SourceArn"]}
    if condition:
        statement["Condition"] = condition
    return statement


def _principal(principal: str) -> str | dict[str, str]:
    if principal == "*":
        return "*"
    if principal.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        return {"Service": principal}
    if principal.isdigit():
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    return {"AWS": principal}
