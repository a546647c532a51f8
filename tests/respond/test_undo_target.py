"""`undo_target.in_place`: what each undo call sets, read as AWS answers it, is there or not.

Pure: the answers are shaped as `drift._plain` leaves a saved read (AWS's documented
shapes); the emulator-backed undo tests are in test_undo_drift.py.
"""

from __future__ import annotations

from typing import Any

from lambda_ir.respond.drift import _plain
from lambda_ir.respond.undo_target import in_place

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f"
LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:common-utils:2"


def _function(**configuration: Any) -> list[Any]:
    return _plain([{"Configuration": {"FunctionArn": ARN, **configuration}}])


def test_a_configuration_is_compared_as_the_call_sets_it() -> None:
    undo = {"FunctionName": "f", "Layers": [LAYER], "Environment": {"Variables": {"S": "1"}}}
    live = _function(
        Layers=[{"Arn": LAYER, "CodeSize": 277}], Environment={"Variables": {"S": "1"}}
    )
    assert in_place("lambda:UpdateFunctionConfiguration", undo, live)
    extra = _function(Layers=[{"Arn": LAYER}], Environment={"Variables": {"S": "1", "H": "x"}})
    assert not in_place("lambda:UpdateFunctionConfiguration", undo, extra)
    more = _function(Layers=[{"Arn": LAYER}, {"Arn": LAYER + "0"}], Environment=undo["Environment"])
    assert not in_place("lambda:UpdateFunctionConfiguration", undo, more)
    # no variables and no layers: a read leaves both out
    empty = {"FunctionName": "f", "Layers": [], "Environment": {"Variables": {}}}
    assert in_place("lambda:UpdateFunctionConfiguration", empty, _function(Runtime="python3.12"))


def test_a_reservation_and_its_absence() -> None:
    put = {"FunctionName": "f", "ReservedConcurrentExecutions": 5}
    assert in_place("lambda:PutFunctionConcurrency", put, [{"ReservedConcurrentExecutions": 5}])
    assert not in_place("lambda:PutFunctionConcurrency", put, [{"ReservedConcurrentExecutions": 0}])
    delete = {"FunctionName": "f"}
    assert in_place("lambda:DeleteFunctionConcurrency", delete, [{}])
    assert not in_place(
        "lambda:DeleteFunctionConcurrency", delete, [{"ReservedConcurrentExecutions": 0}]
    )
    # the function is gone: nothing is as the undo sets it
    assert not in_place("lambda:DeleteFunctionConcurrency", delete, ["error not-found"])


def test_an_alias_a_trigger_and_a_key_are_found_by_their_names() -> None:
    undo = {"FunctionName": "f", "Name": "live", "FunctionVersion": "2", "RoutingConfig": {}}
    aliases = [{"Aliases": [{"Name": "live", "FunctionVersion": "2"}, {"Name": "x"}]}]
    assert in_place("lambda:UpdateAlias", undo, aliases)
    weighted = {"AdditionalVersionWeights": {"1": 0.25}}
    assert not in_place("lambda:UpdateAlias", undo | {"RoutingConfig": weighted}, aliases)
    assert not in_place("lambda:UpdateAlias", undo | {"Name": "gone"}, aliases)
    enable = {"UUID": "u1", "Enabled": True}
    enabling = _plain([{"EventSourceMappings": [{"UUID": "u1", "State": "Enabling"}]}])
    assert in_place("lambda:UpdateEventSourceMapping", enable, enabling)
    disabled = [{"EventSourceMappings": [{"UUID": "u1", "State": "Disabled"}]}]
    assert not in_place("lambda:UpdateEventSourceMapping", enable, disabled)
    key = {"UserName": "u", "AccessKeyId": "AKIA1", "Status": "Active"}
    listed = [{"AccessKeyMetadata": [{"AccessKeyId": "AKIA1", "Status": "Inactive"}]}]
    assert not in_place("iam:UpdateAccessKey", key, listed)
    assert in_place("iam:UpdateAccessKey", key | {"Status": "Inactive"}, listed)


def test_an_inline_policy_and_its_absence() -> None:
    document = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*"}]}'
    put = {"RoleName": "r", "PolicyName": "p", "PolicyDocument": document}
    parsed = [
        {
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "*"}],
            }
        }
    ]
    assert in_place("iam:PutRolePolicy", put, parsed)
    encoded = [
        {"PolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"}
    ]
    assert not in_place("iam:PutRolePolicy", put, encoded)
    delete = {"RoleName": "r", "PolicyName": "p"}
    assert in_place("iam:DeleteRolePolicy", delete, ["error not-found"])
    assert not in_place("iam:DeleteRolePolicy", delete, parsed)


def test_what_cannot_be_judged_or_read_is_never_in_place() -> None:
    # AddPermission's statement and a recreated URL are left to the drift check
    grant = {"FunctionName": "f", "StatementId": "s", "Principal": "*"}
    assert not in_place("lambda:AddPermission", grant, [{"Policy": "{}"}])
    assert not in_place("lambda:PutFunctionConcurrency", {"FunctionName": "f"}, [])
    assert not in_place("lambda:DeleteFunctionConcurrency", {}, ["error throttled"])
