"""RevisionId preconditions on updates of a function, which moto accepts and ignores.

UpdateFunctionConfiguration, UpdateFunctionCode and PublishVersion take an optional
RevisionId: AWS makes the call only when it is `$LATEST`'s RevisionId as GetFunction answers
it now, and otherwise answers PreconditionFailedException (HTTP 412) and changes nothing.
That is how a caller that planned from a read refuses to overwrite a change made since (a
secret rotated meanwhile). The RevisionId compared is the one every answer carries
(`lambda_settings.complete_configuration`: it changes whenever the configuration does).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, rest_error
from lambda_ir.emulator.lambda_settings import complete_configuration
from lambda_ir.emulator.lambda_state import LambdaContext, find_function, function_name_of

Handler = Callable[[LambdaContext, ApiCall], Response]
MISMATCH = (
    "The Revision Id provided does not match the latest Revision Id. "
    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
)


def forward(ctx: LambdaContext, _call: ApiCall) -> Response:
    """moto's answer, unchanged."""
    return ctx.forward(None)


def checked(handler: Handler) -> Handler:
    """`handler`, run only when the call names no RevisionId or `$LATEST`'s current one."""

    def handle(ctx: LambdaContext, call: ApiCall) -> Response:
        wanted = call.params.get("RevisionId")
        if wanted and wanted != latest_revision(ctx, call):
            return rest_error(412, "PreconditionFailedException", MISMATCH)
        return handler(ctx, call)

    return handle


def latest_revision(ctx: LambdaContext, call: ApiCall) -> str | None:
    """The RevisionId GetFunction answers now for `$LATEST` of the call's function, or None
    when there is no such function (moto then answers its own not-found)."""
    name, _ = function_name_of(str(call.params.get("FunctionName", "")))
    function = find_function(ctx, name, None)
    if function is None:
        return None
    # as moto answers GetFunction's Configuration: its JSON, read back
    config = json.loads(json.dumps(function.get_configuration()))
    return complete_configuration(ctx, config)
