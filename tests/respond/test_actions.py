"""Each action against the emulator: what --apply changes, that a second run changes nothing,
and that the undo plan puts the previous state back."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.respond import ChoiceError, Status, choose, contain, load_undo, run_undo
from lambda_ir.respond.contain import ContainResult
from tests.respond.conftest import Estate


def _apply(estate: Estate, case: Case, *actions: str, **options: Any) -> ContainResult:
    request = estate.request(*actions, apply=True, **options)
    return contain(case, estate.clients(), estate.session, request)


def _undo(estate: Estate, case: Case, result: ContainResult) -> None:
    assert result.undo_path
    plan = load_undo(case, result.undo_path)
    done = run_undo(case, estate.clients(), plan, apply=True, run="respond/test-undo")
    assert done.outcomes and all(o.status is Status.APPLIED for o in done.outcomes)


def _replan(estate: Estate, case: Case, *actions: str, **options: Any) -> ContainResult:
    return contain(case, estate.clients(), estate.session, estate.request(*actions, **options))


def test_disable_triggers_disables_mappings_and_undo_enables_them(
    estate: Estate, case: Case
) -> None:
    sqs = estate.client("sqs")
    queue = sqs.create_queue(QueueName=f"{estate.function}-q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    lam = estate.client("lambda")
    mapping = lam.create_event_source_mapping(
        FunctionName=estate.function, EventSourceArn=arn["QueueArn"]
    )["UUID"]
    result = _apply(estate, case, "disable-triggers")
    assert result.state() == {"disable-triggers": "in place"}
    assert lam.get_event_source_mapping(UUID=mapping)["State"] == "Disabled"
    assert _replan(estate, case, "disable-triggers").plan.changes == ()
    _undo(estate, case, result)
    assert lam.get_event_source_mapping(UUID=mapping)["State"] == "Enabled"


def test_pin_alias_points_aliases_at_the_version_and_clears_weights(
    estate: Estate, case: Case
) -> None:
    lam = estate.client("lambda")
    result = _apply(estate, case, "pin-alias=1")
    assert result.state() == {"pin-alias=1": "in place"}
    alias = lam.get_alias(FunctionName=estate.function, Name="live")
    assert alias["FunctionVersion"] == "1"
    assert not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    _undo(estate, case, result)
    alias = lam.get_alias(FunctionName=estate.function, Name="live")
    assert alias["FunctionVersion"] == "2"
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"1": 0.25}
    missing = _replan(estate, case, "pin-alias=9")
    assert missing.state()["pin-alias=9"].startswith("unknown: lambda:GetFunctionConfiguration")


def test_deny_role_attaches_deny_all_and_undo_removes_only_that_policy(
    estate: Estate, case: Case
) -> None:
    iam = estate.client("iam")
    iam.put_role_policy(
        RoleName=estate.role,
        PolicyName="app",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    result = _apply(estate, case, "deny-role")
    document = iam.get_role_policy(RoleName=estate.role, PolicyName="lambda-ir-deny-all")
    assert document["PolicyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert _replan(estate, case, "deny-role").plan.changes == ()
    _undo(estate, case, result)
    assert iam.list_role_policies(RoleName=estate.role)["PolicyNames"] == ["app"]
    assert iam.get_role(RoleName=estate.role)["Role"]["RoleName"] == estate.role


def test_revoke_sessions_denies_a_session_issued_before_and_undo_lets_it_back(
    estate: Estate, case: Case, emulator_session: Emulator
) -> None:
    iam = estate.client("iam")
    allow = {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": "*"}
    iam.put_role_policy(
        RoleName=estate.role,
        PolicyName="app",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [allow]}),
    )
    arn = iam.get_role(RoleName=estate.role)["Role"]["Arn"]
    creds = estate.client("sts").assume_role(RoleArn=arn, RoleSessionName="stolen")
    stolen = boto3.Session(
        aws_access_key_id=creds["Credentials"]["AccessKeyId"],
        aws_secret_access_key=creds["Credentials"]["SecretAccessKey"],
        aws_session_token=creds["Credentials"]["SessionToken"],
    ).client("lambda", endpoint_url=estate.endpoint, region_name=estate.region)
    # The cutoff is the run's start; two seconds on, so the stolen session is surely older.
    request = replace(
        estate.request("revoke-sessions", apply=True), now=datetime.now(UTC) + timedelta(seconds=2)
    )
    result = contain(case, estate.clients(), estate.session, request)
    assert result.state() == {"revoke-sessions": "in place"}
    emulator_session.enforce_iam = True
    try:
        with pytest.raises(ClientError, match="explicit deny"):
            stolen.get_function(FunctionName=estate.function)
        _undo(estate, case, result)  # the emulator's admin keys stay allowed
        assert stolen.get_function(FunctionName=estate.function)["Configuration"]
    finally:
        emulator_session.enforce_iam = False


def test_deactivate_key_sets_inactive_never_deletes(estate: Estate, case: Case) -> None:
    iam = estate.client("iam")
    user = f"{estate.function}-ci"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    result = _apply(estate, case, f"deactivate-key={key}")
    assert result.state() == {f"deactivate-key={key}": "in place"}
    (listed,) = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert listed["Status"] == "Inactive"
    _undo(estate, case, result)
    (listed,) = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert listed["Status"] == "Active"
    temporary = _replan(estate, case, "deactivate-key=ASIAEXAMPLEEXAMPLE12")
    assert "revoke-sessions" in temporary.state()["deactivate-key=ASIAEXAMPLEEXAMPLE12"]


def test_strip_actions_need_the_flag_and_undo_restores_layers_and_variables(
    estate: Estate, case: Case
) -> None:
    with pytest.raises(ChoiceError, match="--allow-config-change"):
        choose(("strip-env=DB_PASSWORD",))
    lam = estate.client("lambda")
    layer = lam.publish_layer_version(
        LayerName=f"{estate.function}-layer", Content={"ZipFile": _zip()}
    )["LayerVersionArn"]
    lam.update_function_configuration(FunctionName=estate.function, Layers=[layer])
    options = {"allow_config_change": True}
    result = _apply(estate, case, "strip-layers", "strip-env=DB_PASSWORD", **options)
    config = lam.get_function_configuration(FunctionName=estate.function)
    assert not config.get("Layers")
    assert config["Environment"]["Variables"] == {"STAGE": "prod"}
    assert lam.get_function_configuration(FunctionName=estate.function, Qualifier="2")[
        "Environment"
    ]["Variables"]["DB_PASSWORD"]  # published versions are untouched
    custody = (case.root / "custody.jsonl").read_text()
    assert "hunter2-very-secret" not in custody  # the restore value is redacted in custody
    _undo(estate, case, result)
    config = lam.get_function_configuration(FunctionName=estate.function)
    assert [x["Arn"] for x in config["Layers"]] == [layer]
    assert config["Environment"]["Variables"]["DB_PASSWORD"] == "hunter2-very-secret"


def test_block_public_removes_open_statements_on_every_qualifier(
    estate: Estate, case: Case
) -> None:
    lam = estate.client("lambda")
    fn = estate.function
    grants = [
        ({"StatementId": "foreign", "Principal": "210987654321"}, None),
        ({"StatementId": "own", "Principal": "123456789012"}, None),
        ({"StatementId": "anyone-live", "Principal": "*"}, "live"),
        ({"StatementId": "anyone-v1", "Principal": "*"}, "1"),
        ({"StatementId": "pinned", "Principal": "*", "SourceAccount": "123456789012"}, None),
        (
            {
                "StatementId": "bucket",
                "Principal": "s3.amazonaws.com",
                "SourceArn": "arn:aws:s3:::uploads",
            },
            "live",
        ),
    ]
    for grant, qualifier in grants:
        extra = {"Qualifier": qualifier} if qualifier else {}
        lam.add_permission(FunctionName=fn, Action="lambda:InvokeFunction", **grant, **extra)
    before = _policies(lam, fn)
    allowing = _replan(estate, case, "block-public", allowed_accounts=frozenset({"210987654321"}))
    assert sorted(c.call.params["StatementId"] for c in allowing.plan.changes) == [
        "anyone-live",
        "anyone-v1",
    ]
    result = _apply(estate, case, "block-public")
    assert {c.call.params["StatementId"] for c in result.plan.changes} == {
        "foreign",
        "anyone-live",
        "anyone-v1",
    }
    assert _policies(lam, fn) == {"_": ["own", "pinned"], "live": ["bucket"], "1": []}
    _undo(estate, case, result)
    assert _policies(lam, fn) == before


def _policies(lam: Any, fn: str) -> dict[str, list[str]]:
    found = {}
    for qualifier in ("_", "live", "1"):
        extra = {"Qualifier": qualifier} if qualifier != "_" else {}
        try:
            policy = json.loads(lam.get_policy(FunctionName=fn, **extra)["Policy"])
        except lam.exceptions.ResourceNotFoundException:
            found[qualifier] = []
            continue
        found[qualifier] = sorted(s["Sid"] for s in policy["Statement"])
    return found


def _zip() -> bytes:
    from tests.acquire.seed import package

    return package("x = 1\n")


def test_disable_url_deletes_every_qualifiers_url_and_undo_recreates_its_configuration(
    estate: Estate, case: Case
) -> None:
    lam = estate.client("lambda")
    cors = {"AllowOrigins": ["https://shop.example"], "AllowMethods": ["GET"]}
    lam.create_function_url_config(FunctionName=estate.function, AuthType="NONE")
    lam.create_function_url_config(
        FunctionName=estate.function, Qualifier="live", AuthType="AWS_IAM", Cors=cors
    )
    result = _apply(estate, case, "disable-url")
    assert len(result.plan.changes) == 2 and result.state() == {"disable-url": "in place"}
    assert lam.list_function_url_configs(FunctionName=estate.function)["FunctionUrlConfigs"] == []
    _undo(estate, case, result)
    configs = lam.list_function_url_configs(FunctionName=estate.function)["FunctionUrlConfigs"]
    shapes = sorted((c["FunctionArn"].rsplit(":", 1)[-1], c["AuthType"]) for c in configs)
    assert shapes == [(estate.function, "NONE"), ("live", "AWS_IAM")]
    (live,) = [c for c in configs if c["FunctionArn"].endswith(":live")]
    assert live["Cors"]["AllowOrigins"] == ["https://shop.example"]


def test_revoke_role_sessions_denies_another_roles_older_sessions(
    estate: Estate, case: Case
) -> None:
    # A pipeline role whose temporary keys were stolen: not the function's execution role.
    iam = estate.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    arn = iam.create_role(
        RoleName=f"{estate.function}-ci", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    action = f"revoke-role-sessions={arn}"
    result = _apply(estate, case, action)
    assert result.state() == {action: "in place"}
    policy = iam.get_role_policy(
        RoleName=f"{estate.function}-ci", PolicyName="AWSRevokeOlderSessions"
    )
    assert policy["PolicyDocument"]["Statement"][0]["Condition"]["DateLessThan"]
    with pytest.raises(ClientError, match="NoSuchEntity"):  # the execution role is untouched
        iam.get_role_policy(RoleName=estate.role, PolicyName="AWSRevokeOlderSessions")
    _undo(estate, case, result)
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_role_policy(RoleName=f"{estate.function}-ci", PolicyName="AWSRevokeOlderSessions")
    elsewhere = _replan(estate, case, "revoke-role-sessions=arn:aws:iam::999988887777:role/x")
    assert (
        "account 999988887777"
        in elsewhere.state()["revoke-role-sessions=arn:aws:iam::999988887777:role/x"]
    )
    with pytest.raises(ChoiceError, match="needs a value"):
        choose(("revoke-role-sessions",))
