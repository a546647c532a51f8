"""The collector end to end against the emulator, boto3 over HTTP."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

import boto3

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.acquire.cloudtrail import ERASURE_EVENTS, STACK_EVENTS
from lambda_ir.acquire.window import parse_when
from lambda_ir.analyze.detectors.ct_stack_change import STACK_CALLS
from lambda_ir.evidence import Case, verify_case
from tests.acquire import seed
from tests.acquire.conftest import Place

FAST = CollectOptions(workers=8, quotas=False)


def _run(case: Case, session: boto3.Session, place: Place, **scope: Any) -> Any:
    options = CollectOptions(workers=FAST.workers, quotas=FAST.quotas, endpoint_url=place.endpoint)
    return collect(case, session, Scope(regions=(place.region,), **scope), options)


def _entries(case: Case, kind: str) -> list[Any]:
    return [e for e in case.entries() if e.kind == kind]


def test_every_version_is_collected(place: Place, session: boto3.Session, case: Case) -> None:
    seed.function(session, place.endpoint, "orders", ["v1", "v2", "v3"], region=place.region)
    summary = _run(case, session, place)
    assert summary.ok and summary.functions == 1
    versions = _entries(case, "function-versions")
    assert [e.params for e in versions] == [{"FunctionName": "orders", "page": 1}]
    listed = case.read_json(versions[0].path)["Versions"]
    assert {v["Version"] for v in listed} == {"$LATEST", "1", "2", "3"}
    assert {
        v["Environment"]["Variables"]["RELEASE"] for v in listed if v["Version"] != "$LATEST"
    } == {"1", "2", "3"}
    got = {e.params["Qualifier"] for e in _entries(case, "function") if e.error is None}
    assert got == {"$LATEST", "1", "2", "3"}
    roles = [e for e in _entries(case, "role") if e.error is None]
    assert [e.params for e in roles] == [{"RoleName": "fn-role"}]
    inline = [e for e in _entries(case, "role-policy") if e.api == "iam:GetRolePolicy"]
    assert (
        case.read_json(inline[0].path)["PolicyDocument"]["Statement"][0]["Action"] == "s3:GetObject"
    )
    assert verify_case(case.root).ok


def test_policies_are_asked_per_qualifier(place: Place, session: boto3.Session, case: Case) -> None:
    seed.function(session, place.endpoint, "orders", ["v1", "v2", "v3"], region=place.region)
    lam = seed.client(session, place.endpoint, "lambda", place.region)
    lam.create_alias(
        FunctionName="orders",
        Name="live",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {"3": 0.1}},
    )
    _run(case, session, place)
    asked = {
        e.params.get("Qualifier") for e in _entries(case, "policy") if e.api == "lambda:GetPolicy"
    }
    assert asked == {None, "1", "2", "3", "live"}
    [aliases] = _entries(case, "alias")
    [live] = case.read_json(aliases.path)["Aliases"]
    assert live["RoutingConfig"]["AdditionalVersionWeights"] == {"3": 0.1}


def test_shared_code_is_one_blob_checked_against_codesha256(
    place: Place, session: boto3.Session, case: Case
) -> None:
    seed.function(session, place.endpoint, "orders", ["same", "same", "other"], region=place.region)
    summary = _run(case, session, place)
    blobs = [e for e in _entries(case, "code") if e.error is None]
    assert len(blobs) == 2, [e.error for e in _entries(case, "code")]
    for entry in blobs:
        stored = (case.root / entry.path).read_bytes()
        assert (
            base64.b64encode(hashlib.sha256(stored).digest()).decode() == entry.meta["code_sha256"]
        )
    expected = sum(len(seed.package(text)) for text in ("same", "other"))
    assert summary.downloaded_bytes == expected


def test_unsupported_apis_are_recorded_not_fatal(
    place: Place, session: boto3.Session, case: Case
) -> None:
    seed.function(session, place.endpoint, "orders", ["v1"], region=place.region)
    summary = _run(case, session, place)
    for entry in case.entries():
        if entry.error is not None:
            assert entry.error.split(":", 1)[0] in {"unsupported", "not-found", "denied"}, entry
    assert summary.ok


def test_scope_limits_functions(place: Place, session: boto3.Session, case: Case) -> None:
    seed.function(session, place.endpoint, "orders", ["v1"], region=place.region)
    seed.function(session, place.endpoint, "billing", ["v1"], region=place.region)
    summary = _run(
        case,
        session,
        place,
        functions=(f"arn:aws:lambda:{place.region}:123456789012:function:billing",),
    )
    assert summary.functions == 1
    names = {e.params.get("FunctionName") for e in case.entries() if e.kind == "function"}
    assert names == {"billing"}


def test_nothing_collectable_is_not_ok(session: boto3.Session, case: Case) -> None:
    options = CollectOptions(
        workers=2, quotas=False, max_attempts=1, endpoint_url="http://127.0.0.1:9"
    )
    summary = collect(case, session, Scope(regions=("us-east-1",)), options)
    assert not summary.ok
    assert summary.artifacts == 0
    assert any(e.error and e.error.startswith("timeout") for e in case.entries())


def test_a_window_adds_logs_and_cloudtrail(
    place: Place, session: boto3.Session, case: Case
) -> None:
    seed.function(session, place.endpoint, "orders", ["v1"], region=place.region)
    logs = seed.client(session, place.endpoint, "logs", place.region)
    logs.create_log_group(logGroupName="/aws/lambda/orders")
    logs.create_log_stream(logGroupName="/aws/lambda/orders", logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/aws/lambda/orders",
        logStreamName="s",
        logEvents=[{"timestamp": now - 60_000, "message": "START RequestId: r Version: 1"}],
    )
    without = _run(case, session, place)
    assert not [e for e in case.entries() if e.kind in ("logs", "trail")]
    assert without.ok
    windowed = Case.create(case.root.parent / "windowed")
    _run(windowed, session, place, since=parse_when("1d"))
    apis = {e.api for e in windowed.entries() if e.kind in ("logs", "trail")}
    assert apis == {"logs:FilterLogEvents", "cloudtrail:LookupEvents"}
    trail = [e for e in windowed.entries() if e.api == "cloudtrail:LookupEvents"]
    attributes = {e.params["LookupAttributes"][0]["AttributeKey"] for e in trail}
    assert attributes == {"EventSource", "Username", "EventName"}
    names = {
        e.params["LookupAttributes"][0]["AttributeValue"]
        for e in trail
        if e.params["LookupAttributes"][0]["AttributeKey"] == "EventName"
    }
    assert names == {*ERASURE_EVENTS, *STACK_EVENTS}
    assert STACK_EVENTS == STACK_CALLS  # what LIR-CT-014 reads is what collect looks up


class Recorder:
    """A ProgressSink that keeps the last (done, total) per region."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[int, int]] = {}

    def update(self, region: str, done: int, total: int) -> None:
        self.last[region] = (done, total)


def test_progress_reaches_every_call_per_region(
    place: Place, session: boto3.Session, case: Case
) -> None:
    seed.function(session, place.endpoint, "orders", ["v1", "v2"], region=place.region)
    recorder = Recorder()
    options = CollectOptions(workers=4, quotas=False, endpoint_url=place.endpoint)
    collect(case, session, Scope(regions=(place.region,)), options, recorder)
    done, total = recorder.last[place.region]
    assert done == total and total >= 15
