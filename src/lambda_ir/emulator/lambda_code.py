"""Code packages: downloadable `Code.Location`/`Content.Location`, foreign layers, image digests.

moto keeps each version's zip in memory but hands out a fake AWS URL; here GetFunction (for
$LATEST, a version or an alias) and every layer-version answer point at
`{endpoint}/_emulator/blobs/<sha256>`, which returns exactly those bytes, so the download's
SHA-256 equals `CodeSha256`. Layers published in another account (with that account's
credentials) can be attached by ARN and keep their real ARN. Image functions report the
ECR image's digest when the image exists in the emulator's ECR.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from moto.awslambda.models import lambda_backends
from moto.ecr.models import ecr_backends

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_response, rest_error
from lambda_ir.emulator.lambda_state import (
    LambdaContext,
    find_function,
    function_name_of,
    is_alias,
    not_found,
)


def fix_get_function(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """GetFunction: a Location serving this qualifier's zip; alias ARN for alias qualifiers;
    a reserved concurrency of 0 reported (moto omits it)."""
    document = response.json()
    name, in_name = function_name_of(str(call.params.get("FunctionName", "")))
    qualifier = call.params.get("Qualifier") or in_name
    function = find_function(ctx, name, qualifier)
    if not isinstance(document, dict) or function is None:
        return response
    if function.package_type == "Image":
        uri = str(function.code.get("ImageUri", ""))
        document["Code"] = {
            "RepositoryType": "ECR",
            "ImageUri": uri,
            "ResolvedImageUri": f"{_repository_of(uri)}@sha256:{function.code_sha_256}",
        }
    else:
        document["Code"] = {
            "RepositoryType": "S3",
            "Location": ctx.blob_url(function.code_bytes, function.code_sha_256),
        }
    if function.reserved_concurrency == 0:  # moto drops a 0 (falsy); containment sets it
        document["Concurrency"] = {"ReservedConcurrentExecutions": 0}
    if is_alias(ctx, name, qualifier):
        config = document.get("Configuration", {})
        config["FunctionArn"] = f"{config['FunctionArn'].rsplit(':', 1)[0]}:{qualifier}"
    return response.with_json(document)


def fix_alias_arn(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """GetFunctionConfiguration by alias: AWS answers with the alias ARN (moto: the version's)."""
    document = response.json()
    name, in_name = function_name_of(str(call.params.get("FunctionName", "")))
    qualifier = call.params.get("Qualifier") or in_name
    if not isinstance(document, dict) or not is_alias(ctx, name, qualifier):
        return response
    document["FunctionArn"] = f"{str(document['FunctionArn']).rsplit(':', 1)[0]}:{qualifier}"
    return response.with_json(document)


def fix_layer_content(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """PublishLayerVersion/GetLayerVersion: `Content.Location` serving the layer's zip."""
    document = response.json()
    if not isinstance(document, dict) or "LayerVersionArn" not in document:
        return response
    layer = _layer_version(str(document["LayerVersionArn"]))
    if layer is None:
        return response
    document.setdefault("Content", {})["Location"] = ctx.blob_url(
        layer.code_bytes, layer.code_sha_256
    )
    return response.with_json(document)


def get_layer_version(ctx: LambdaContext, call: ApiCall) -> Response:
    """GetLayerVersion/GetLayerVersionByArn for layers of any account, as AWS answers them."""
    if call.name == "GetLayerVersionByArn":
        arn = str(call.params.get("Arn", ""))
    else:
        layer = str(call.params.get("LayerName", ""))
        base = layer if layer.startswith("arn:") else _layer_arn(ctx, layer)
        arn = f"{base}:{call.params.get('VersionNumber', '')}"
    found = _layer_version(arn)
    if found is None:
        return not_found("The resource you requested does not exist.")
    document = found.get_layer_version()
    document["Content"]["Location"] = ctx.blob_url(found.code_bytes, found.code_sha_256)
    return json_response(document)


def get_layer_version_policy(ctx: LambdaContext, call: ApiCall) -> Response:
    """GetLayerVersionPolicy by layer ARN, answered from the owning account's backend.

    moto looks only in the caller's account, so another account's shared layer (the case
    a responder meets: a function using a third-party layer) came back 404.
    """
    layer = str(call.params.get("LayerName", ""))
    parts = layer.split(":")
    if (
        len(parts) != 7
        or parts[5] != "layer"
        or (parts[4], parts[3])
        == (
            ctx.account_id,
            ctx.region,
        )
    ):
        return ctx.forward(None)
    found = _layer_version(f"{layer}:{call.params.get('VersionNumber', '')}")
    if found is None:
        return not_found("The resource you requested does not exist.")
    if not found.policy.statements:
        return not_found("No policy is associated with the given resource.")
    document = found.policy.get_policy()
    # Lambda returns the policy document as a JSON string inside the JSON answer.
    document["Policy"] = orjson.dumps(document["Policy"]).decode()
    return json_response(document)


def attach_layers(ctx: LambdaContext, call: ApiCall) -> Response:
    """CreateFunction/UpdateFunctionConfiguration with layers that live in other accounts.

    moto resolves layers only in the function's own account (and by name), so foreign ARNs
    are checked here, left out of what moto sees, and put back (with their real ARN and
    size) on the function once moto has accepted the rest.
    """
    layers = [str(arn) for arn in call.params.get("Layers") or []]
    foreign = [arn for arn in layers if _account_of(arn) not in ("", ctx.account_id)]
    if not foreign:
        return ctx.forward(None)
    body = orjson.loads(call.body or b"{}")
    missing = [arn for arn in foreign if _layer_version(arn) is None]
    if missing:
        return rest_error(
            400,
            "InvalidParameterValueException",
            f"Layer version {missing[0]} does not exist.",
        )
    body["Layers"] = [arn for arn in layers if arn not in foreign]
    response = ctx.forward(orjson.dumps(body))
    if response.status >= 400:
        return response
    name, _ = function_name_of(str(call.params.get("FunctionName") or body.get("FunctionName")))
    function = find_function(ctx, name, None)
    if function is None:
        return response
    function.layers = [_layer_entry(ctx, arn) for arn in layers]
    document = response.json()
    if isinstance(document, dict):
        document["Layers"] = function.layers
        # CreateFunction with Publish=True froze version 1 inside moto, before the layers
        # were put back: the version AWS publishes carries them too.
        version = str(document.get("Version") or "$LATEST")
        published = find_function(ctx, name, version) if version != "$LATEST" else None
        if published is not None and published is not function:
            published.layers = list(function.layers)
        return response.with_json(document)
    return response


def pin_image_digest(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """Image functions: CodeSha256 (and so ResolvedImageUri) is the ECR image's digest.

    Applied to $LATEST and every published version (CreateFunction/UpdateFunctionCode with
    Publish=True publish inside moto, before this runs), each from its own ImageUri.
    """
    document = response.json()
    if not isinstance(document, dict) or document.get("PackageType") != "Image":
        return response
    name = str(document.get("FunctionName", ""))
    latest = find_function(ctx, name, None)
    if latest is None:
        return response
    for function in [latest, *ctx.backend.list_versions_by_function(name)[1:]]:
        uri = str(function.code.get("ImageUri", ""))
        # Only moto's stand-in (the hash of the URI) is replaced: a pinned digest stays
        # pinned even if the tag later moves, as on AWS.
        if function.code_sha_256 != hashlib.sha256(uri.encode()).hexdigest():
            continue
        digest = _ecr_digest(ctx, uri)
        if digest:
            function.code_sha_256 = digest
    version = document.get("Version", "$LATEST")
    answered = find_function(ctx, name, None if version == "$LATEST" else str(version))
    if answered is not None:
        document["CodeSha256"] = answered.code_sha_256
    return response.with_json(document)


def isolate_versions(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """After a (possible) publish, give $LATEST its own `Code` dict, apart from its versions.

    moto's published version is a shallow copy sharing `Code` with $LATEST, so an image
    function's version 1 would report the newest ImageUri (and an S3 package the newest key).
    """
    document = response.json()
    if isinstance(document, dict):
        latest = find_function(ctx, str(document.get("FunctionName", "")), None)
        if latest is not None:
            latest.code = dict(latest.code)
    return response


def _ecr_digest(ctx: LambdaContext, uri: str) -> str:
    repository, _, tag = uri.rpartition("/")[2].partition(":")
    image_id = {"imageDigest": tag[7:]} if tag.startswith("sha256:") else {"imageTag": tag}
    if "@" in repository:
        repository, _, digest = repository.partition("@")
        image_id = {"imageDigest": digest}
    try:
        images = ecr_backends[ctx.account_id][ctx.region].batch_get_image(
            repository_name=repository, image_ids=[image_id]
        )["images"]
    except Exception:  # no such repository: keep moto's stand-in digest
        return ""
    return str(images[0].image_id["imageDigest"]).removeprefix("sha256:") if images else ""


def _layer_entry(ctx: LambdaContext, arn: str) -> dict[str, Any]:
    layer = _layer_version(arn)
    if layer is None:  # a local layer moto already validated
        layer = ctx.backend.layers_versions_by_arn(arn)
    return {"Arn": arn, "CodeSize": layer.code_size if layer is not None else 0}


def _layer_version(arn: str) -> Any | None:
    """moto's LayerVersion for a layer-version ARN in any account and region, or None."""
    parts = arn.split(":")
    if len(parts) != 8 or parts[5] != "layer" or not parts[7].isdigit():
        return None
    try:
        return lambda_backends[parts[4]][parts[3]].get_layer_version(parts[6], parts[7])
    except Exception:  # moto raises its own not-found types
        return None


def _layer_arn(ctx: LambdaContext, name: str) -> str:
    return f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:layer:{name}"


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _repository_of(uri: str) -> str:
    head, _, tail = uri.rpartition("/")
    return f"{head}/{tail.split(':')[0].split('@')[0]}" if head else uri.split(":")[0]
