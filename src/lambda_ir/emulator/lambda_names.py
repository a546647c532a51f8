"""A function named by partial ARN in a Lambda request path, read as Lambda reads it.

Lambda documents three forms of `FunctionName` for the operations whose path holds it
(GetFunction, GetFunctionConfiguration, GetPolicy, GetFunctionConcurrency, ListAliases, …):
the name (`my-function`, `my-function:v1`), the full ARN and the partial ARN
(`123456789012:function:my-function[:qualifier]`). moto splits a partial ARN on ':' (the
emulator's 500, ServiceException) or looks it up as a name, and reads a full ARN by its name
alone, whichever account it names (another account's ARN answered with the caller's function
of that name). Here a function of the caller's own account named by partial ARN is forwarded
by its name (and qualifier), a full ARN of the caller's account is moto's, and a partial or
full ARN of another account is not the caller's: ResourceNotFoundException, as for a missing
function (AWS answers AccessDenied for another account's function no resource policy shares
with the caller; the emulator shares none). Names in a body or query
(CreateEventSourceMapping, …) are moto's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response
from lambda_ir.emulator.lambda_state import not_found

PARTITION = "aws"


def by_name(account_id: str, call: ApiCall, environ: dict[str, Any]) -> ApiCall | Response:
    """The call as moto can answer it, or the 404 for another account's function.

    A partial ARN of the caller's account is replaced by `name[:qualifier]` in the request
    (`environ`'s path, which moto reads) and in the returned call (which our handlers read);
    the CloudTrail record keeps what the caller sent, as AWS's does.
    """
    value = call.params.get("FunctionName")
    at = _name_segment(call.path, value)
    if not isinstance(value, str) or at is None:
        return call
    parsed = _arn_parts(value)
    if parsed is None:
        return call
    account, name, qualifier = parsed
    if account != account_id:
        return not_found(f"Function not found: {function_arn(value, call.region, account_id)}")
    if value.startswith("arn:"):  # the caller's own function by full ARN: moto reads it
        return call
    plain = f"{name}:{qualifier}" if qualifier else name
    path = _with_segment(call.path, at, plain)
    environ["PATH_INFO"] = path
    for key in ("RAW_URI", "REQUEST_URI"):
        if key in environ:
            raw, mark, query = str(environ[key]).partition("?")
            environ[key] = _with_segment(raw, at, quote(plain, safe="")) + mark + query
    assert call.operation is not None  # a FunctionName was read from it
    params = dict(call.params, FunctionName=plain)
    return replace(call, path=path, operation=replace(call.operation, params=params))


def function_arn(value: str, region: str, account_id: str) -> str:
    """The ARN AWS reads a FunctionName as (and evaluates IAM policies against): a full ARN
    as given, a partial ARN (`account:function:name[:qualifier]`) in `region`, a name
    (`name[:qualifier]`) in `region` and the caller's `account_id`."""
    if value.startswith("arn:"):
        return value
    if _arn_parts(value) is not None:
        return f"arn:{PARTITION}:lambda:{region}:{value}"
    return f"arn:{PARTITION}:lambda:{region}:{account_id}:function:{value}"


def _name_segment(path: str, value: Any) -> int | None:
    """Where in the path's segments FunctionName is (after `functions`), or None."""
    segments = path.split("/")
    for at in range(1, len(segments)):
        if segments[at - 1] == "functions" and segments[at] == value:
            return at
    return None


def _with_segment(path: str, at: int, segment: str) -> str:
    segments = path.split("/")
    segments[at] = segment
    return "/".join(segments)


def _arn_parts(value: str) -> tuple[str, str, str | None] | None:
    """(account, name, qualifier) of `account:function:name[:qualifier]` or of a full ARN
    `arn:partition:lambda:region:account:function:name[:qualifier]`; None for a name
    (`name`, `name:qualifier`) or anything else."""
    parts = value.split(":")
    if len(parts) in (7, 8) and parts[0] == "arn" and parts[2] == "lambda":
        parts = parts[4:]
    if len(parts) not in (3, 4) or parts[1] != "function":
        return None
    if len(parts[0]) != 12 or not parts[0].isdigit():
        return None
    return parts[0], parts[2], parts[3] if len(parts) == 4 else None
