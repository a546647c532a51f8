"""Function settings moto drops or lacks: LoggingConfig, recursion, runtime management,
code signing (configs, which functions use them), provisioned concurrency and account
settings, shaped as the API reference says.

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
from lambda_ir.emulator.lambda_paging import page_of
from lambda_ir.emulator.lambda_state import (
    LambdaContext,
    QualifierKey,
    find_function,
    function_missing,
    is_alias,
    key_for,
    not_found,
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
    for config in configs:
        complete_configuration(ctx, config)
    return response.with_json(document)


def complete_configuration(ctx: LambdaContext, config: dict[str, Any]) -> str:
    """Complete one function configuration as AWS answers it (in place); its RevisionId."""
    with ctx.extras.lock:
        key = _doc_key(config)
        config["LoggingConfig"] = dict(ctx.extras.logging.get(key) or _default_logging(key[2]))
    _complete(config)
    return str(config["RevisionId"])


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
    """Get/Put/DeleteFunctionCodeSigningConfig: the config ARN a function uses ('' when none).

    The attachment lives on moto's function (CreateFunction's `CodeSigningConfigArn`); Put
    needs an existing config in the region, as AWS checks.
    """
    key = key_for(ctx, call)
    function = find_function(ctx, key[2], None)
    if function is None:
        return function_missing(ctx, key[2])
    if call.name.startswith("Put"):
        arn = str(call.params.get("CodeSigningConfigArn", ""))
        with ctx.extras.lock:
            if arn not in ctx.extras.signing_configs:
                return not_found(f"Code signing config not found: {arn}")
        function.code_signing_config_arn = arn
    elif call.name.startswith("Delete"):
        function.code_signing_config_arn = None
        return Response(204, (("x-amzn-RequestId", str(uuid.uuid4())),))
    arn = function.code_signing_config_arn or ""
    return json_response({"CodeSigningConfigArn": arn, "FunctionName": key[2]})


def signing_configs(ctx: LambdaContext, call: ApiCall) -> Response:
    """Create/Get/ListCodeSigningConfig(s), shaped as the API reference's `CodeSigningConfig`."""
    with ctx.extras.lock:
        if call.name == "CreateCodeSigningConfig":
            config = _new_signing_config(ctx, call.params)
            ctx.extras.signing_configs[config["CodeSigningConfigArn"]] = config
            return json_response({"CodeSigningConfig": config}, 201)
        if call.name == "GetCodeSigningConfig":
            found = ctx.extras.signing_configs.get(str(call.params.get("CodeSigningConfigArn")))
            if found is None:
                return not_found("Code signing config not found.")
            return json_response({"CodeSigningConfig": found})
        prefix = f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:code-signing-config:"
        configs = [v for k, v in sorted(ctx.extras.signing_configs.items()) if k.startswith(prefix)]
    return _paged(call, "CodeSigningConfigs", configs)


def functions_by_signing_config(ctx: LambdaContext, call: ApiCall) -> Response:
    """ListFunctionsByCodeSigningConfig: unqualified ARNs of the functions using the config."""
    arn = str(call.params.get("CodeSigningConfigArn", ""))
    with ctx.extras.lock:
        if arn not in ctx.extras.signing_configs:
            return not_found(f"Code signing config not found: {arn}")
    names = sorted(
        str(f.function_name)
        for f in ctx.backend.list_functions()
        if f.code_signing_config_arn == arn
    )
    arns = [_arn(ctx, (ctx.account_id, ctx.region, name, None)) for name in names]
    return _paged(call, "FunctionArns", arns)


def _new_signing_config(ctx: LambdaContext, params: dict[str, Any]) -> dict[str, Any]:
    # AWS's ids are `csc-` and 17 lower-case letters or digits.
    config_id = "csc-" + uuid.uuid4().hex[:17]
    policies = params.get("CodeSigningPolicies") or {}
    return {
        "CodeSigningConfigId": config_id,
        "CodeSigningConfigArn": (
            f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:code-signing-config:{config_id}"
        ),
        "Description": str(params.get("Description", "")),
        "AllowedPublishers": params.get("AllowedPublishers") or {"SigningProfileVersionArns": []},
        "CodeSigningPolicies": {
            "UntrustedArtifactOnDeployment": policies.get("UntrustedArtifactOnDeployment", "Warn")
        },
        "LastModified": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
    }


def _paged(call: ApiCall, member: str, items: list[Any]) -> Response:
    page = page_of(items, call.params)
    if page is None:
        return rest_error(400, "InvalidParameterValueException", "Invalid Marker or MaxItems.")
    document: dict[str, Any] = {member: page[0]}
    if page[1]:
        document["NextMarker"] = page[1]
    return json_response(document)


def provisioned_concurrency(ctx: LambdaContext, call: ApiCall) -> Response:
    """Put/Get/Delete/ListProvisionedConcurrencyConfig(s) per version or alias.

    Put refuses $LATEST and an alias to $LATEST: AWS allocates provisioned concurrency only
    to a published version or an alias of one (PutProvisionedConcurrencyConfig reference).
    """
    key = key_for(ctx, call)
    if find_function(ctx, key[2], key[3]) is None:
        return function_missing(ctx, key[2], key[3])
    if call.name == "PutProvisionedConcurrencyConfig" and _unpublished(ctx, key):
        return rest_error(
            400,
            "InvalidParameterValueException",
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
        )
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


def _unpublished(ctx: LambdaContext, key: QualifierKey) -> bool:
    if key[3] is None:
        return True
    if not is_alias(ctx, key[2], key[3]):
        return False
    return str(ctx.backend.get_alias(key[3], key[2]).function_version) == "$LATEST"


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
