"""Where Lambda calls go: a gap handler of ours, or moto followed by our fix-ups.

`HANDLERS` answers operations moto lacks or gets wrong per qualifier; `AFTER` corrects
moto's answer to AWS's shape. Both are explicit tables, one line per operation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response
from lambda_ir.emulator.lambda_state import LambdaContext

Handler = Callable[[LambdaContext, ApiCall], Response]
After = Callable[[LambdaContext, ApiCall, Response], Response]

HANDLERS: Mapping[str, Handler] = {}
AFTER: Mapping[str, tuple[After, ...]] = {}


def handle(ctx: LambdaContext, call: ApiCall) -> Response:
    """Answer one Lambda call: our handler, else moto, then every fix-up for the operation."""
    handler = HANDLERS.get(call.name)
    response = handler(ctx, call) if handler else ctx.forward(None)
    if response.status < 400:
        for fix in AFTER.get(call.name, ()):
            response = fix(ctx, call, response)
    return response
