"""Lambda list pagination as AWS does it: at most 50 items a page, `Marker` → `NextMarker`.

Covers ListFunctions, ListVersionsByFunction, ListAliases, ListLayers and ListLayerVersions.

moto returns every function, version and alias in one page and ignores `MaxItems`, which
would hide paginator bugs in the collector. Here moto's full answer is cut into pages; the
marker is an opaque token holding the offset.
"""

from __future__ import annotations

import base64

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, rest_error
from lambda_ir.emulator.lambda_state import LambdaContext

PAGE_SIZE = 50
_LIST_MEMBER = {
    "ListFunctions": "Functions",
    "ListVersionsByFunction": "Versions",
    "ListAliases": "Aliases",
    "ListLayers": "Layers",
    "ListLayerVersions": "LayerVersions",
}


def paginate(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """Cut a complete moto list answer down to the page `Marker`/`MaxItems` ask for."""
    document = response.json()
    member = _LIST_MEMBER[call.name]
    if not isinstance(document, dict) or not isinstance(document.get(member), list):
        return response
    items = document[member]
    start = decode_marker(call.params.get("Marker"))
    if start is None:
        return rest_error(400, "InvalidParameterValueException", "Invalid Marker.")
    size = min(int(call.params.get("MaxItems") or PAGE_SIZE), PAGE_SIZE)
    document[member] = items[start : start + size]
    document.pop("NextMarker", None)
    if start + size < len(items):
        document["NextMarker"] = encode_marker(start + size)
    return response.with_json(document)


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
