"""moto's IAM backends without the repeated costs (`emulator/iam_managed.py`): every account
still has every AWS managed policy as its own objects (attaching in one account leaves
another's count alone), and a request's key finds its account without building the IAM
backends of the other partitions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import iam_backends

from lambda_ir.emulator.client import client_config, session_for
from lambda_ir.emulator.server import Emulator

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


def _aws_policies(iam: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in iam.get_paginator("list_policies").paginate(Scope="AWS"):
        found.extend(page["Policies"])
    return found


def _attachments(iam: Any) -> int:
    return int(iam.get_policy(PolicyArn=ADMIN_POLICY)["Policy"]["AttachmentCount"])


def test_each_account_has_every_managed_policy_as_its_own(
    aws: Emulator, admin: Any, name: str
) -> None:
    iam = admin.client("iam", config=client_config())
    assert len(_aws_policies(iam)) == len(json.loads(aws_managed_policies_data))
    version = iam.get_policy(PolicyArn=ADMIN_POLICY)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=ADMIN_POLICY, VersionId=version)
    assert document["PolicyVersion"]["Document"]["Statement"][0]["Action"] == "*"

    keys = admin.client("sts", config=client_config()).assume_role(
        RoleArn=f"arn:aws:iam::210987654321:role/{name}", RoleSessionName=name
    )["Credentials"]
    other = session_for(
        aws, keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]
    ).client("iam", config=client_config())
    before = _attachments(other)
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    iam.attach_role_policy(RoleName=name, PolicyArn=ADMIN_POLICY)
    assert _attachments(iam) >= 1
    assert _attachments(other) == before
    assert len(_aws_policies(other)) == len(json.loads(aws_managed_policies_data))
    # The other account's calls found it by their key, and built only its `aws` partition.
    identity = session_for(
        aws, keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]
    ).client("sts", config=client_config())
    assert identity.get_caller_identity()["Account"] == "210987654321"
    assert set(iam_backends["210987654321"].keys()) == {"aws"}


def test_service_linked_roles_are_the_services_own(aws: Emulator, admin: Any) -> None:
    # IAM refuses the reserved path to CreateRole (as AWS answers it) and names Inspector's
    # service-linked role as Inspector documents it (moto: AWSServiceRoleForinspector2).
    iam = admin.client("iam")
    with pytest.raises(ClientError) as refused:
        iam.create_role(
            RoleName="AWSServiceRoleForAmazonInspector2",
            Path="/aws-service-role/inspector2.amazonaws.com/",
            AssumeRolePolicyDocument="{}",
        )
    error = refused.value.response["Error"]
    assert (error["Code"], refused.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidInput",
        400,
    )
    assert "can only be used for AWS Service linked Roles" in error["Message"]
    role = iam.create_service_linked_role(AWSServiceName="inspector2.amazonaws.com")["Role"]
    assert role["Arn"] == (
        f"arn:aws:iam::{aws.account_id}:role/aws-service-role/inspector2.amazonaws.com/"
        "AWSServiceRoleForAmazonInspector2"
    )
