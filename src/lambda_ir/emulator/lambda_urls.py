"""Function URLs, one config per qualifier (unqualified or an alias), and ListFunctionUrlConfigs.

moto keeps a single URL per function (a qualified create overwrites the unqualified one) and
has no ListFunctionUrlConfigs; AWS keeps one per qualifier, so all five calls are answered
here. URLs look like AWS's: `https://<32 chars>.lambda-url.<region>.on.aws/`.
"""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import UTC, datetime
from typing import Any

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_response, rest_error
from lambda_ir.emulator.lambda_paging import page_of
from lambda_ir.emulator.lambda_state import (
    LambdaContext,
    find_function,
    function_missing,
    key_for,
    not_found,
)

_FIELDS = ("FunctionUrl", "FunctionArn", "AuthType", "Cors", "CreationTime", "InvokeMode")


def create_url_config(ctx: LambdaContext, call: ApiCall) -> Response:
    """CreateFunctionUrlConfig: 409 if this qualifier already has one."""
    key = key_for(ctx, call)
    _, _, name, qualifier = key
    if qualifier and qualifier.isdigit():
        return rest_error(400, "InvalidParameterValueException", "Qualifier must be an alias name.")
    if find_function(ctx, name, qualifier) is None:
        return function_missing(ctx, name, qualifier)
    now = _now()
    config = {
        "FunctionUrl": f"https://{_url_id()}.lambda-url.{ctx.region}.on.aws/",
        "FunctionArn": _arn(ctx, name, qualifier),
        "AuthType": call.params.get("AuthType", "AWS_IAM"),
        "Cors": call.params.get("Cors") or {},
        "CreationTime": now,
        "LastModifiedTime": now,
        "InvokeMode": call.params.get("InvokeMode", "BUFFERED"),
    }
    with ctx.extras.lock:
        if key in ctx.extras.url_configs:
            return rest_error(
                409,
                "ResourceConflictException",
                f"Failed to create function url config for [functionArn = {config['FunctionArn']}]."
                " Error message:  FunctionUrlConfig exists for this Lambda function",
            )
        ctx.extras.url_configs[key] = config
    return json_response({k: config[k] for k in _FIELDS}, 201)


def get_url_config(ctx: LambdaContext, call: ApiCall) -> Response:
    """GetFunctionUrlConfig for exactly this qualifier."""
    key = key_for(ctx, call)
    with ctx.extras.lock:
        config = ctx.extras.url_configs.get(key)
    if config is None:
        return not_found("The resource you requested does not exist.")
    return json_response(dict(config))


def update_url_config(ctx: LambdaContext, call: ApiCall) -> Response:
    """UpdateFunctionUrlConfig: AuthType, Cors and InvokeMode of this qualifier's URL."""
    key = key_for(ctx, call)
    with ctx.extras.lock:
        config = ctx.extras.url_configs.get(key)
        if config is None:
            return not_found("The resource you requested does not exist.")
        for member in ("AuthType", "Cors", "InvokeMode"):
            if member in call.params:
                config[member] = call.params[member]
        config["LastModifiedTime"] = _now()
        answer = dict(config)
    return json_response(answer)


def delete_url_config(ctx: LambdaContext, call: ApiCall) -> Response:
    """DeleteFunctionUrlConfig for exactly this qualifier; 204, or 404 when there is none."""
    key = key_for(ctx, call)
    with ctx.extras.lock:
        if ctx.extras.url_configs.pop(key, None) is None:
            return not_found("The resource you requested does not exist.")
    return Response(204, (("x-amzn-RequestId", str(uuid.uuid4())),))


def list_url_configs(ctx: LambdaContext, call: ApiCall) -> Response:
    """ListFunctionUrlConfigs: every qualifier's URL of one function, paged by Marker."""
    _, _, name, _ = key_for(ctx, call)
    if find_function(ctx, name, None) is None:
        return function_missing(ctx, name)
    with ctx.extras.lock:
        configs = [
            dict(config)
            for (account, region, function, _), config in sorted(
                ctx.extras.url_configs.items(), key=lambda item: str(item[0][3] or "")
            )
            if (account, region, function) == (ctx.account_id, ctx.region, name)
        ]
    page = page_of(configs, call.params)
    if page is None:
        return rest_error(400, "InvalidParameterValueException", "Invalid Marker or MaxItems.")
    document: dict[str, Any] = {"FunctionUrlConfigs": page[0]}
    if page[1]:
        document["NextMarker"] = page[1]
    return json_response(document)


def _arn(ctx: LambdaContext, name: str, qualifier: str | None) -> str:
    arn = f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def _url_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
