"""Backdating: `LastModified`/`CreatedDate` follow the event time of the call that made them.

A scenario replays weeks of history in seconds by sending `x-lambda-ir-event-time`; the
CloudTrail record already carries that time, and so must the resource: a function's
`LastModified` is the time of the CreateFunction / UpdateFunctionCode /
UpdateFunctionConfiguration call that last changed `$LATEST` (moto never moves it after
creation), a published version's is the time of its PublishVersion, a layer version's
`CreatedDate` the time of its PublishLayerVersion. Times use AWS's format,
`2026-11-29T11:12:38.123+0000` (moto writes nanoseconds and `Z`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response
from lambda_ir.emulator.lambda_state import LambdaContext, find_function


def aws_time(moment: datetime) -> str:
    """A Lambda timestamp as AWS writes it: milliseconds and `+0000`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def stamp_function(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """After a create/update/publish: the changed version's LastModified is the call's time."""
    document = response.json()
    if not isinstance(document, dict) or "FunctionName" not in document:
        return response
    version = str(document.get("Version", "$LATEST"))
    found = find_function(ctx, str(document["FunctionName"]), version)
    if found is None:
        return response
    if call.name == "PublishVersion" and not _fresh(found.last_modified):
        return response  # nothing changed since the last publish: AWS returns that version
    found.last_modified = aws_time(call.event_time)
    document["LastModified"] = found.last_modified
    if call.name != "PublishVersion" and version != "$LATEST":  # created or updated with Publish
        latest = find_function(ctx, str(document["FunctionName"]), None)
        if latest is not None:
            latest.last_modified = found.last_modified
    return response.with_json(document)


def stamp_layer(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """After PublishLayerVersion: the layer version's CreatedDate is the call's time."""
    document = response.json()
    if not isinstance(document, dict) or "LayerVersionArn" not in document:
        return response
    parts = str(document["LayerVersionArn"]).split(":")
    layer = _layer(ctx, parts[6], parts[7]) if len(parts) == 8 else None
    if layer is None:
        return response
    layer.created_date = aws_time(call.event_time)
    document["CreatedDate"] = layer.created_date
    return response.with_json(document)


def _fresh(last_modified: Any) -> bool:
    """True for a time moto just wrote (its `Z` format), i.e. a version moto just published."""
    return str(last_modified).endswith("Z")


def _layer(ctx: LambdaContext, name: str, version: str) -> Any | None:
    try:
        return ctx.backend.get_layer_version(name, version)
    except Exception:  # moto raises its own not-found types
        return None
