"""Fidelity fixes: missing-function 404s, XML 500s for IAM/STS, backdated LastModified,
CloudTrail shapes checked against the real Stratus samples, the Lambda service's own calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from lambda_ir.emulator.client import client_config, session_for
from lambda_ir.emulator.quotas import FaultSpec
from lambda_ir.emulator.scenarios.actors import ActorClients, ScenarioClock, lambda_service
from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator
from tests.emulator.conftest import make_function, make_role, zip_of


@pytest.mark.parametrize(
    ("operation", "extra"),
    [
        ("list_versions_by_function", {}),
        ("list_aliases", {}),
        ("get_policy", {}),
        ("get_function", {}),
        ("list_function_url_configs", {}),
    ],
)
def test_per_function_calls_on_a_missing_function_are_404(
    aws: Emulator, admin: Any, name: str, operation: str, extra: dict[str, Any]
) -> None:
    lam = admin.client("lambda", config=client_config())
    with pytest.raises(ClientError) as raised:
        getattr(lam, operation)(FunctionName=name, **extra)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    arn = f"arn:aws:lambda:us-east-1:{aws.account_id}:function:{name}"
    assert error["Error"]["Message"] == f"Function not found: {arn}"


@pytest.fixture(scope="module")
def failing(aws: Emulator) -> Iterator[Emulator]:
    # moto's backends are process-wide: this second gateway sees the same account.
    with running_emulator(faults=FaultSpec(rate=1.0, kinds=("500",)), flush_interval=3600) as e:
        yield e


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("iam", lambda c: c.list_roles(), "ServiceFailure"),
        ("sts", lambda c: c.get_caller_identity(), "InternalFailure"),
        ("lambda", lambda c: c.list_functions(), "ServiceException"),
    ],
)
def test_injected_500s_parse_in_the_services_protocol_and_are_retried(
    failing: Emulator, service: str, call: Any, code: str
) -> None:
    session = session_for(failing, "testing", "testing")
    retrying = Config(retries={"mode": "standard", "total_max_attempts": 3})
    client = session.client(service, config=retrying)
    with pytest.raises(ClientError) as raised:
        call(client)
    error = raised.value.response
    assert error["Error"]["Code"] == code
    assert error["Error"]["Message"] == "An internal error occurred (injected fault)."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert error["ResponseMetadata"]["RetryAttempts"] == 2  # botocore saw a retryable 500


def _at(aws: Emulator, moment: datetime) -> Any:
    return session_for(aws, "testing", "testing", event_time=moment)


def test_last_modified_follows_the_event_time_of_each_change(
    aws: Emulator, admin: Any, name: str
) -> None:
    role = make_role(admin, f"{name}-role")
    day = [datetime(2026, 3, d, 9, 30, 15, 250000, tzinfo=UTC) for d in (1, 2, 3, 4, 5)]
    created = (
        _at(aws, day[0])
        .client("lambda", config=client_config())
        .create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": zip_of("v1")},
        )
    )
    assert created["LastModified"] == "2026-03-01T09:30:15.250+0000"
    first = (
        _at(aws, day[1]).client("lambda", config=client_config()).publish_version(FunctionName=name)
    )
    assert first["LastModified"] == "2026-03-02T09:30:15.250+0000"
    again = (
        _at(aws, day[2]).client("lambda", config=client_config()).publish_version(FunctionName=name)
    )
    assert (again["Version"], again["LastModified"]) == ("1", first["LastModified"])
    _at(aws, day[3]).client("lambda", config=client_config()).update_function_code(
        FunctionName=name, ZipFile=zip_of("v2")
    )
    lam = admin.client("lambda", config=client_config())
    assert lam.get_function(FunctionName=name)["Configuration"]["LastModified"] == (
        "2026-03-04T09:30:15.250+0000"
    )
    _at(aws, day[4]).client("lambda", config=client_config()).update_function_configuration(
        FunctionName=name, Description="changed"
    )
    listed = {
        v["Version"]: v["LastModified"]
        for v in lam.list_versions_by_function(FunctionName=name)["Versions"]
    }
    assert listed == {
        "$LATEST": "2026-03-05T09:30:15.250+0000",
        "1": "2026-03-02T09:30:15.250+0000",
    }


def test_layer_created_date_follows_the_event_time(aws: Emulator, name: str) -> None:
    moment = datetime(2026, 2, 14, 23, 59, 1, tzinfo=UTC)
    lam = _at(aws, moment).client("lambda", config=client_config())
    published = lam.publish_layer_version(LayerName=name, Content={"ZipFile": zip_of("layer")})
    assert published["CreatedDate"] == "2026-02-14T23:59:01.000+0000"
    [listed] = lam.list_layer_versions(LayerName=name)["LayerVersions"]
    assert listed["CreatedDate"] == published["CreatedDate"]


def _records(aws: Emulator, event: str, needle: str) -> list[dict[str, Any]]:
    return [
        r
        for r in aws.records()
        if r["eventName"].startswith(event) and needle in str(r.get("requestParameters"))
    ]


def test_update_configuration_logs_an_empty_environment_and_url_config_none(
    aws: Emulator, admin: Any, name: str
) -> None:
    make_function(admin, name)
    lam = admin.client("lambda", config=client_config())
    lam.update_function_configuration(FunctionName=name, Description="layers only")
    lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    [update] = _records(aws, "UpdateFunctionConfiguration", name)
    assert update["eventName"] == "UpdateFunctionConfiguration20150331v2"
    assert update["requestParameters"] == {
        "functionName": name,
        "description": "layers only",
        "environment": {},
    }
    assert update["responseElements"]["environment"] == {}
    [url] = _records(aws, "CreateFunctionUrlConfig", name)
    assert url["responseElements"]["authType"] == "NONE"
    assert "environment" not in url["responseElements"]


def test_the_lambda_services_own_calls_log_as_aws_service(
    aws: Emulator, admin: Any, name: str
) -> None:
    role_arn = make_role(admin, f"{name}-role")
    service = ActorClients(aws, lambda_service(aws), ScenarioClock(datetime.now(UTC)))
    service.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=name)
    logs = service.client("logs")
    logs.create_log_group(logGroupName=f"/aws/lambda/{name}")
    logs.create_log_stream(logGroupName=f"/aws/lambda/{name}", logStreamName="s")
    logs.put_log_events(
        logGroupName=f"/aws/lambda/{name}",
        logStreamName="s",
        logEvents=[{"timestamp": int(datetime.now(UTC).timestamp() * 1000), "message": "m"}],
    )
    [assume] = _records(aws, "AssumeRole", name)
    [stream] = _records(aws, "CreateLogStream", name)
    for record in (assume, stream):
        assert record["userIdentity"] == {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"}
        assert record["sourceIPAddress"] == record["userAgent"] == "lambda.amazonaws.com"
        assert "tlsDetails" not in record
    assert assume["requestParameters"] == {"roleArn": role_arn, "roleSessionName": name}
    assert _records(aws, "PutLogEvents", name) == []  # a data call CloudTrail does not log
    # The same keys without the mark are the admin user, as before.
    admin.client("logs").describe_log_streams(logGroupName=f"/aws/lambda/{name}")
    [described] = _records(aws, "DescribeLogStreams", name)
    assert described["userIdentity"]["type"] == "IAMUser"


def test_a_service_acting_with_a_roles_session_logs_the_role_with_invoked_by(
    aws: Emulator, admin: Any, name: str
) -> None:
    # CloudFormation deploying with a stack's role: the role session is the identity, the
    # service is added as `invokedBy` and stands as source address and user agent.
    role_arn = make_role(admin, f"{name}-role")
    service = ActorClients(aws, lambda_service(aws), ScenarioClock(datetime.now(UTC)))
    keys = service.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    cfn = "cloudformation.amazonaws.com"
    secrets = (keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"])
    session_for(aws, *secrets, via_service=cfn).client("logs").create_log_group(
        logGroupName=f"/stack/{name}"
    )
    session_for(aws, *secrets, source_ip="203.0.113.9").client("logs").create_log_group(
        logGroupName=f"/own/{name}"
    )
    [through, own] = _records(aws, "CreateLogGroup", name)
    if through["requestParameters"]["logGroupName"].startswith("/own/"):
        through, own = own, through
    assert through["userIdentity"] == {**own["userIdentity"], "invokedBy": cfn}
    assert through["userIdentity"]["type"] == "AssumedRole"
    assert through["userIdentity"]["arn"].endswith(f"-role/{name}")
    assert through["sourceIPAddress"] == through["userAgent"] == cfn
    assert "tlsDetails" not in through
    assert own["sourceIPAddress"] == "203.0.113.9" and "tlsDetails" in own


def test_layer_version_policy_of_another_account(aws: Emulator, admin: Any, name: str) -> None:
    owner = "210987654321"
    # moto issues a session for any role ARN: this one acts in the other account.
    role_arn = f"arn:aws:iam::{owner}:role/publisher"
    creds = admin.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="publisher")[
        "Credentials"
    ]
    other = session_for(
        aws, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    ).client("lambda", config=client_config())
    layer = other.publish_layer_version(LayerName=name, Content={"ZipFile": zip_of("x")})
    lam = admin.client("lambda", config=client_config())
    arn = str(layer["LayerArn"])
    assert arn.split(":")[4] == owner
    with pytest.raises(ClientError) as raised:
        lam.get_layer_version_policy(LayerName=arn, VersionNumber=1)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    other.add_layer_version_permission(
        LayerName=name,
        VersionNumber=1,
        StatementId="everyone",
        Action="lambda:GetLayerVersion",
        Principal="*",
    )
    answer = lam.get_layer_version_policy(LayerName=arn, VersionNumber=1)
    [statement] = json.loads(answer["Policy"])["Statement"]
    assert statement["Sid"] == "everyone"
    assert statement["Action"] == "lambda:GetLayerVersion"
    assert statement["Resource"] == f"{arn}:1"
    assert answer["RevisionId"]
    with pytest.raises(ClientError) as raised:
        lam.get_layer_version_policy(LayerName=arn, VersionNumber=9)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
