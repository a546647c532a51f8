"""CloudTrail through the emulator: records, LookupEvents, trail files, real-sample shape."""

from __future__ import annotations

import contextlib
import gzip
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lambda_ir.emulator.client import client_config, session_for
from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator
from tests.emulator.conftest import make_function, zip_of

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
STRATUS = DATA / "stratus-red-team-detonation-logs"


def _attacker(aws: Emulator, admin: Any, user: str, **kw: Any) -> Any:
    iam = admin.client("iam")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return session_for(aws, key["AccessKeyId"], key["SecretAccessKey"], **kw)


def _lookup(admin: Any, key: str, value: str) -> list[dict[str, Any]]:
    trail = admin.client("cloudtrail", config=client_config())
    pages = trail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}],
        StartTime=datetime.now(UTC) - timedelta(days=30),
    )
    return [event for page in pages for event in page["Events"]]


def test_attack_with_second_users_keys_is_attributed_in_lookup_and_trail_files(
    aws: Emulator, admin: Any, name: str
) -> None:
    bucket = f"{name}-trail"
    admin.client("s3").create_bucket(Bucket=bucket)
    trail = admin.client("cloudtrail")
    trail.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=True)
    trail.start_logging(Name=name)
    make_function(admin, name)
    attacker = _attacker(aws, admin, f"{name}-ci", source_ip="203.0.113.7", user_agent="curl/8")
    lam = attacker.client("lambda", config=client_config())
    lam.update_function_code(FunctionName=name, ZipFile=zip_of("miner"))
    lam.add_permission(
        FunctionName=name, StatementId="pub", Action="lambda:InvokeFunction", Principal="*"
    )

    events = _lookup(admin, "Username", f"{name}-ci")
    names = sorted(e["EventName"] for e in events)
    assert names == ["AddPermission20150331v2", "UpdateFunctionCode20150331v2"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["userIdentity"]["userName"] == f"{name}-ci"
    assert record["sourceIPAddress"] == "203.0.113.7"
    assert record["userAgent"] == "curl/8"
    by_name = _lookup(admin, "EventName", "UpdateFunctionCode20150331v2")
    assert any(e["Username"] == f"{name}-ci" for e in by_name)
    by_resource = _lookup(admin, "ResourceName", name)
    assert {"CreateFunction20150331", "AddPermission20150331v2"} <= {
        e["EventName"] for e in by_resource
    }

    written = aws.flush_trails()
    s3 = admin.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="AWSLogs/")["Contents"]]
    assert keys and all(k.startswith(f"AWSLogs/{aws.account_id}/CloudTrail/") for k in keys)
    assert any(f"{bucket}/{k}" in written for k in keys)
    records = [
        r
        for k in keys
        for r in json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=k)["Body"].read()))[
            "Records"
        ]
    ]
    mine = [r for r in records if r["userIdentity"].get("userName") == f"{name}-ci"]
    assert {r["eventName"] for r in mine} == {
        "UpdateFunctionCode20150331v2",
        "AddPermission20150331v2",
    }


def test_record_shape_matches_real_stratus_sample(aws: Emulator, admin: Any, name: str) -> None:
    sample = json.loads((STRATUS / "aws.persistence.lambda-backdoor-function.json").read_text())[0]
    make_function(admin, name)
    attacker = _attacker(aws, admin, f"{name}-u")
    attacker.client("lambda").add_permission(
        FunctionName=name, StatementId="backdoor", Action="lambda:InvokeFunction", Principal="*"
    )
    ours = next(
        r
        for r in aws.records()
        if r["eventName"] == "AddPermission20150331v2"
        and r["userIdentity"].get("userName") == f"{name}-u"
    )
    assert set(ours) == set(sample)
    assert set(ours["userIdentity"]) == set(sample["userIdentity"])
    assert set(ours["tlsDetails"]) == set(sample["tlsDetails"])
    assert ours["requestParameters"] == {
        "functionName": name,
        "statementId": "backdoor",
        "action": "lambda:InvokeFunction",
        "principal": "*",
    }
    assert set(ours["responseElements"]) == set(sample["responseElements"])
    for field in ("eventVersion", "eventCategory", "eventType", "eventSource", "managementEvent"):
        assert ours[field] == sample[field], field
    assert ours["readOnly"] is False
    theirs = json.loads(sample["responseElements"]["statement"])
    theirs["Resource"] = f"arn:aws:lambda:us-east-1:{aws.account_id}:function:{name}"
    # Byte for byte: same members, same order, compact, as Lambda writes the string.
    assert ours["responseElements"]["statement"] == json.dumps(theirs, separators=(",", ":"))


def test_update_code_record_never_logs_code_or_environment(
    aws: Emulator, admin: Any, name: str
) -> None:
    make_function(admin, name, Environment={"Variables": {"DB_PASSWORD": "hunter2"}})
    admin.client("lambda").update_function_code(FunctionName=name, ZipFile=zip_of("x" * 50))
    mine = [
        r
        for r in aws.records()
        if r["requestParameters"] and r["requestParameters"].get("functionName") == name
    ]
    text = json.dumps(mine)
    assert "hunter2" not in text and "zipFile" not in text
    create = next(r for r in mine if r["eventName"] == "CreateFunction20150331")
    assert create["requestParameters"]["environment"] == {}
    assert create["responseElements"]["functionName"] == name


def test_read_only_calls_are_recorded_and_data_events_are_not(
    aws: Emulator, admin: Any, name: str
) -> None:
    make_function(admin, name)
    lam = admin.client("lambda")
    lam.get_function(FunctionName=name)
    get = [
        r
        for r in aws.records()
        if r["eventName"] == "GetFunction20150331v2"
        and r["requestParameters"] == {"functionName": name}
    ]
    assert len(get) == 1 and get[0]["readOnly"] is True and get[0]["responseElements"] is None
    admin.client("s3").create_bucket(Bucket=name)
    admin.client("s3").put_object(Bucket=name, Key="k", Body=b"x")
    s3_names = [
        r["eventName"]
        for r in aws.records()
        if r["eventSource"] == "s3.amazonaws.com"
        and (r["requestParameters"] or {}).get("bucketName") == name
    ]
    assert s3_names == ["CreateBucket"]


def test_failed_call_records_error_code(aws: Emulator, admin: Any, name: str) -> None:
    lam = admin.client("lambda", config=client_config())
    with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)
    failed = [
        r for r in aws.records() if (r["requestParameters"] or {}).get("functionName") == name
    ]
    assert failed[-1]["errorCode"] == "ResourceNotFoundException"
    assert failed[-1]["errorMessage"]


def test_backdated_events_and_time_range(aws: Emulator, admin: Any, name: str) -> None:
    last_week = datetime.now(UTC).replace(microsecond=0) - timedelta(days=7)
    old = session_for(aws, "testing", "testing", event_time=last_week)
    old.client("iam").create_user(UserName=name)
    trail = admin.client("cloudtrail")
    window = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}],
        StartTime=last_week - timedelta(minutes=1),
        EndTime=last_week + timedelta(minutes=1),
    )["Events"]
    assert [e["EventName"] for e in window] == ["CreateUser"]
    assert window[0]["EventTime"] == last_week
    recent = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}],
        StartTime=datetime.now(UTC) - timedelta(days=1),
    )["Events"]
    assert recent == []


def test_lookup_pagination_newest_first(aws: Emulator, admin: Any, name: str) -> None:
    lam = admin.client("lambda", config=client_config())
    for _ in range(7):
        with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
            lam.get_policy(FunctionName=name)
    trail = admin.client("cloudtrail")
    pages = list(
        trail.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}],
            PaginationConfig={"PageSize": 3},
        )
    )
    sizes = [len(p["Events"]) for p in pages]
    assert sizes == [3, 3, 1]
    times = [e["EventTime"] for p in pages for e in p["Events"]]
    assert times == sorted(times, reverse=True)
    ids = [e["EventId"] for p in pages for e in p["Events"]]
    assert len(set(ids)) == 7


def test_assumed_role_identity_has_session_issuer(aws: Emulator, admin: Any, name: str) -> None:
    iam = admin.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]
    creds = admin.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="gha")[
        "Credentials"
    ]
    session = session_for(
        aws, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    )
    session.client("lambda").list_functions()
    events = _lookup(admin, "AccessKeyId", creds["AccessKeyId"])
    assert [e["EventName"] for e in events] == ["ListFunctions20150331"]
    identity = json.loads(events[0]["CloudTrailEvent"])["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{aws.account_id}:assumed-role/{name}/gha"
    issuer = identity["sessionContext"]["sessionIssuer"]
    assert issuer == {
        "type": "Role",
        "principalId": role["RoleId"],
        "arn": role["Arn"],
        "accountId": aws.account_id,
        "userName": name,
    }
    assert events[0]["Username"] == "gha"


def test_a_sessions_creation_date_is_when_it_was_assumed(
    aws: Emulator, admin: Any, name: str
) -> None:
    # A session assumed four days ago (the scenario's clock) for 15 minutes shows that moment
    # as its creationDate, before its own calls: it showed this machine's clock less an hour.
    iam = admin.client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]
    assumed = datetime.now(UTC).replace(microsecond=0) - timedelta(days=4)
    owner = session_for(aws, "testing", "testing", event_time=assumed)
    creds = owner.client("sts").assume_role(
        RoleArn=role["Arn"], RoleSessionName="ci", DurationSeconds=900
    )["Credentials"]
    session = session_for(
        aws,
        creds["AccessKeyId"],
        creds["SecretAccessKey"],
        creds["SessionToken"],
        event_time=assumed + timedelta(minutes=2),
    )
    session.client("lambda").list_functions()
    (event,) = _lookup(admin, "AccessKeyId", creds["AccessKeyId"])
    attributes = json.loads(event["CloudTrailEvent"])["userIdentity"]["sessionContext"]
    assert attributes["attributes"]["creationDate"] == assumed.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_lookup_rejects_two_attributes(admin: Any) -> None:
    trail = admin.client("cloudtrail", config=client_config())
    try:
        trail.lookup_events(
            LookupAttributes=[
                {"AttributeKey": "Username", "AttributeValue": "a"},
                {"AttributeKey": "EventName", "AttributeValue": "b"},
            ]
        )
    except trail.exceptions.InvalidLookupAttributesException:
        return
    raise AssertionError("two lookup attributes must be rejected")


def test_lambda_configuration_records_match_real_samples(
    aws: Emulator, admin: Any, name: str
) -> None:
    """UpdateFunctionConfiguration/UpdateFunctionCode: responseElements keys as Stratus saw."""
    lam = admin.client("lambda", config=client_config())
    make_function(admin, name)
    layer = lam.publish_layer_version(LayerName=name, Content={"ZipFile": zip_of("ext")})
    lam.update_function_configuration(FunctionName=name, Layers=[layer["LayerVersionArn"]])
    lam.update_function_code(FunctionName=name, ZipFile=zip_of("new"), Publish=True)
    ours = {
        r["eventName"]: r
        for r in aws.records()
        if (r["requestParameters"] or {}).get("functionName") == name
    }
    transient = {  # AWS's in-flight states; the emulator settles calls at once
        "lastUpdateStatus",
        "lastUpdateStatusReason",
        "lastUpdateStatusReasonCode",
        "stateReason",
        "stateReasonCode",
    }
    for sample_file, event in (
        ("aws.persistence.lambda-layer-extension.json", "UpdateFunctionConfiguration20150331v2"),
        ("aws.persistence.lambda-overwrite-code.json", "UpdateFunctionCode20150331v2"),
    ):
        sample = json.loads((STRATUS / sample_file).read_text())[0]
        record = ours[event]
        assert set(record) == set(sample)
        expected = set(sample["responseElements"]) - transient
        got = set(record["responseElements"]) - transient
        if not sample["responseElements"].get("layers"):
            got.discard("layers")
        assert got == expected, event
        assert record["responseElements"]["environment"] == {}
    layers = ours["UpdateFunctionConfiguration20150331v2"]["responseElements"]["layers"]
    assert layers[0]["arn"] == layer["LayerVersionArn"]


def test_every_lookup_attribute_finds_the_call(aws: Emulator, admin: Any, name: str) -> None:
    attacker = _attacker(aws, admin, f"{name}-x")
    iam = attacker.client("iam", config=client_config())
    iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")
    record = next(
        r
        for r in aws.records()
        if r["eventName"] == "CreateRole" and r["userIdentity"].get("userName") == f"{name}-x"
    )
    access_key = record["userIdentity"]["accessKeyId"]
    for key, value in (
        ("EventId", record["eventID"]),
        ("EventName", "CreateRole"),
        ("ReadOnly", "false"),
        ("Username", f"{name}-x"),
        ("ResourceType", "AWS::IAM::Role"),
        ("ResourceName", name),
        ("EventSource", "iam.amazonaws.com"),
        ("AccessKeyId", access_key),
    ):
        found = _lookup(admin, key, value)
        assert record["eventID"] in {e["EventId"] for e in found}, key
        if key in ("EventId", "AccessKeyId", "Username"):
            assert all(
                json.loads(e["CloudTrailEvent"])["userIdentity"].get("accessKeyId") == access_key
                for e in found
            ), key
    assert record["eventID"] not in {e["EventId"] for e in _lookup(admin, "ReadOnly", "true")}
    event = next(e for e in _lookup(admin, "EventId", record["eventID"]))
    assert event["Resources"] == [{"ResourceType": "AWS::IAM::Role", "ResourceName": name}]
    assert json.loads(event["CloudTrailEvent"]) == record


def test_lookup_rejects_a_foreign_next_token(admin: Any) -> None:
    trail = admin.client("cloudtrail", config=client_config())
    try:
        trail.lookup_events(NextToken="bm90LW91cnM")
    except trail.exceptions.InvalidNextTokenException:
        return
    raise AssertionError("a token the emulator never issued must be rejected")


def test_root_keys_show_as_root(aws: Emulator, admin: Any, name: str) -> None:
    key_id, secret = aws.root_credentials()
    session_for(aws, key_id, secret).client("iam").create_user(UserName=name)
    events = _lookup(admin, "AccessKeyId", key_id)
    assert [e["EventName"] for e in events] == ["CreateUser"]
    identity = json.loads(events[0]["CloudTrailEvent"])["userIdentity"]
    assert identity == {
        "type": "Root",
        "principalId": aws.account_id,
        "arn": f"arn:aws:iam::{aws.account_id}:root",
        "accountId": aws.account_id,
        "accessKeyId": key_id,
    }
    assert events[0]["Username"] == "root"


def test_get_caller_identity_names_the_principal_cloudtrail_records(
    aws: Emulator, admin: Any, name: str
) -> None:
    me = admin.client("sts").get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{aws.account_id}:user/emulator-admin"
    assert me["Account"] == aws.account_id
    user = _attacker(aws, admin, name).client("sts").get_caller_identity()
    assert user["Arn"] == f"arn:aws:iam::{aws.account_id}:user/{name}"
    record = [r for r in aws.records() if r["eventName"] == "GetCallerIdentity"][-1]
    assert record["userIdentity"]["arn"] == user["Arn"]
    assert record["userIdentity"]["principalId"] == user["UserId"]
    role = admin.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]
    creds = admin.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="ss")[
        "Credentials"
    ]
    assumed = session_for(
        aws, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    ).client("sts")
    assert assumed.get_caller_identity()["UserId"] == f"{role['RoleId']}:ss"


def test_session_clock_is_read_once_per_request(aws: Emulator, admin: Any, name: str) -> None:
    start = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)
    ticks = iter(start + timedelta(minutes=minute) for minute in range(10))
    actor = session_for(aws, "testing", "testing", event_time=lambda: next(ticks))
    iam = actor.client("iam", config=client_config())
    iam.create_user(UserName=f"{name}-a")
    iam.create_user(UserName=f"{name}-b")
    times = {
        r["requestParameters"]["userName"]: r["eventTime"]
        for r in aws.records()
        if r["eventName"] == "CreateUser" and r["requestParameters"]["userName"].startswith(name)
    }
    assert times == {f"{name}-a": "2026-11-02T03:04:05Z", f"{name}-b": "2026-11-02T03:05:05Z"}


def test_trail_files_arrive_on_their_own(aws: Emulator, name: str) -> None:
    with running_emulator(flush_interval=0.2) as quick:
        session = session_for(quick, "testing", "testing")
        session.client("s3").create_bucket(Bucket=name)
        trail = session.client("cloudtrail")
        trail.create_trail(Name=name, S3BucketName=name, S3KeyPrefix="org")
        trail.start_logging(Name=name)
        session.client("iam").create_user(UserName=name)
        deadline = time.monotonic() + 5
        keys: list[str] = []
        while not keys and time.monotonic() < deadline:
            time.sleep(0.2)
            listed = session.client("s3").list_objects_v2(Bucket=name)
            keys = [o["Key"] for o in listed.get("Contents", [])]
    assert keys, "no trail file within 5 s at a 0.2 s delivery interval"
    assert all(k.startswith(f"org/AWSLogs/{quick.account_id}/CloudTrail/") for k in keys)
