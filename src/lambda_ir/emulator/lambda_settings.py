"""Function settings moto drops or lacks: LoggingConfig, recursion, runtime management,
code signing, provisioned concurrency and account settings, shaped as the API reference says.

LoggingConfig is kept per version (PublishVersion snapshots $LATEST's) and added to every
configuration Lambda returns; AWS always reports one (default: Text format, log group
`/aws/lambda/<name>`), as the real CloudTrail samples show.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_response, rest_error
from lambda_ir.emulator.lambda_state import (
    LambdaContext,
    QualifierKey,
    find_function,
    function_missing,
    key_for,
)

_LOGGING_MEMBERS = ("LogFormat", "ApplicationLogLevel", "SystemLogLevel", "LogGroup")


def keep_logging_config(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """Create/UpdateFunctionConfiguration: remember the LoggingConfig moto ignored.

    The setting belongs to $LATEST; CreateFunction with Publish=True answers with version 1,
    which gets the same setting.
    """
    requested = call.params.get("LoggingConfig")
    document = response.json()
    if isinstance(requested, dict) and isinstance(document, dict):
        answered = _doc_key(document)
        latest = (*answered[:3], None)
        with ctx.extras.lock:
            current = ctx.extras.logging.get(latest) or _default_logging(latest[2])
            merged = current | {k: v for k, v in requested.items() if k in _LOGGING_MEMBERS}
            if merged.get("LogFormat") == "JSON":  # AWS's levels for JSON logs default to INFO
                merged.setdefault("ApplicationLogLevel", "INFO")
                merged.setdefault("SystemLogLevel", "INFO")
            else:
                merged.pop("ApplicationLogLevel", None)
                merged.pop("SystemLogLevel", None)
            for key in {latest, answered}:
                ctx.extras.logging[key] = dict(merged)
    return add_logging_config(ctx, call, response)


def snapshot_logging_config(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """PublishVersion: the new version keeps $LATEST's LoggingConfig from now on."""
    document = response.json()
    if isinstance(document, dict):
        key = _doc_key(document)
        with ctx.extras.lock:
            latest = ctx.extras.logging.get((*key[:3], None))
            if latest is not None:
                ctx.extras.logging.setdefault(key, dict(latest))
    return add_logging_config(ctx, call, response)


def add_logging_config(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """Complete every function configuration in a Lambda response the way AWS answers it.

    Adds LoggingConfig, RevisionId (changes whenever the configuration does) and, for zip
    functions, RuntimeVersionConfig; drops the null and empty members AWS leaves out.
    """
    document = response.json()
    if not isinstance(document, dict):
        return response
    configs = []
    if "FunctionArn" in document:
        configs.append(document)
    if isinstance(document.get("Configuration"), dict):
        configs.append(document["Configuration"])
    for member in ("Functions", "Versions"):
        configs.extend(c for c in document.get(member) or [] if isinstance(c, dict))
    with ctx.extras.lock:
        for config in configs:
            key = _doc_key(config)
            config["LoggingConfig"] = dict(ctx.extras.logging.get(key) or _default_logging(key[2]))
            _complete(config)
    return response.with_json(document)


def _complete(config: dict[str, Any]) -> None:
    for member in [k for k, v in config.items() if v is None or (k == "Layers" and not v)]:
        del config[member]
    if config.get("PackageType", "Zip") == "Zip" and config.get("Runtime"):
        digest = hashlib.sha256(str(config["Runtime"]).encode()).hexdigest()
        region = str(config.get("FunctionArn", "")).split(":")[3:4] or [""]
        config["RuntimeVersionConfig"] = {
            "RuntimeVersionArn": f"arn:aws:lambda:{region[0]}::runtime:{digest}"
        }
    config.pop("RevisionId", None)
    stable = orjson.dumps(config, option=orjson.OPT_SORT_KEYS, default=str)
    config["RevisionId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, stable.decode()))


def recursion_config(ctx: LambdaContext, call: ApiCall) -> Response:
    """Get/PutFunctionRecursionConfig (default `Terminate`)."""
    key = key_for(ctx, call)
    if find_function(ctx, key[2], None) is None:
        return function_missing(ctx, key[2])
    with ctx.extras.lock:
        if call.name.startswith("Put"):
            ctx.extras.recursion[key] = str(call.params.get("RecursiveLoop", "Terminate"))
        loop = ctx.extras.recursion.get(key, "Terminate")
    return json_response({"RecursiveLoop": loop})


def runtime_management_config(ctx: LambdaContext, call: ApiCall) -> Response:
    """Get/PutRuntimeManagementConfig (default `Auto`; a version ARN only with `Manual`)."""
    key = key_for(ctx, call)
    function = find_function(ctx, key[2], key[3])
    if function is None:
        return function_missing(ctx, key[2], key[3])
    with ctx.extras.lock:
        if call.name.startswith("Put"):
            setting = {"UpdateRuntimeOn": call.params.get("UpdateRuntimeOn", "Auto")}
            if call.params.get("RuntimeVersionArn"):
                setting["RuntimeVersionArn"] = call.params["RuntimeVersionArn"]
            ctx.extras.runtime[key] = setting
        setting = dict(ctx.extras.runtime.get(key, {"UpdateRuntimeOn": "Auto"}))
    return json_response({**setting, "FunctionArn": _arn(ctx, key)})


def code_signing_config(ctx: LambdaContext, call: ApiCall) -> Response:
    """GetFunctionCodeSigningConfig: the function's code-signing config ARN ('' when none)."""
    key = key_for(ctx, call)
    function = find_function(ctx, key[2], None)
    if function is None:
        return function_missing(ctx, key[2])
    arn = function.code_signing_config_arn or ""
    return json_response({"CodeSigningConfigArn": arn, "FunctionName": key[2]})


def provisioned_concurrency(ctx: LambdaContext, call: ApiCall) -> Response:
    """Put/Get/Delete/ListProvisionedConcurrencyConfig(s) per version or alias."""
    key = key_for(ctx, call)
    if find_function(ctx, key[2], key[3]) is None:
        return function_missing(ctx, key[2], key[3])
    with ctx.extras.lock:
        store = ctx.extras.provisioned
        if call.name == "ListProvisionedConcurrencyConfigs":
            items = [
                {"FunctionArn": _arn(ctx, k), **v} for k, v in store.items() if k[:3] == key[:3]
            ]
            return json_response({"ProvisionedConcurrencyConfigs": items})
        if call.name == "PutProvisionedConcurrencyConfig":
            count = int(call.params.get("ProvisionedConcurrentExecutions", 0))
            store[key] = _provisioned(count)
            return json_response(store[key], 202)
        if call.name == "DeleteProvisionedConcurrencyConfig":
            store.pop(key, None)
            return Response(204, (("x-amzn-RequestId", str(uuid.uuid4())),))
        found = store.get(key)
    if found is None:
        return rest_error(
            404,
            "ProvisionedConcurrencyConfigNotFoundException",
            "No Provisioned Concurrency Config found for this function",
        )
    return json_response(found)


def account_settings(ctx: LambdaContext, call: ApiCall) -> Response:
    """GetAccountSettings: AWS's default limits and this account's usage in the region."""
    functions = list(ctx.backend.list_functions())
    total = sum(int(f.code_size or 0) for f in functions)
    reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
    return json_response(
        {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": 1000,
                "UnreservedConcurrentExecutions": 1000 - reserved,
            },
            "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(functions)},
        }
    )


def _provisioned(count: int) -> dict[str, Any]:
    return {
        "RequestedProvisionedConcurrentExecutions": count,
        "AvailableProvisionedConcurrentExecutions": count,
        "AllocatedProvisionedConcurrentExecutions": count,
        "Status": "READY",
        "LastModified": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
    }


def _doc_key(config: dict[str, Any]) -> QualifierKey:
    arn = str(config.get("FunctionArn", "")).split(":")
    version = str(config.get("Version", "$LATEST"))
    account, region = (arn[4], arn[3]) if len(arn) > 4 else ("", "")
    name = str(config.get("FunctionName", ""))
    return (account, region, name, None if version == "$LATEST" else version)


def _default_logging(name: str) -> dict[str, Any]:
    return {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}


def _arn(ctx: LambdaContext, key: QualifierKey) -> str:
    arn = f"arn:aws:lambda:{key[1]}:{key[0]}:function:{key[2]}"
    return f"{arn}:{key[3]}" if key[3] else arn
