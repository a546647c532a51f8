"""A function named by partial ARN (`123456789012:function:fn[:qualifier]`), as Lambda
documents FunctionName: the function, or ResourceNotFoundException for another account's
function and for a missing one (moto answered both with a 500, ServiceException), and for
another account's full ARN (moto answered it with the caller's function of that name)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_ir.emulator.client import client_config
from lambda_ir.emulator.server import Emulator
from tests.emulator.conftest import make_function

OTHER = "999999999999"


def test_a_partial_arn_of_the_callers_account_is_the_function(
    aws: Emulator, admin: Any, name: str
) -> None:
    lam = admin.client("lambda", config=client_config())
    arn = make_function(admin, name)["FunctionArn"]
    lam.add_permission(
        FunctionName=name, StatementId="open", Action="lambda:InvokeFunction", Principal="*"
    )
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=3)
    partial = f"{aws.account_id}:function:{name}"

    assert lam.get_function(FunctionName=partial)["Configuration"]["FunctionArn"] == arn
    assert lam.get_function_configuration(FunctionName=partial)["FunctionArn"] == arn
    policy = json.loads(lam.get_policy(FunctionName=partial)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["open"]
    concurrency = lam.get_function_concurrency(FunctionName=partial)
    assert concurrency["ReservedConcurrentExecutions"] == 3
    assert lam.list_aliases(FunctionName=partial)["Aliases"] == []
    versions = lam.list_versions_by_function(FunctionName=partial)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", version]
    qualified = lam.get_function_configuration(FunctionName=f"{partial}:{version}")
    assert qualified["Version"] == version and qualified["FunctionArn"] == f"{arn}:{version}"
    # CloudTrail records the name as the caller sent it
    sent = [
        r["requestParameters"]["functionName"]
        for r in aws.records()
        if r["eventName"].startswith("GetFunctionConfiguration")
        and name in str((r["requestParameters"] or {}).get("functionName"))
    ]
    assert partial in sent


@pytest.mark.parametrize(
    "named",
    [
        f"{OTHER}:function:{{name}}",
        f"{OTHER}:function:{{name}}:1",
        "{account}:function:{name}-missing",
        f"arn:aws:lambda:us-east-1:{OTHER}:function:{{name}}",
        f"arn:aws:lambda:us-east-1:{OTHER}:function:{{name}}:1",
    ],
)
def test_another_accounts_function_or_a_missing_one_is_not_found(
    aws: Emulator, admin: Any, name: str, named: str
) -> None:
    lam = admin.client("lambda", config=client_config())
    make_function(admin, name)
    function = named.format(name=name, account=aws.account_id)
    arn = function if function.startswith("arn:") else f"arn:aws:lambda:us-east-1:{function}"
    for read in (lam.get_function, lam.get_function_configuration, lam.get_policy):
        with pytest.raises(lam.exceptions.ResourceNotFoundException) as missing:
            read(FunctionName=function)
        assert f"Function not found: {arn}" in str(missing.value)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_concurrency(FunctionName=function)
    own = lam.get_function(FunctionName=name)["Configuration"]
    assert own["FunctionName"] == name
    # the caller's own function by full ARN is that function (moto answered another
    # account's ARN with it too)
    assert lam.get_function(FunctionName=own["FunctionArn"])["Configuration"] == own
