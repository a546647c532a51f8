"""Lambda list pagination as AWS does it: at most 50 items a page, `Marker` → `NextMarker`.

Covers ListFunctions, ListVersionsByFunction, ListAliases, ListLayers and ListLayerVersions.
moto also lists no versions (instead of Lambda's 404) for a function that does not exist.

moto returns every function, version and alias in one page and ignores `MaxItems`, which
would hide paginator bugs in the collector. Here moto's full answer is cut into pages; the
marker is an opaque token holding the offset.
"""

from __future__ import annotations

import base64
from typing import Any

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, rest_error
from lambda_ir.emulator.lambda_state import (
    LambdaContext,
    find_function,
    function_missing,
    function_name_of,
)

PAGE_SIZE = 50
_LIST_MEMBER = {
    "ListFunctions": "Functions",
    "ListVersionsByFunction": "Versions",
    "ListAliases": "Aliases",
    "ListLayers": "Layers",
    "ListLayerVersions": "LayerVersions",
}


def list_versions(ctx: LambdaContext, call: ApiCall) -> Response:
    """ListVersionsByFunction: Lambda's ResourceNotFoundException 404 for a missing function."""
    name, _ = function_name_of(str(call.params.get("FunctionName", "")))
    if find_function(ctx, name, None) is None:
        return function_missing(ctx, name)
    return ctx.forward(None)


def paginate(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """Cut a complete moto list answer down to the page `Marker`/`MaxItems` ask for."""
    document = response.json()
    member = _LIST_MEMBER[call.name]
    if not isinstance(document, dict) or not isinstance(document.get(member), list):
        return response
    page = page_of(document[member], call.params)
    if page is None:
        return rest_error(400, "InvalidParameterValueException", "Invalid Marker or MaxItems.")
    items, next_marker = page
    document[member] = items
    document.pop("NextMarker", None)
    if next_marker:
        document["NextMarker"] = next_marker
    return response.with_json(document)


def page_of(items: list[Any], params: dict[str, Any]) -> tuple[list[Any], str | None] | None:
    """The page `Marker`/`MaxItems` select and the next marker; None when either is invalid."""
    start = decode_marker(params.get("Marker"))
    wanted = str(params.get("MaxItems") or PAGE_SIZE)
    if start is None or not wanted.isdigit() or int(wanted) < 1:
        return None
    size = min(int(wanted), PAGE_SIZE)
    following = encode_marker(start + size) if start + size < len(items) else None
    return items[start : start + size], following


def encode_marker(offset: int) -> str:
    """An opaque marker for the item at `offset`."""
    return base64.urlsafe_b64encode(f"lambda-ir:{offset}".encode()).decode()


def decode_marker(marker: object) -> int | None:
    """The offset inside a marker (0 when there is none), None when it is not ours."""
    if not marker:
        return 0
    try:
        text = base64.urlsafe_b64decode(str(marker)).decode()
    except ValueError:
        return None
    prefix, _, offset = text.partition(":")
    return int(offset) if prefix == "lambda-ir" and offset.isdigit() else None
