"""A FunctionName in a Lambda request path outside the pattern AWS documents is a 400
ValidationException naming the value, the member and the pattern, as AWS answers (moto's
routes did not match the path: an HTML "404 Not Found" page, read as no such API)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambda_ir.emulator.client import client_config
from lambda_ir.emulator.server import Emulator
from tests.emulator.conftest import make_function

# botocore's lambda model (2015-03-31), shapes `NamespacedFunctionName` (GetFunction) and
# `FunctionName` (GetFunctionConcurrency), as AWS's API reference documents FunctionName
NAMESPACED = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)
PLAIN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)


@pytest.mark.parametrize("suffix", ["\nFORGED", " x", "\tx", "\x1b[31m", "\u202ex", ":1:2"])
def test_a_function_name_outside_awss_pattern_is_a_validation_error(
    aws: Emulator, admin: Any, name: str, suffix: str
) -> None:
    lam = admin.client("lambda", config=client_config())
    make_function(admin, name)
    value = name + suffix
    for read, pattern in ((lam.get_function, NAMESPACED), (lam.get_function_concurrency, PLAIN)):
        with pytest.raises(ClientError) as raised:
            read(FunctionName=value)
        error = raised.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error["Error"]["Code"] == "ValidationException"
        assert error["Error"]["Message"] == (
            f"1 validation error detected: Value '{value}' at 'functionName' failed to "
            f"satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
        )
    [record] = [
        r
        for r in aws.records()
        if r["eventName"].startswith("GetFunction20")
        and (r["requestParameters"] or {}).get("functionName", "").startswith(name)
    ]
    assert record["errorCode"] == "ValidationException"  # refused, and recorded so
    # the function's own name, and its partial ARN, are as valid as before
    assert lam.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
    partial = f"{aws.account_id}:function:{name}"
    assert lam.get_function(FunctionName=partial)["Configuration"]["FunctionName"] == name


def test_a_function_name_longer_than_its_shape_allows_is_a_validation_error(
    admin: Any,
) -> None:
    lam = admin.client("lambda", config=client_config())
    value = "f" * 141
    with pytest.raises(ClientError) as raised:
        lam.get_function_concurrency(FunctionName=value)
    assert raised.value.response["Error"]["Message"] == (
        f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy "
        "constraint: Member must have length less than or equal to 140"
    )
