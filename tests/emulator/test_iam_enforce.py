"""IAM enforcement on demand: denials in each service's own shape, over boto3 and HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambda_ir.emulator.client import client_config, session_for
from lambda_ir.emulator.iam_enforce import evaluate
from lambda_ir.emulator.server import Emulator
from tests.emulator.conftest import make_function, make_role


def _user(admin: Any, aws: Emulator, name: str, *statements: dict[str, Any]) -> Any:
    """An IAM user with one inline policy of `statements`; a boto3 session acting as it."""
    iam = admin.client("iam", config=client_config())
    iam.create_user(UserName=name)
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return session_for(aws, key["AccessKeyId"], key["SecretAccessKey"])


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def test_explicit_deny_of_get_policy_is_lambdas_403(
    enforcing: Emulator, admin: Any, name: str
) -> None:
    make_function(admin, name)
    deny = {"Effect": "Deny", "Action": "lambda:GetPolicy", "Resource": "*"}
    user = _user(admin, enforcing, f"{name}-u", ALLOW_ALL, deny)
    lam = user.client("lambda", config=client_config())
    assert lam.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
    with pytest.raises(ClientError) as raised:
        lam.get_policy(FunctionName=name)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"]["Code"] == "AccessDeniedException"
    arn = f"arn:aws:lambda:us-east-1:{enforcing.account_id}:function:{name}"
    assert error["Error"]["Message"] == (
        f"User: arn:aws:iam::{enforcing.account_id}:user/{name}-u is not authorized to perform: "
        f"lambda:GetPolicy on resource: {arn} with an explicit deny in an identity-based policy"
    )
    [record] = [
        r
        for r in enforcing.records()
        if r["eventName"].startswith("GetPolicy")
        and r["userIdentity"].get("userName") == f"{name}-u"
    ]
    assert record["errorCode"] == "AccessDenied"
    assert "explicit deny" in record["errorMessage"]


def test_no_allow_is_an_implicit_deny_with_awss_wording(
    enforcing: Emulator, admin: Any, name: str
) -> None:
    make_function(admin, name)
    user = _user(
        admin, enforcing, f"{name}-u", {"Effect": "Allow", "Action": "lambda:Get*", "Resource": "*"}
    )
    lam = user.client("lambda", config=client_config())
    assert lam.get_function_configuration(FunctionName=name)["FunctionName"] == name
    with pytest.raises(ClientError) as raised:
        lam.list_versions_by_function(FunctionName=name)
    assert raised.value.response["Error"]["Message"].endswith(
        "because no identity-based policy allows the lambda:ListVersionsByFunction action"
    )


def test_a_function_named_by_partial_arn_is_evaluated_as_its_arn(
    enforcing: Emulator, admin: Any, name: str
) -> None:
    # the partial ARN was put after `function:` (…:function:123456789012:function:fn): a
    # policy on the function's ARN neither allowed nor denied it, and the denial named that
    make_function(admin, name)
    arn = f"arn:aws:lambda:us-east-1:{enforcing.account_id}:function:{name}"
    allow = {"Effect": "Allow", "Action": "lambda:Get*", "Resource": [arn, f"{arn}:*"]}
    deny = {"Effect": "Deny", "Action": "lambda:GetPolicy", "Resource": arn}
    lam = _user(admin, enforcing, f"{name}-u", allow, deny).client("lambda", config=client_config())
    partial = f"{enforcing.account_id}:function:{name}"
    assert lam.get_function(FunctionName=partial)["Configuration"]["FunctionArn"] == arn
    version = admin.client("lambda", config=client_config()).publish_version(FunctionName=name)
    qualified = lam.get_function_configuration(FunctionName=f"{partial}:{version['Version']}")
    assert qualified["Version"] == version["Version"]
    with pytest.raises(ClientError) as raised:
        lam.get_policy(FunctionName=partial)
    assert raised.value.response["Error"]["Message"].endswith(
        f"lambda:GetPolicy on resource: {arn} with an explicit deny in an identity-based policy"
    )


def test_iam_and_sts_denials_are_xml_access_denied(
    enforcing: Emulator, admin: Any, name: str
) -> None:
    make_role(admin, f"{name}-r")
    user = _user(
        admin, enforcing, f"{name}-u", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    )
    iam = user.client("iam", config=client_config())
    with pytest.raises(ClientError) as raised:
        iam.get_role(RoleName=f"{name}-r")
    error = raised.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (
        403,
        "AccessDenied",
    )
    assert (
        f"iam:GetRole on resource: arn:aws:iam::{enforcing.account_id}:role/{name}-r"
        in (error["Error"]["Message"])
    )
    sts = user.client("sts", config=client_config())
    assert sts.get_caller_identity()["Arn"].endswith(f":user/{name}-u")  # never denied


def test_assumed_role_is_held_to_the_roles_policies(
    enforcing: Emulator, admin: Any, name: str
) -> None:
    make_function(admin, name)
    iam = admin.client("iam", config=client_config())
    role_arn = make_role(admin, f"{name}-r")
    iam.put_role_policy(
        RoleName=f"{name}-r",
        PolicyName="read",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "lambda:List*", "Resource": "*"}],
            }
        ),
    )
    creds = admin.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="ir")["Credentials"]
    role = session_for(
        enforcing, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    )
    lam = role.client("lambda", config=client_config())
    assert any(f["FunctionName"] == name for f in lam.list_functions()["Functions"])
    with pytest.raises(ClientError) as raised:
        lam.get_function(FunctionName=name)
    assert (
        f":assumed-role/{name}-r/ir is not authorized" in raised.value.response["Error"]["Message"]
    )


def test_admin_keys_stay_allowed(enforcing: Emulator, admin: Any, name: str) -> None:
    make_function(admin, name)
    lam = admin.client("lambda", config=client_config())
    assert lam.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name


def test_evaluation_rules() -> None:
    allow = {"Effect": "Allow", "Action": ["lambda:Get*"], "Resource": "arn:aws:lambda:*"}
    doc = {"Statement": [allow]}
    assert evaluate([doc], "lambda:getfunction", "arn:aws:lambda:us-east-1:1:function:f").allowed
    assert not evaluate([doc], "lambda:GetFunction", "*").allowed
    assert not evaluate([doc], "lambda:ListFunctions", "arn:aws:lambda:x").allowed
    deny = {"Effect": "Deny", "NotAction": "lambda:GetFunction", "Resource": "*"}
    both = [doc, json.dumps({"Statement": deny})]
    assert evaluate(both, "lambda:GetFunction", "arn:aws:lambda:r").allowed
    decision = evaluate(both, "lambda:GetPolicy", "arn:aws:lambda:r")
    assert not decision.allowed and decision.explicit_deny
