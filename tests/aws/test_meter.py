"""Every request a factory's clients send is paced and counted, pages included."""

from __future__ import annotations

import io
import json
import time
import zipfile

import boto3

from lambda_ir.aws import (
    CallMeter,
    ClientFactory,
    QuotaBook,
    QuotaClass,
    QuotaPolicy,
    RetryPolicy,
    pages,
)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(e, c):\n    return 1\n")
    return buffer.getvalue()


def test_requests_are_paced_and_counted(moto_endpoint: str, session: boto3.Session) -> None:
    policy = QuotaPolicy(rates=((QuotaClass.CONTROL_PLANE, 20.0),), headroom=1.0)
    meter = CallMeter()
    factory = ClientFactory(
        session, RetryPolicy(max_attempts=1), moto_endpoint, QuotaBook(policy), meter
    )
    lam = factory.client("lambda", "eu-west-1")
    start = time.monotonic()
    for _ in range(11):
        lam.list_layers()
    elapsed = time.monotonic() - start
    assert elapsed >= 10 / 20 - 0.02  # 11 calls at 20/s
    reading = meter.reading()
    assert reading.attempts[("eu-west-1", QuotaClass.CONTROL_PLANE)] == 11
    assert reading.by_class() == {QuotaClass.CONTROL_PLANE: 11}


def test_pages_yields_every_page_without_metadata(
    moto_endpoint: str, session: boto3.Session
) -> None:
    factory = ClientFactory(session, RetryPolicy(max_attempts=1), moto_endpoint, None, CallMeter())
    iam = factory.client("iam", "us-east-1")
    trust = {"Version": "2012-10-17", "Statement": []}
    for n in range(5):
        iam.create_role(RoleName=f"pages-{n}", AssumeRolePolicyDocument=json.dumps(trust))
    got = list(pages(iam, "ListRoles", {"MaxItems": 2}))
    names = [role["RoleName"] for page in got for role in page["Roles"]]
    assert len(got) >= 3
    assert {f"pages-{n}" for n in range(5)} <= set(names)
    assert all("ResponseMetadata" not in page for page in got)
    assert factory.meter.reading().by_class()[QuotaClass.UNMETERED] == len(got) + 5
