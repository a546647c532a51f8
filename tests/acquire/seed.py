"""Small estates for the collector's tests, built through boto3 against the emulator."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from importlib import resources
from typing import Any

import boto3

ACCOUNT = "123456789012"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def package(text: str) -> bytes:
    """A deterministic one-file zip (fixed timestamps, so equal text gives equal bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("handler.py", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(info, text)
    return buffer.getvalue()


def client(session: boto3.Session, endpoint: str, service: str, region: str = "us-east-1") -> Any:
    return session.client(service, endpoint_url=endpoint, region_name=region)


def collector(session: boto3.Session, endpoint: str, *deny: str) -> boto3.Session:
    """Credentials of a new IAM user holding the shipped collector policy, minus `deny`.

    Only an emulator with `enforce_iam` on (the `enforcing` fixture) holds them to it.
    """
    policy = json.loads(
        resources.files("lambda_ir.acquire").joinpath("iam_policy.json").read_text()
    )
    if deny:
        policy["Statement"].append({"Effect": "Deny", "Action": list(deny), "Resource": "*"})
    iam = client(session, endpoint, "iam")
    name = f"collector-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="ir", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    )


def role(session: boto3.Session, endpoint: str, name: str = "fn-role") -> str:
    """An execution role with one inline policy; returns its ARN."""
    iam = client(session, endpoint, "iam")
    try:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    except iam.exceptions.EntityAlreadyExistsException:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(document))
    return str(arn["Role"]["Arn"])


def function(
    session: boto3.Session,
    endpoint: str,
    name: str,
    codes: list[str],
    *,
    region: str = "us-east-1",
    layers: list[str] | None = None,
) -> dict[str, str]:
    """A function with one published version per entry of `codes`; returns {version: code}."""
    lam = client(session, endpoint, "lambda", region)
    arn = role(session, endpoint)
    versions: dict[str, str] = {}
    for number, text in enumerate(codes, start=1):
        if number == 1:
            lam.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=arn,
                Handler="handler.handler",
                Code={"ZipFile": package(text)},
                Environment={"Variables": {"RELEASE": str(number)}},
                Layers=layers or [],
            )
        else:
            lam.update_function_code(FunctionName=name, ZipFile=package(text))
            lam.update_function_configuration(
                FunctionName=name, Environment={"Variables": {"RELEASE": str(number)}}
            )
        published = lam.publish_version(FunctionName=name)
        versions[str(published["Version"])] = text
    return versions


def foreign_layer(
    session: boto3.Session, endpoint: str, account: str, text: str, region: str = "us-east-1"
) -> dict[str, Any]:
    """A layer version published by another account (via sts:AssumeRole into it)."""
    sts = client(session, endpoint, "sts")
    role_arn = f"arn:aws:iam::{account}:role/publisher"
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="publisher")["Credentials"]
    other = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )
    lam = other.client("lambda", endpoint_url=endpoint)
    published = lam.publish_layer_version(
        LayerName="shared-utils",
        Content={"ZipFile": package(text)},
        CompatibleRuntimes=["python3.12"],
    )
    return dict(published)


def image_function(
    session: boto3.Session, endpoint: str, name: str = "api-image", region: str = "us-east-1"
) -> str:
    """A container-image function whose image exists in the emulator's ECR; returns the digest."""
    ecr = client(session, endpoint, "ecr", region)
    repository = ecr.create_repository(repositoryName=name)["repository"]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 10,
            "digest": "sha256:" + "a" * 64,
        },
        "layers": [],
    }
    image = ecr.put_image(repositoryName=name, imageManifest=json.dumps(manifest), imageTag="v1")
    client(session, endpoint, "lambda", region).create_function(
        FunctionName=name,
        Role=role(session, endpoint),
        PackageType="Image",
        Code={"ImageUri": f"{repository['repositoryUri']}:v1"},
    )
    return str(image["image"]["imageId"]["imageDigest"])


def managed_policy_and_boundary(session: boto3.Session, endpoint: str, role_name: str) -> None:
    """Attach a customer-managed policy and a permissions boundary to a role."""
    iam = client(session, endpoint, "iam")
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
        }
    )
    attached = _policy(iam, "tables", document)
    boundary = _policy(iam, "boundary", document)
    iam.attach_role_policy(RoleName=role_name, PolicyArn=attached)
    iam.put_role_permissions_boundary(RoleName=role_name, PermissionsBoundary=boundary)


def _policy(iam: Any, name: str, document: str) -> str:
    try:
        return str(iam.create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"])
    except iam.exceptions.EntityAlreadyExistsException:
        return f"arn:aws:iam::{ACCOUNT}:policy/{name}"
