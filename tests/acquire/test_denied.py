"""Issue #4: a collector whose policy denies lambda:GetPolicy still collects everything else.

The emulator enforces IAM for this test: the collector acts as an IAM user holding the
shipped least-privilege policy (`acquire/iam_policy.json`) plus an explicit Deny of
lambda:GetPolicy, so every GetPolicy is answered with Lambda's AccessDeniedException 403.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from importlib import resources

import boto3
import pytest

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case, verify_case
from tests.acquire import seed
from tests.acquire.conftest import Place

DENY_GET_POLICY = {"Effect": "Deny", "Action": "lambda:GetPolicy", "Resource": "*"}


@pytest.fixture
def enforcing(emulator_session: Emulator) -> Iterator[Emulator]:
    emulator_session.enforce_iam = True
    try:
        yield emulator_session
    finally:
        emulator_session.enforce_iam = False


def _collector(session: boto3.Session, place: Place) -> boto3.Session:
    """An IAM user with the shipped collector policy plus a Deny of lambda:GetPolicy."""
    shipped = json.loads(
        resources.files("lambda_ir.acquire").joinpath("iam_policy.json").read_text()
    )
    shipped["Statement"].append(DENY_GET_POLICY)
    iam = seed.client(session, place.endpoint, "iam")
    name = f"collector-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="ir", PolicyDocument=json.dumps(shipped))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    )


def test_denied_get_policy_is_recorded_and_the_rest_collected(
    enforcing: Emulator, place: Place, session: boto3.Session, case: Case
) -> None:
    seed.function(session, place.endpoint, "orders", ["v1", "v2"], region=place.region)
    collector = _collector(session, place)
    options = CollectOptions(workers=4, quotas=False, endpoint_url=place.endpoint)
    summary = collect(case, collector, Scope(regions=(place.region,)), options)

    entries = list(case.entries())
    asked = [e for e in entries if e.api == "lambda:GetPolicy"]
    assert {e.params.get("Qualifier") for e in asked} == {None, "1", "2"}
    for entry in asked:
        assert entry.error is not None and entry.path is None
        assert entry.error.startswith("denied: AccessDeniedException: User: arn:aws:iam::")
        assert "is not authorized to perform: lambda:GetPolicy" in entry.error
    others = [e for e in entries if e.api != "lambda:GetPolicy"]
    failed = [(e.api, e.error) for e in others if e.error is not None]
    assert failed == [], failed  # the shipped policy covers every other call
    kinds = {e.kind for e in others}
    assert {"function", "function-versions", "code", "role"} <= kinds
    assert {e.params.get("Qualifier") for e in others if e.kind == "function"} == {
        "$LATEST",
        "1",
        "2",
    }
    assert summary.ok and summary.functions == 1
    line = summary.line()
    assert "; 3 calls denied: lambda:GetPolicy on orders" in line, line
    denials = [
        r
        for r in enforcing.records()
        if r["eventName"] == "GetPolicy20150331v2" and r["awsRegion"] == place.region
    ]
    assert len(denials) == 3 and {r["errorCode"] for r in denials} == {"AccessDenied"}
    assert verify_case(case.root).ok
