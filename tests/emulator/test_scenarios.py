"""Scenarios seeded into one emulator (estate, then denonia, then stratus), checked over boto3."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lambda_ir.emulator.client import client_config, session_for
from lambda_ir.emulator.scenarios import SCENARIOS, ScenarioResult, UnknownScenario, seed
from lambda_ir.emulator.scenarios.denonia import ATTACKER_IP
from lambda_ir.emulator.scenarios.standins import DENONIA_INDICATORS, EXFIL_URL
from lambda_ir.emulator.server import Emulator

STRATUS_LOGS = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "stratus-red-team-detonation-logs"
)
NOW = datetime.now(UTC).replace(microsecond=0)
REPORT = re.compile(
    r"^REPORT RequestId: [0-9a-f-]{36}\tDuration: (?P<duration>\d+\.\d\d) ms\t"
    r"Billed Duration: \d+ ms\tMemory Size: (?P<memory>\d+) MB\tMax Memory Used: \d+ MB\t"
    r"(?:Init Duration: \d+\.\d\d ms\t)?(?:Status: (?P<status>timeout|error)\t)?$"
)


@pytest.fixture(scope="module")
def seeded(aws: Emulator) -> Iterator[dict[str, ScenarioResult]]:
    results = seed(aws, ["estate", "denonia", "stratus", "backdoors"], now=NOW)
    aws.flush_trails()
    yield {result.name: result for result in results}


@pytest.fixture(scope="module")
def admin_session(aws: Emulator) -> Any:
    return session_for(aws, "testing", "testing")


def _lam(session: Any, region: str = "us-east-1") -> Any:
    return session.client("lambda", region_name=region, config=client_config())


def _download(url: str) -> bytes:
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url) as response:
        return bytes(response.read())


def _code(lam: Any, name: str, qualifier: str) -> bytes:
    got = lam.get_function(FunctionName=name, Qualifier=qualifier)
    data = _download(got["Code"]["Location"])
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert digest == got["Configuration"]["CodeSha256"]
    return data


def _members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_scenarios_are_listed_and_unknown_names_refused(aws: Emulator) -> None:
    assert set(SCENARIOS) >= {"estate", "denonia", "stratus"}
    for scenario in SCENARIOS.values():
        assert "content is ours" in (sys.modules[scenario.__module__].__doc__ or "")
        assert "content is ours" in (scenario.__doc__ or "")
    with pytest.raises(UnknownScenario):
        seed(aws, ["no-such-scenario"])


def test_scenarios_share_one_now_and_backdate_from_it(seeded: dict[str, ScenarioResult]) -> None:
    assert all(result.window and result.window[1] <= NOW for result in seeded.values())
    estate_window = seeded["estate"].window
    assert estate_window and estate_window[0] == NOW - timedelta(days=45, hours=-3)
    step = next(t for t in seeded["denonia"].techniques if t.id == "denonia.recon")
    attack_day = (NOW - timedelta(days=3)).replace(hour=2, minute=13, second=7)
    assert attack_day < step.time < attack_day + timedelta(minutes=1)


def test_estate_spans_regions_runtimes_and_packages(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    estate = seeded["estate"]
    assert len(estate.functions) == 40
    seen = {}
    for region in ("us-east-1", "eu-west-1"):
        # every page: other modules on this worker may have left functions in the region
        for page in _lam(admin_session, region).get_paginator("list_functions").paginate():
            for fn in page["Functions"]:
                seen[(region, fn["FunctionName"])] = fn
    ours = [seen[(ref.region, ref.name)] for ref in estate.functions]
    assert {ref.region for ref in estate.functions} == {"us-east-1", "eu-west-1"}
    assert {fn.get("Runtime") for fn in ours} >= {"python3.12", "nodejs20.x"}
    assert sum(fn["PackageType"] == "Image" for fn in ours) == 8
    assert all(fn["Role"].endswith("-role") for fn in ours)


def test_estate_versions_hold_different_code_and_aliases_weight(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    lam = _lam(admin_session, "eu-west-1")
    versions = lam.list_versions_by_function(FunctionName="orders-worker")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2", "3"]
    packages = [_code(lam, "orders-worker", v) for v in ("1", "2", "3")]
    assert len({hashlib.sha256(p).hexdigest() for p in packages}) == 3
    assert b'APP_VERSION = "1.2.0"' in _members(packages[2])["app.py"]
    weighted = [
        alias
        for ref in seeded["estate"].functions
        for alias in _lam(admin_session, ref.region).list_aliases(FunctionName=ref.name)["Aliases"]
        if alias.get("RoutingConfig", {}).get("AdditionalVersionWeights")
    ]
    assert len(weighted) >= 10
    tampered = {ref.arn for ref in seeded["backdoors"].compromised}
    canaries = [a for a in weighted if a["AliasArn"] not in tampered]
    assert all(a["RoutingConfig"]["AdditionalVersionWeights"] == {"3": 0.1} for a in canaries)


def _image_digests(admin_session: Any) -> dict[str, str]:
    ecr = admin_session.client("ecr", region_name="eu-west-1")
    images = ecr.describe_images(repositoryName="report-generator")["imageDetails"]
    return {tag: image["imageDigest"] for image in images for tag in image["imageTags"]}


def test_estate_container_functions_run_pushed_images(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    by_tag = _image_digests(admin_session)
    assert sorted(by_tag) == ["1.0.0", "1.1.0", "1.2.0"]
    lam = _lam(admin_session, "eu-west-1")
    code = lam.get_function(FunctionName="report-generator")["Code"]
    assert code["ImageUri"].endswith("/report-generator:1.2.0")
    assert code["ResolvedImageUri"].endswith(f"@{by_tag['1.2.0']}")


def test_each_image_version_keeps_its_own_image(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    by_tag = _image_digests(admin_session)
    code = _lam(admin_session, "eu-west-1").get_function(
        FunctionName="report-generator", Qualifier="1"
    )["Code"]
    assert code["ImageUri"].endswith("/report-generator:1.0.0")
    assert code["ResolvedImageUri"].endswith(f"@{by_tag['1.0.0']}")


def test_estate_triggers_urls_layers_and_trail(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    lam = _lam(admin_session)
    sources = {
        m["EventSourceArn"].split(":")[2]
        for m in lam.list_event_source_mappings()["EventSourceMappings"]
    }
    assert {"sqs", "dynamodb"} <= sources
    url = lam.get_function_url_config(FunctionName="orders-api", Qualifier="live")
    assert url["AuthType"] == "AWS_IAM"
    layers = lam.get_function(FunctionName="orders-worker")["Configuration"]["Layers"]
    assert layers[0]["Arn"].endswith(":layer:common-utils:2")
    trails = admin_session.client("cloudtrail").describe_trails()["trailList"]
    assert any(t["S3BucketName"] == seeded["estate"].trail_bucket for t in trails)
    tags = lam.list_tags(
        Resource=lam.get_function(FunctionName="image-resizer")["Configuration"]["FunctionArn"]
    )
    assert tags["Tags"]["managed-by"] == "terraform"


def test_estate_looks_benign(seeded: dict[str, ScenarioResult], admin_session: Any) -> None:
    compromised = {
        (ref.region, ref.name) for result in seeded.values() for ref in result.compromised
    }
    for ref in seeded["estate"].functions:
        if (ref.region, ref.name) in compromised:
            continue
        lam = _lam(admin_session, ref.region)
        try:
            policy = json.loads(lam.get_policy(FunctionName=ref.name)["Policy"])
        except lam.exceptions.ResourceNotFoundException:
            continue
        for statement in policy["Statement"]:
            assert statement["Principal"] != "*" and "Condition" in statement


def test_estate_logs_have_benign_errors_and_no_timeouts(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    worker = _events(admin_session, "us-east-1", "/aws/lambda/orders-worker")
    assert any(m.startswith("[ERROR] ValueError: order total must be positive") for m in worker)
    assert any(m.startswith("START RequestId: ") and m.endswith(" Version: 3") for m in worker)
    quiet = [
        m
        for region, group in seeded["estate"].log_groups
        if group.startswith("/aws/lambda/billing-export")
        for m in _events(admin_session, region, group)
    ]
    reports = [REPORT.match(m) for m in quiet if m.startswith("REPORT ")]
    assert len(reports) >= 4 * 2 * 4 and all(reports)  # 4 functions, 2 sandboxes, 4 calls
    assert not any(r and r["status"] == "timeout" for r in reports)


def test_estate_json_logging_function_writes_json_events(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    config = _lam(admin_session).get_function_configuration(FunctionName="orders-api")
    assert config["LoggingConfig"]["LogFormat"] == "JSON"
    events = [json.loads(m) for m in _events(admin_session, "us-east-1", "/aws/lambda/orders-api")]
    reports = [e["record"] for e in events if e.get("type") == "platform.report"]
    assert reports and all(r["metrics"]["memorySizeMB"] == 256 for r in reports)
    assert any(e.get("level") == "ERROR" and e["message"]["errorType"] == "Error" for e in events)


def test_estate_logging_config_sends_logs_to_a_custom_group(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    assert ("us-east-1", "/acme/platform/audit-archiver") in seeded["estate"].log_groups
    config = _lam(admin_session).get_function_configuration(
        FunctionName="audit-archiver", Qualifier="1"
    )
    assert config["LoggingConfig"]["LogGroup"] == "/acme/platform/audit-archiver"
    messages = _events(admin_session, "us-east-1", "/acme/platform/audit-archiver")
    assert any(REPORT.match(m) for m in messages)
    logs = admin_session.client("logs", region_name="us-east-1")
    default = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/audit-archiver")
    assert [g["logGroupName"] for g in default["logGroups"]] == []


@pytest.mark.parametrize("qualifier", ["$LATEST", "3"])
def test_logging_config_survives_on_latest_and_later_versions(
    seeded: dict[str, ScenarioResult], admin_session: Any, qualifier: str
) -> None:
    config = _lam(admin_session).get_function_configuration(
        FunctionName="audit-archiver", Qualifier=qualifier
    )
    assert config["LoggingConfig"]["LogGroup"] == "/acme/platform/audit-archiver"


def test_denonia_replaced_code_with_inert_miner_and_kept_clean_version(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    incident = seeded["denonia"]
    bad, clean = incident.compromised[0], incident.clean_versions[0]
    lam = _lam(admin_session, bad.region)
    for qualifier in ("$LATEST", bad.qualifier):
        members = _members(_code(lam, bad.name, str(qualifier)))
        binary = members["bootstrap"]
        assert binary.startswith(b"\x7fELF")
        assert all(indicator.encode() in binary for indicator in DENONIA_INDICATORS)
    original = _members(_code(lam, clean.name, str(clean.qualifier)))
    assert "app.py" in original and b"denonia" not in b"".join(original.values())
    config = lam.get_function_configuration(FunctionName=bad.name)
    assert (config["Timeout"], config["MemorySize"]) == (900, 3008)


def test_denonia_opens_the_function_to_anyone(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    bad = seeded["denonia"].compromised[0]
    lam = _lam(admin_session, bad.region)
    statements = json.loads(lam.get_policy(FunctionName=bad.name)["Policy"])["Statement"]
    public = [s for s in statements if s["Principal"] in ("*", {"AWS": "*"})]
    assert {s["Action"] for s in public} == {"lambda:InvokeFunction", "lambda:InvokeFunctionUrl"}
    assert lam.get_function_url_config(FunctionName=bad.name)["AuthType"] == "NONE"


def _events(session: Any, region: str, group: str) -> list[str]:
    logs = session.client("logs", region_name=region)
    messages = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
        messages.extend(event["message"] for event in page["events"])
    return messages


def test_denonia_logs_show_long_timeouts_and_miner_output(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    region, group = seeded["denonia"].log_groups[0]
    messages = _events(admin_session, region, group)
    reports = [REPORT.match(m) for m in messages if m.startswith("REPORT ")]
    assert reports and all(reports)
    miner = [r for r in reports if r and r["memory"] == "3008"]
    assert len(miner) > 100
    assert all(float(r["duration"]) >= 840_000 for r in miner)
    assert sum(r["status"] == "timeout" for r in miner) > len(miner) / 2
    assert any("Task timed out after 900.00 seconds" in m for m in messages)
    assert any("stratum" in m or "116.203.4.0:3333" in m for m in messages)
    assert any("dns.google.com/resolve?name=gw.denonia.xyz" in m for m in messages)
    assert any(m.startswith("INIT_START Runtime Version: provided:al2023") for m in messages)
    benign = [r for r in reports if r and r["memory"] == "512"]
    assert benign and all(float(r["duration"]) < 30_000 for r in benign)


def test_denonia_update_code_is_attributed_to_stolen_ci_key_in_lookup_events(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    incident = seeded["denonia"]
    step = next(t for t in incident.techniques if t.id == "denonia.update-code")
    trail = admin_session.client("cloudtrail", config=client_config())
    found = []
    for page in trail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": step.event_name}],
        StartTime=step.time - timedelta(minutes=1),
        EndTime=step.time + timedelta(minutes=1),
    ):
        found.extend(json.loads(e["CloudTrailEvent"]) for e in page["Events"])
    mine = [r for r in found if r["sourceIPAddress"] == ATTACKER_IP]
    assert len(mine) == 1
    record = mine[0]
    assert record["userIdentity"]["userName"] == "ci-deployer"
    assert record["userIdentity"]["accessKeyId"] == incident.attacker.access_key_id
    assert record["eventTime"] == step.time.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "kali" in record["userAgent"]


def test_denonia_role_session_enumerates_iam_from_attacker_ip(
    seeded: dict[str, ScenarioResult], aws: Emulator
) -> None:
    iam_calls = [
        r
        for r in aws.records()
        if r["eventSource"] == "iam.amazonaws.com" and r["sourceIPAddress"] == ATTACKER_IP
    ]
    assert {r["eventName"] for r in iam_calls} >= {
        "ListUsers",
        "ListRoles",
        "ListAttachedRolePolicies",
    }
    identity = iam_calls[0]["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"].endswith(":assumed-role/image-resizer-us-east-1-role/image-resizer")


def test_trail_bucket_holds_the_attack(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    bucket = seeded["estate"].trail_bucket
    s3 = admin_session.client("s3")
    keys = [
        obj["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for obj in page.get("Contents", [])
    ]
    assert keys and all(
        k.startswith(f"AWSLogs/{seeded['estate'].account_id}/CloudTrail/") for k in keys
    )
    step = next(t for t in seeded["denonia"].techniques if t.id == "denonia.update-code")
    day = step.time.strftime("%Y/%m/%d")
    records = [
        record
        for key in keys
        if f"/us-east-1/{day}/" in key
        for record in json.loads(
            gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        )["Records"]
    ]
    assert any(
        r["eventName"] == "UpdateFunctionCode20150331v2" and r["sourceIPAddress"] == ATTACKER_IP
        for r in records
    )


def test_stratus_event_names_match_the_real_detonation_logs(
    seeded: dict[str, ScenarioResult], aws: Emulator
) -> None:
    operator = seeded["stratus"].attacker
    assert operator is not None
    records = {
        r["eventName"]: r
        for r in aws.records()
        if r["sourceIPAddress"] == operator.source_ip
        and r["userAgent"].startswith("stratus-red-team_")
    }
    for technique in seeded["stratus"].techniques:
        real = json.loads((STRATUS_LOGS / f"{technique.id}.json").read_text())[0]
        assert technique.event_name == real["eventName"]
        ours = records[real["eventName"]]
        # What the scenario sends; `environment: {}` and `fullyQualifiedArn` are added by
        # AWS's recorder itself (the emulator core's business, reported to its owner).
        sent = set(real["requestParameters"]) - {"fullyQualifiedArn", "dryRun", "environment"}
        assert sent <= set(ours["requestParameters"])
        assert ours["userIdentity"]["type"] == real["userIdentity"]["type"] == "IAMUser"
    backdoor = records["AddPermission20150331v2"]["requestParameters"]
    assert (backdoor["principal"], backdoor["statementId"]) == ("*", "backdoor")


def test_stratus_extension_layer_is_attached_and_logged(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    result = seeded["stratus"]
    lam = _lam(admin_session)
    function = lam.get_function(FunctionName="stratus-red-team-lambda-layer-simpleLambda")
    layer_arn = function["Configuration"]["Layers"][0]["Arn"]
    assert layer_arn == result.layers[0]
    layer = lam.get_layer_version_by_arn(Arn=layer_arn)
    names = _members(_download(layer["Content"]["Location"]))
    assert "extensions/python-example-extension" in names
    group = {g: r for r, g in result.log_groups}
    messages = _events(
        admin_session, "us-east-1", "/aws/lambda/stratus-red-team-lambda-layer-simpleLambda"
    )
    assert "/aws/lambda/stratus-red-team-lambda-layer-simpleLambda" in group
    assert any(
        m == "EXTENSION\tName: python-example-extension\tState: Ready\tEvents: [INVOKE,SHUTDOWN]"
        for m in messages
    )


def test_backdoors_version_scoped_policy_and_weighted_alias(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    lam = _lam(admin_session)
    scoped = json.loads(lam.get_policy(FunctionName="orders-api", Qualifier="3")["Policy"])
    assert [s["Principal"] for s in scoped["Statement"]] == [
        {"AWS": "arn:aws:iam::999988887777:root"}
    ]
    alias = lam.get_alias(FunctionName="user-notifier", Name="live")
    assert alias["FunctionVersion"] == "5"
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"4": 0.01}
    assert EXFIL_URL.encode() in _members(_code(lam, "user-notifier", "4"))["app.js"]
    # `live` was a canary (primary 2): the attacker republished what it served.
    shas = {v: lam.get_function(FunctionName="user-notifier", Qualifier=v) for v in "25"}
    assert len({got["Configuration"]["CodeSha256"] for got in shas.values()}) == 1


def test_backdoors_runtime_hooks_foreign_layer_destination_and_logging(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    lam = _lam(admin_session)
    wrapped = lam.get_function_configuration(FunctionName="billing-export")
    variables = wrapped["Environment"]["Variables"]
    assert variables["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bin/bootstrap-wrapper"
    assert variables["STAGE"] == "prod"
    hooked = lam.get_function_configuration(FunctionName="auth-token-refresh")
    assert hooked["Environment"]["Variables"]["NODE_OPTIONS"].startswith("--require /opt/")
    layers = lam.get_function_configuration(FunctionName="inventory-sync")["Layers"]
    assert [layer["Arn"].split(":")[4] for layer in layers] == ["123456789012", "999988887777"]
    foreign = _members(
        _download(lam.get_layer_version_by_arn(Arn=layers[1]["Arn"])["Content"]["Location"])
    )
    assert "extensions/otel-collector" in foreign
    destination = lam.get_function_event_invoke_config(FunctionName="orders-worker")
    assert ":999988887777:" in destination["DestinationConfig"]["OnSuccess"]["Destination"]
    assert (
        lam.get_function_recursion_config(FunctionName="orders-worker")["RecursiveLoop"] == "Allow"
    )
    logging = lam.get_function_configuration(FunctionName="report-generator")["LoggingConfig"]
    assert logging["LogGroup"] == "/aws/lambda-insights-archive"
    logs = admin_session.client("logs", region_name="us-east-1")
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/report-generator")
    assert "/aws/lambda/report-generator" not in [g["logGroupName"] for g in groups["logGroups"]]


@pytest.mark.parametrize("name", ["denonia", "stratus", "backdoors"])
def test_every_technique_has_its_record_with_the_attackers_identity(
    seeded: dict[str, ScenarioResult], aws: Emulator, name: str
) -> None:
    result = seeded[name]
    assert result.attacker is not None and result.techniques
    records = aws.records()
    for technique in result.techniques:
        stamp = technique.time.strftime("%Y-%m-%dT%H:%M:%SZ")
        match = [
            r
            for r in records
            if r["eventName"] == technique.event_name
            and r["eventTime"] == stamp
            and r["sourceIPAddress"] == technique.source_ip
        ]
        assert len(match) == 1, technique.id
        identity = match[0]["userIdentity"]
        assert identity["accessKeyId"] == technique.access_key_id
        assert identity["arn"] == technique.actor_arn
    users = {"denonia": "ci-deployer", "stratus": "red-team-operator", "backdoors": "dev-sam"}
    assert result.attacker.arn.endswith(f":user/{users[name]}")


def test_backdoors_logs_show_the_foreign_extension_and_the_backdoored_version(
    seeded: dict[str, ScenarioResult], admin_session: Any
) -> None:
    groups = {group: region for region, group in seeded["backdoors"].log_groups}
    assert set(groups) == {"/aws/lambda/inventory-sync", "/aws/lambda/user-notifier"}
    inventory = _events(admin_session, "us-east-1", "/aws/lambda/inventory-sync")
    extension = "EXTENSION\tName: otel-collector\tState: Ready\tEvents: [INVOKE,SHUTDOWN]"
    assert inventory.count(extension) == 2
    logs = admin_session.client("logs", region_name="us-east-1")
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/user-notifier")["logStreams"]
    assert any("/[4]" in stream["logStreamName"] for stream in streams)
    live = _lam(admin_session).get_alias(FunctionName="billing-export", Name="live")
    hooked = _lam(admin_session).get_function_configuration(
        FunctionName="billing-export", Qualifier=live["FunctionVersion"]
    )
    assert "AWS_LAMBDA_EXEC_WRAPPER" in hooked["Environment"]["Variables"]
