"""Scenario `organization`: an AWS Organization whose member accounts each run their own Lambdas.

The content is ours: made-up accounts, functions and code.

The emulator's default account (123456789012) becomes the management account and creates
member accounts (organizations:CreateAccount; moto picks their ids, the emulator adds the
`OrganizationAccountAccessRole` AWS creates in each, see `org_accounts`). The last member has
no such role, as an account that joined by invitation, so a fan-out records it as a gap.
Each member runs a few functions with published versions, and in the first member someone
opened `payments-webhook` to anyone (lambda:AddPermission, Principal `*`).
`seed_organisation` builds any shape (the benchmark's 12 accounts × 3 regions × 40 functions
× 3 versions).
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3

from lambda_ir.emulator.scenarios.actors import Target
from lambda_ir.emulator.scenarios.result import ScenarioResult
from lambda_ir.model import FunctionRef

ORG_ROLE = "OrganizationAccountAccessRole"
ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"
REGIONS = ("us-west-2",)
FUNCTIONS = ("payments-webhook", "orders-api", "report-builder")
_EXEC_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class OrgShape:
    """How big an organisation to seed: member accounts, regions, functions, versions each."""

    members: int = 3
    regions: tuple[str, ...] = REGIONS
    functions: tuple[str, ...] = FUNCTIONS
    versions: int = 2
    without_role: int = 1  # the last members get no org role (a fan-out gap)
    trail_bucket: str | None = None  # every member logs its CloudTrail to this bucket


def organization(
    emulator: Target, prior: Sequence[ScenarioResult] = (), *, now: datetime | None = None
) -> ScenarioResult:
    """Seed the default organisation (the content is ours): three members, one without the
    role, every member's CloudTrail delivered to `org-trail-<management account>` and an
    Athena workgroup `lambda-ir` in us-east-1 to hunt over it."""
    bucket = f"org-trail-{emulator.account_id}"
    members = seed_organisation(emulator.endpoint_url, OrgShape(trail_bucket=bucket))
    lam = _session(emulator.endpoint_url, members[0], REGIONS[0]).client(
        "lambda", endpoint_url=emulator.endpoint_url, region_name=REGIONS[0]
    )
    lam.add_permission(
        FunctionName=FUNCTIONS[0],
        StatementId="anyone",
        Action="lambda:InvokeFunction",
        Principal="*",
    )
    refs = tuple(
        FunctionRef(account, region, name)
        for account in members
        for region in REGIONS
        for name in FUNCTIONS
    )
    return ScenarioResult(
        name="organization", account_id=emulator.account_id, regions=REGIONS, functions=refs
    )


def seed_organisation(endpoint: str, shape: OrgShape, workers: int = 8) -> list[str]:
    """Create the organisation (once) and `shape.members` new accounts filled per `shape`;
    returns the new accounts' ids (those without the role last)."""
    admin = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (the emulator's admin)
        region_name="us-east-1",
    )
    org = admin.client("organizations", endpoint_url=endpoint)
    with contextlib.suppress(org.exceptions.AlreadyInOrganizationException):
        org.create_organization(FeatureSet="ALL")
    members = [
        str(
            org.create_account(AccountName=f"member-{n}", Email=f"member-{n}@example.com")[
                "CreateAccountStatus"
            ]["AccountId"]
        )
        for n in range(shape.members)
    ]
    with_role = members[: max(0, shape.members - shape.without_role)]
    # Function-major: concurrent workers spread over the accounts and regions (their quotas).
    jobs = [(a, r, f) for f in shape.functions for a in members for r in shape.regions]
    if shape.trail_bucket:
        _trail_bucket(admin, endpoint, shape.trail_bucket)
    for account in members:
        _account_setup(endpoint, account, shape.trail_bucket)
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(lambda job: _function(endpoint, job, shape.versions), jobs):
            pass
    for account in members[len(with_role) :]:
        _leave_without_role(endpoint, account)
    return members


def _session(endpoint: str, account: str, region: str) -> boto3.Session:
    """A session in `account` through the role Organizations created there (administrator)."""
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (the emulator),
    )
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ORG_ROLE}", RoleSessionName="seed"
    )
    keys = creds["Credentials"]
    return boto3.Session(
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"],
        region_name=region,
    )


def _trail_bucket(admin: boto3.Session, endpoint: str, bucket: str) -> None:
    """The management account's trail bucket and the `lambda-ir` Athena workgroup."""
    s3 = admin.client("s3", endpoint_url=endpoint)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    athena = admin.client("athena", endpoint_url=endpoint)
    with contextlib.suppress(athena.exceptions.InvalidRequestException):
        athena.create_work_group(
            Name="lambda-ir",
            Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{bucket}/athena/"}},
        )


def _account_setup(endpoint: str, account: str, trail_bucket: str | None) -> None:
    member = _session(endpoint, account, "us-east-1")
    iam = member.client("iam", endpoint_url=endpoint)
    iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=json.dumps(_EXEC_TRUST))
    if trail_bucket:  # before anything else happens in the account, so the trail sees it
        cloudtrail = member.client("cloudtrail", endpoint_url=endpoint)
        cloudtrail.create_trail(
            Name="org-trail", S3BucketName=trail_bucket, IsMultiRegionTrail=True
        )
        cloudtrail.start_logging(Name="org-trail")


def _leave_without_role(endpoint: str, account: str) -> None:
    """As an account that joined by invitation: its own administrator, no access role."""
    iam = _session(endpoint, account, "us-east-1").client("iam", endpoint_url=endpoint)
    iam.create_user(UserName="account-admin")
    iam.attach_user_policy(UserName="account-admin", PolicyArn=ADMINISTRATOR)
    key = iam.create_access_key(UserName="account-admin")["AccessKey"]
    own = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    own.detach_role_policy(RoleName=ORG_ROLE, PolicyArn=ADMINISTRATOR)
    own.delete_role(RoleName=ORG_ROLE)


def _function(endpoint: str, job: tuple[str, str, str], versions: int) -> None:
    account, region, name = job
    lam: Any = _session(endpoint, account, region).client("lambda", endpoint_url=endpoint)
    role = f"arn:aws:iam::{account}:role/app-role"
    for number in range(1, versions + 1):
        code = _zip(f"def handler(event, context):\n    return {{'release': {number}}}\n")
        if number == 1:
            lam.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role,
                Handler="handler.handler",
                Code={"ZipFile": code},
                Publish=True,
            )
        else:
            lam.update_function_code(FunctionName=name, ZipFile=code, Publish=True)


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("handler.py", date_time=(2026, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()
