"""A function name in a Lambda request path checked against the constraints AWS documents.

Lambda validates each member against its API model before anything else, and answers a value
outside them with HTTP 400 `ValidationException`, `{"message": "1 validation error detected:
Value 'a b' at 'functionName' failed to satisfy constraint: Member must satisfy regular
expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?…"}`. The constraints are botocore's own
service model for `lambda` (2015-03-31): the operation's `FunctionName` member is one of the
shapes `FunctionName`, `NamespacedFunctionName`, `FunctionUrlFunctionName` and
`UnqualifiedFunctionName`, each a `pattern` and a length range. moto's routes did not match
such a path (a space, a line break or another control character in the name) and it answered
an HTML "404 Not Found" page, which no client reads as Lambda's answer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_response

MEMBER = "FunctionName"


def check(call: ApiCall, model: Any) -> Response | None:
    """Lambda's ValidationException for a path's FunctionName outside its shape's pattern or
    length (as many errors as constraints it fails), else None. Only the member named in
    the path: names in a body or query are moto's."""
    shape = model.operation_model(call.name).input_shape if call.name else None
    member = shape.members.get(MEMBER) if shape is not None else None
    value = call.params.get(MEMBER)
    if member is None or member.serialization.get("location") != "uri":
        return None
    if not isinstance(value, str):
        return None
    failed = _failed(value, member.metadata)
    if not failed:
        return None
    at = MEMBER[0].lower() + MEMBER[1:]  # AWS names the member in lowerCamelCase
    sent = _as_sent(value)
    errors = "; ".join(
        f"Value '{sent}' at '{at}' failed to satisfy constraint: Member must {constraint}"
        for constraint in failed
    )
    count = f"{len(failed)} validation error{'s' if len(failed) > 1 else ''} detected"
    response = json_response({"message": f"{count}: {errors}"}, 400)
    return replace(
        response, headers=(*response.headers, ("x-amzn-ErrorType", "ValidationException"))
    )


def _failed(value: str, constraints: dict[str, Any]) -> list[str]:
    """What `value` fails of a shape's `pattern`, `min` and `max`, in AWS's words."""
    failed = []
    pattern = constraints.get("pattern")
    # the whole value must match, as AWS (Java) matches: ASCII classes, no `$` before "\n"
    if pattern and re.fullmatch(pattern, value, flags=re.ASCII) is None:
        failed.append(f"satisfy regular expression pattern: {pattern}")
    if "min" in constraints and len(value) < int(constraints["min"]):
        failed.append(f"have length greater than or equal to {constraints['min']}")
    if "max" in constraints and len(value) > int(constraints["max"]):
        failed.append(f"have length less than or equal to {constraints['max']}")
    return failed


def _as_sent(value: str) -> str:
    """The value as the caller sent it: a WSGI path holds the URL's bytes as Latin-1
    (PEP 3333), so a name with `\u202e` in it reads `â\x80®` until decoded as UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:  # not bytes as a path holds them: the value as parsed
        return value
