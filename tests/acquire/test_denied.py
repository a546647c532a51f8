"""Issue #4: a collector whose policy denies lambda:GetPolicy still collects everything else.

The emulator enforces IAM for this test: the collector acts as an IAM user holding the
shipped least-privilege policy (`acquire/iam_policy.json`) plus an explicit Deny of
lambda:GetPolicy, so every GetPolicy is answered with Lambda's AccessDeniedException 403.
"""

from __future__ import annotations

import boto3

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case, verify_case
from tests.acquire import seed
from tests.acquire.conftest import Place


def test_denied_get_policy_is_recorded_and_the_rest_collected(
    enforcing: Emulator, place: Place, session: boto3.Session, case: Case
) -> None:
    seed.function(session, place.endpoint, "orders", ["v1", "v2"], region=place.region)
    collector = seed.collector(session, place.endpoint, "lambda:GetPolicy")
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
