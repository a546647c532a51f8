"""Event-source mappings on their way to a state, as Lambda shows them.

Lambda moves a mapping through a transitional state before it settles: `Creating` after
CreateEventSourceMapping, `Enabling` / `Disabling` after UpdateEventSourceMapping sets
`Enabled`, `Updating` after one that changes other settings (AWS's `State` values in the API
reference). moto settles at once. With `LambdaExtras.mapping_settle_seconds` above 0 (0 by
default: moto's behaviour, which the rest of the tests rely on), the call's answer and every
Get/ListEventSourceMappings within that many seconds show the transitional state instead of
the settled one; a test of code that must wait for a mapping to settle sets it.
"""

from __future__ import annotations

import time

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response
from lambda_ir.emulator.lambda_state import LambdaContext


def start_settling(ctx: LambdaContext, call: ApiCall, response: Response) -> Response:
    """Create/UpdateEventSourceMapping: the mapping is in its transitional state for a while."""
    seconds = ctx.extras.mapping_settle_seconds
    document = response.json()
    if not isinstance(document, dict) or "UUID" not in document:
        return response
    if seconds <= 0:  # settled at once: whatever it was on its way to before is over
        with ctx.extras.lock:
            ctx.extras.mapping_settling.pop(str(document["UUID"]), None)
        return response
    if call.name == "CreateEventSourceMapping":
        passing = "Creating"
    elif "Enabled" in call.params:
        passing = "Enabling" if call.params["Enabled"] else "Disabling"
    else:
        passing = "Updating"
    with ctx.extras.lock:
        ctx.extras.mapping_settling[str(document["UUID"])] = (time.monotonic() + seconds, passing)
    return show_settling(ctx, call, response)


def show_settling(ctx: LambdaContext, _call: ApiCall, response: Response) -> Response:
    """Any answer holding mappings: those still settling show their transitional state."""
    if not ctx.extras.mapping_settling:
        return response
    document = response.json()
    if not isinstance(document, dict):
        return response
    listed = document.get("EventSourceMappings")
    mappings = listed if isinstance(listed, list) else [document]
    now = time.monotonic()
    with ctx.extras.lock:
        settling = dict(ctx.extras.mapping_settling)
    changed = False
    for mapping in mappings:
        found = settling.get(str(mapping.get("UUID", ""))) if isinstance(mapping, dict) else None
        if found is not None and found[0] > now:
            mapping["State"] = found[1]
            changed = True
    return response.with_json(document) if changed else response
