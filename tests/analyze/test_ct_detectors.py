"""CloudTrail detectors: one firing and one quiet fixture each, asserting the evidence cited."""

from __future__ import annotations

import pytest

from lambda_ir.analyze.caseview import AnalyzeOptions, CaseView
from lambda_ir.analyze.detectors import (
    ALL,
    ct_add_permission,
    ct_code_update,
    ct_config_hooks,
    ct_deletions,
    ct_event_source_mapping,
    ct_function_url,
    ct_privileged_role,
    ct_recon_burst,
    ct_role_outside_lambda,
    ct_trail_tampering,
)
from lambda_ir.analyze.engine import run_detectors
from lambda_ir.evidence import Case
from lambda_ir.model import Severity
from tests.analyze.casebuild import (
    ACCOUNT,
    REGION,
    CaseBuilder,
    function_config,
    role_identity,
    run_detector,
    trail_event,
)

FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"


def _one(builder: CaseBuilder, detector: object, records: list[dict]) -> list:
    entry = builder.trail(records)
    found = run_detector(builder, detector)
    for finding in found:
        assert finding.evidence[0].path == entry.path
        assert finding.evidence[0].sha256 == entry.sha256
    return found


def test_add_permission_public_fires(builder: CaseBuilder) -> None:
    found = _one(
        builder,
        ct_add_permission.DETECTOR,
        [
            trail_event(
                "AddPermission20150331v2",
                {
                    "functionName": "orders",
                    "principal": "*",
                    "action": "lambda:InvokeFunction",
                    "statementId": "bd",
                },
                event_id="p1",
            ),
            trail_event(
                "AddPermission20150331v2",
                {
                    "functionName": "orders",
                    "principal": "999988887777",
                    "action": "lambda:InvokeFunction",
                    "statementId": "x",
                },
                event_id="p2",
            ),
        ],
    )
    assert [(f.severity, f.resource) for f in found] == [
        (Severity.HIGH, FN_ARN),
        (Severity.MEDIUM, FN_ARN),
    ]
    assert found[0].actor.arn.endswith("user/mallory")
    assert found[0].time == "2026-11-02T12:00:00Z"
    assert found[0].details["event_id"] == "p1"


def test_add_permission_service_or_same_account_is_quiet(builder: CaseBuilder) -> None:
    assert (
        _one(
            builder,
            ct_add_permission.DETECTOR,
            [
                trail_event(
                    "AddPermission20150331v2",
                    {"functionName": "orders", "principal": "s3.amazonaws.com"},
                ),
                trail_event(
                    "AddPermission20150331v2",
                    {"functionName": "orders", "principal": ACCOUNT},
                    event_id="e2",
                ),
                trail_event(
                    "AddPermission20150331v2",
                    {"functionName": "orders", "principal": "*"},
                    event_id="e3",
                    errorCode="AccessDenied",
                ),
            ],
        )
        == []
    )


def test_add_permission_whose_record_names_no_principal_is_medium(builder: CaseBuilder) -> None:
    """A grant's record without `principal` (as Panther's labelled AddPermission cases log
    it) does not say whom the function was opened to: it was silent, as if to a service."""
    found, null = _one(
        builder,
        ct_add_permission.DETECTOR,
        [
            trail_event("AddPermission20150331v2", {"functionName": "orders"}, event_id="n1"),
            trail_event(
                "AddPermission20150331v2",
                {"functionName": "orders", "principal": None, "statementId": "nul"},
                event_id="n3",
                time="2026-11-03T12:00:00Z",
            ),
            trail_event(
                "AddPermission20150331v2",
                {"functionName": "orders", "principal": "s3.amazonaws.com"},
                event_id="n2",
            ),
        ],
    )
    assert (found.severity, found.details["event_id"]) == (Severity.MEDIUM, "n1")
    # nor what it allowed, nor which statement: neither is assumed
    assert (
        "allowed a grantee the record does not name to call an action the record does not "
        "name on orders (a statement the record does not name)" in found.summary
    )
    assert found.details["action"] == "" and found.details["principal"] == ""
    assert "read the function's policy (`aws lambda get-policy`)" in found.summary
    assert (null.severity, null.details["event_id"]) == (Severity.MEDIUM, "n3")  # JSON null


def test_function_url_none_fires_and_iam_is_quiet(builder: CaseBuilder) -> None:
    found = _one(
        builder,
        ct_function_url.DETECTOR,
        [
            trail_event(
                "CreateFunctionUrlConfig",
                {"functionName": "orders", "authType": "NONE", "cors": {"allowOrigins": ["*"]}},
                event_id="u1",
            ),
            trail_event(
                "CreateFunctionUrlConfig",
                {"functionName": "orders", "authType": "AWS_IAM"},
                event_id="u2",
            ),
        ],
    )
    assert len(found) == 1 and found[0].details["event_id"] == "u1"
    assert found[0].details["cors_wildcard"] is True
    assert found[0].severity is Severity.HIGH  # no baseline: the event alone decides
    assert "any origin" in found[0].summary


def test_config_hooks_layers_and_env(builder: CaseBuilder) -> None:
    foreign = "arn:aws:lambda:eu-west-1:999988887777:layer:x:1"
    found = _one(
        builder,
        ct_config_hooks.DETECTOR,
        [
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "layers": [foreign]},
                event_id="c1",
            ),
            trail_event(  # values hidden in the request, as CloudTrail logs it
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "environment": {}},
                response={"environment": {"variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/wrap"}}},
                event_id="c2",
            ),
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "timeout": 30},
                event_id="c3",
            ),
            trail_event(  # a timeout change answers with the layers and variables already set
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "timeout": 60},
                response={
                    "layers": [{"arn": foreign, "codeSize": 10}],
                    "environment": {"variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/wrap"}},
                },
                event_id="c4",
                time="2026-11-03T12:00:00Z",
            ),
            trail_event(  # naming only the function (Panther's labelled cases log so): the
                # same layers as after c4 set none (c4's were remembered, though it set none)
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders"},
                response={"layers": [{"arn": foreign, "codeSize": 10}]},
                event_id="c5",
                time="2026-11-04T12:00:00Z",
            ),
        ],
    )
    assert [f.details["event_id"] for f in found] == ["c1", "c2"]
    assert all(f.severity is Severity.HIGH for f in found)
    assert found[1].details["hook_variables"] == ["AWS_LAMBDA_EXEC_WRAPPER"]


def test_config_hooks_native_loaders_added_off_the_paths_are_high(builder: CaseBuilder) -> None:
    env = {
        "LD_AUDIT": "/opt/lib/libaudit.so",
        "OPENSSL_CONF": "/opt/ssl/openssl.cnf",
        "CORECLR_PROFILER_PATH_64": "/var/task/p.so",
        "NODE_OPTIONS": "--experimental_loader=./l.mjs",
        "STAGE": "prod",
    }
    [found] = _one(
        builder,
        ct_config_hooks.DETECTOR,
        [
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "environment": {}},
                response={"environment": {"variables": env}},
            )
        ],
    )
    assert found.severity is Severity.HIGH  # no baseline: the event alone decides
    assert found.details["hook_variables"] == [n for n in env if n != "STAGE"]


def test_config_hooks_pipeline_layer_is_low(builder: CaseBuilder) -> None:
    own = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:3"
    found = _one(
        builder,
        ct_config_hooks.DETECTOR,
        [
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "layers": [own]},
                identity=role_identity("ci-deployer", "gha"),
            )
        ],
    )
    assert [f.severity for f in found] == [Severity.LOW]


def test_code_update_by_person_fires_pipeline_recorded_without_baseline(
    builder: CaseBuilder,
) -> None:
    found = _one(
        builder,
        ct_code_update.DETECTOR,
        [
            trail_event(
                "UpdateFunctionCode20150331v2",
                {"functionName": "orders", "publish": True},
                response={"codeSha256": "abc="},
                event_id="k1",
            ),
            trail_event(
                "UpdateFunctionCode20150331v2",
                {"functionName": "orders"},
                identity=role_identity("ci-deployer", "gha"),
                event_id="k2",
            ),
        ],
    )
    assert [(f.details["event_id"], f.severity) for f in found] == [
        ("k1", Severity.MEDIUM),
        ("k2", Severity.INFO),  # no baseline says the pipeline's role releases: recorded
    ]
    assert "published a version" in found[0].summary
    assert "(a role session)" in found[1].summary and "no baseline yet" in found[1].summary


def test_code_update_by_function_role_is_high(builder: CaseBuilder) -> None:
    builder.versions("worker", [function_config("worker", role=f"arn:aws:iam::{ACCOUNT}:role/wr")])
    found = _one(
        builder,
        ct_code_update.DETECTOR,
        [
            trail_event(
                "UpdateFunctionCode20150331v2",
                {"functionName": "orders"},
                identity=role_identity("wr", "worker"),
                event_id="k3",
            )
        ],
    )
    assert [f.severity for f in found] == [Severity.HIGH]


def test_privileged_role_passed(builder: CaseBuilder) -> None:
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/admin-ish"
    role, inline = builder.admin_role()
    entry = builder.trail(
        [
            trail_event("CreateFunction20150331", {"functionName": "new", "role": role_arn}),
            trail_event(
                "CreateFunction20150331",
                {"functionName": "calm", "role": f"arn:aws:iam::{ACCOUNT}:role/other"},
                event_id="e2",
            ),
        ]
    )
    found = run_detector(builder, ct_privileged_role.DETECTOR)
    assert len(found) == 1
    assert {r.path for r in found[0].evidence} == {entry.path, role.path, inline.path}
    assert "admin-equivalent" in found[0].summary


def test_event_source_mapping(builder: CaseBuilder) -> None:
    found = _one(
        builder,
        ct_event_source_mapping.DETECTOR,
        [
            trail_event(
                "CreateEventSourceMapping20150331",
                {
                    "functionName": "orders",
                    "eventSourceArn": "arn:aws:sqs:eu-west-1:111122223333:q",
                },
            ),
            trail_event("ListEventSourceMappings20150331", {}, event_id="e2"),
        ],
    )
    assert len(found) == 1 and found[0].resource == FN_ARN


# Six kinds of Lambda reads: a burst by kinds alone.
RECON_OPS = (
    "ListFunctions20150331",
    "GetFunction20150331v2",
    "GetPolicy20150331v2",
    "ListAliases20150331",
    "ListVersionsByFunction20150331",
    "GetAccountSettings20160819",
)


def test_recon_burst_fires_for_many_reads_quiet_for_few(builder: CaseBuilder) -> None:
    records = [
        trail_event(op, {}, event_id=f"r{i}", time=f"2026-11-02T12:0{i}:00Z")
        for i, op in enumerate(RECON_OPS)
    ]
    records.append(
        trail_event("GetFunction20150331v2", {}, event_id="q1", identity=role_identity("ci", "x"))
    )
    found = _one(builder, ct_recon_burst.DETECTOR, records)
    assert len(found) == 1 and found[0].actor.arn.endswith("user/mallory")
    assert found[0].details["calls"] == 6


def test_recon_burst_ignores_our_own_collector(builder: CaseBuilder) -> None:
    ops = ["ListFunctions", "GetFunction", "GetPolicy", "ListAliases", "ListTags", "GetAlias"]
    records = [
        trail_event(op, {}, event_id=f"r{i}", user_agent="Boto3/1.44 lambda-ir/0.1")
        for i, op in enumerate(ops)
    ]
    assert _one(builder, ct_recon_burst.DETECTOR, records) == []


def test_deletions(builder: CaseBuilder) -> None:
    found = _one(
        builder,
        ct_deletions.DETECTOR,
        [
            trail_event("DeleteFunction20150331", {"functionName": "orders"}, event_id="d1"),
            trail_event(
                "DeleteLogGroup",
                {"logGroupName": "/aws/lambda/orders"},
                source="logs.amazonaws.com",
                event_id="d2",
            ),
            trail_event(
                "DeleteLogGroup",
                {"logGroupName": "/ecs/web"},
                source="logs.amazonaws.com",
                event_id="d3",
            ),
        ],
    )
    assert [f.details["event_id"] for f in found] == ["d1", "d2"]
    assert found[1].resource.endswith("log-group:/aws/lambda/orders")


def test_trail_tampering(builder: CaseBuilder) -> None:
    found = _one(
        builder,
        ct_trail_tampering.DETECTOR,
        [
            trail_event("StopLogging", {"name": "main"}, source="cloudtrail.amazonaws.com"),
            trail_event(
                "PutEventSelectors",
                {
                    "trailName": "main",
                    "eventSelectors": [{"includeManagementEvents": True, "readWriteType": "All"}],
                },
                source="cloudtrail.amazonaws.com",
                event_id="e2",
            ),
        ],
    )
    assert len(found) == 1 and found[0].details["reason"] == "logging stopped"


def test_role_credentials_outside_lambda_in_a_call_without_an_event_name(
    builder: CaseBuilder,
) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/orders-role"
    builder.versions("orders", [function_config("orders", role=role)])
    call = trail_event(
        "ListBuckets",
        {},
        source="s3.amazonaws.com",
        user_agent="curl/8.0",
        identity=role_identity("orders-role", "orders"),
        source_ip="203.0.113.9",
    )
    del call["eventName"]
    (found,) = _one(builder, ct_role_outside_lambda.DETECTOR, [call])
    assert found.summary.startswith(
        "The credentials of orders's execution role were used for a call without an "
        "eventName from 203.0.113.9 with user agent 'curl/8.0', not from Lambda"
    )


def test_role_credentials_outside_lambda(builder: CaseBuilder) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/orders-role"
    builder.versions("orders", [function_config("orders", role=role)])
    inside = "Boto3/1.34 md/Botocore#1.34 ua/2.0 os/linux exec-env/AWS_Lambda_python3.12"
    found = _one(
        builder,
        ct_role_outside_lambda.DETECTOR,
        [
            trail_event(
                "GetObject",
                {},
                source="s3.amazonaws.com",
                user_agent=inside,
                identity=role_identity("orders-role", "orders"),
                event_id="i1",
            ),
            trail_event(
                "ListBuckets",
                {},
                source="s3.amazonaws.com",
                user_agent="curl/8.0",
                identity=role_identity("orders-role", "orders"),
                event_id="o1",
                source_ip="203.0.113.9",
            ),
            trail_event(
                "ListBuckets",
                {},
                source="s3.amazonaws.com",
                user_agent="curl/8.0",
                identity=role_identity("orders-role", "someone"),
                event_id="o2",
            ),
        ],
    )
    assert [f.details["event_id"] for f in found] == ["o1"]
    assert found[0].resource == FN_ARN
    assert found[0].actor.source_ip == "203.0.113.9"


def test_deploy_tools_are_recorded_without_a_baseline(builder: CaseBuilder) -> None:
    terraform = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io)"
    own = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:3"
    records = [
        trail_event(
            "UpdateFunctionCode20150331v2",
            {"functionName": "orders"},
            user_agent=terraform,
            event_id="t1",
        ),
        trail_event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": "orders", "layers": [own]},
            user_agent=terraform,
            event_id="t2",
        ),
    ]
    # A user agent is the caller's to choose: with no history to say this is how releases
    # are made here, the code change is kept for the record (INFO), never left out.
    (found,) = _one(builder, ct_code_update.DETECTOR, records)
    assert found.severity == Severity.INFO
    assert "with a deployment tool's agent" in found.summary
    assert run_detector(builder, ct_config_hooks.DETECTOR) == []


def test_code_update_from_a_new_address_is_high(builder: CaseBuilder) -> None:
    found = _one(
        builder,
        ct_code_update.DETECTOR,
        [
            trail_event(
                "UpdateFunctionCode20150331v2",
                {"functionName": "orders"},
                event_id="a",
                source_ip="192.0.2.10",
                time="2026-11-01T00:00:00Z",
            ),
            trail_event(
                "UpdateFunctionCode20150331v2",
                {"functionName": "orders"},
                event_id="b",
                source_ip="203.0.113.66",
            ),
        ],
    )
    assert [(f.details["event_id"], f.severity) for f in found] == [
        ("a", Severity.MEDIUM),
        ("b", Severity.HIGH),
    ]


def test_code_update_from_no_recorded_address_says_so(builder: CaseBuilder) -> None:
    """A person's second upload whose record gives no sourceIPAddress is from an address
    never used before, and the summary says it was unrecorded (not "a new address " and
    nothing)."""
    second = trail_event("UpdateFunctionCode20150331v2", {"functionName": "orders"}, event_id="b")
    del second["sourceIPAddress"]
    first = trail_event(
        "UpdateFunctionCode20150331v2",
        {"functionName": "orders"},
        event_id="a",
        time="2026-11-01T00:00:00Z",
    )
    found = _one(builder, ct_code_update.DETECTOR, [first, second])
    unrecorded = next(f for f in found if f.details["event_id"] == "b")
    assert unrecorded.severity is Severity.HIGH
    assert unrecorded.summary.startswith(
        f"arn:aws:iam::{ACCOUNT}:user/mallory (a person, from an unrecorded address) replaced "
        "the code of orders"
    )


def test_layer_shared_publicly(builder: CaseBuilder) -> None:
    found = _one(
        builder,
        ct_add_permission.DETECTOR,
        [
            trail_event(
                "AddLayerVersionPermission20181031",
                {
                    "layerName": "tools",
                    "versionNumber": 3,
                    "principal": "*",
                    "action": "lambda:GetLayerVersion",
                    "statementId": "s",
                },
            ),
            trail_event(
                "AddLayerVersionPermission20181031",
                {
                    "layerName": "tools",
                    "versionNumber": 3,
                    "principal": "*",
                    "organizationId": "o-abc",
                    "action": "lambda:GetLayerVersion",
                },
                event_id="e2",
            ),
        ],
    )
    assert [(f.resource, f.severity) for f in found] == [
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:tools:3", Severity.HIGH),
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:tools:3", Severity.MEDIUM),
    ]


def test_persistence_settings_attributed(builder: CaseBuilder) -> None:
    from lambda_ir.analyze.detectors import ct_persistence_settings

    found = _one(
        builder,
        ct_persistence_settings.DETECTOR,
        [
            trail_event(
                "PutFunctionEventInvokeConfig",
                {
                    "functionName": "orders",
                    "destinationConfig": {
                        "onSuccess": {"destination": "arn:aws:sqs:eu-west-1:999988887777:q"}
                    },
                },
                event_id="d",
            ),
            trail_event(
                "PutFunctionRecursionConfig",
                {"functionName": "orders", "recursiveLoop": "Allow"},
                event_id="r",
            ),
            trail_event(
                "UpdateAlias20150331",
                {
                    "functionName": "orders",
                    "name": "live",
                    "routingConfig": {"additionalVersionWeights": {"4": 0.01}},
                },
                event_id="a",
            ),
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "loggingConfig": {"logGroup": "/elsewhere"}},
                event_id="l",
            ),
        ],
    )
    assert {f.details["event_id"]: f.severity for f in found} == {
        "d": Severity.HIGH,
        "r": Severity.MEDIUM,
        "a": Severity.MEDIUM,
        "l": Severity.MEDIUM,
    }
    assert all(f.actor is not None and f.actor.arn.endswith("user/mallory") for f in found)


def test_persistence_settings_quiet(builder: CaseBuilder) -> None:
    from lambda_ir.analyze.detectors import ct_persistence_settings

    assert (
        _one(
            builder,
            ct_persistence_settings.DETECTOR,
            [
                trail_event(
                    "PutFunctionEventInvokeConfig",
                    {
                        "functionName": "orders",
                        "destinationConfig": {
                            "onFailure": {"destination": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:dlq"}
                        },
                    },
                ),
                trail_event(
                    "PutFunctionRecursionConfig",
                    {"functionName": "orders", "recursiveLoop": "Terminate"},
                    event_id="r",
                ),
                trail_event(
                    "UpdateAlias20150331",
                    {
                        "functionName": "orders",
                        "name": "live",
                        "routingConfig": {"additionalVersionWeights": {}},
                    },
                    event_id="a",
                ),
                trail_event(
                    "UpdateFunctionConfiguration20150331v2",
                    {"functionName": "orders", "loggingConfig": {"logGroup": "/aws/lambda/orders"}},
                    event_id="l",
                ),
            ],
        )
        == []
    )


def test_alias_moved_by_hand_but_not_by_pipeline(builder: CaseBuilder) -> None:
    from lambda_ir.analyze.detectors import ct_persistence_settings

    found = _one(
        builder,
        ct_persistence_settings.DETECTOR,
        [
            trail_event(
                "UpdateAlias20150331",
                {"functionName": "orders", "name": "live", "functionVersion": "4"},
                event_id="hand",
            ),
            trail_event(
                "UpdateAlias20150331",
                {"functionName": "orders", "name": "live", "functionVersion": "5"},
                event_id="ci",
                user_agent="APN/1.0 HashiCorp/1.0 Terraform/1.9.8",
            ),
        ],
    )
    assert [(f.details["event_id"], f.severity) for f in found] == [("hand", Severity.MEDIUM)]
    assert "pointed alias live at version 4" in found[0].summary


def test_recon_burst_by_a_deployment_tool_without_baseline_is_low(builder: CaseBuilder) -> None:
    """A Terraform refresh reads every function; with no baseline to say whether its principal
    runs one, its agent (the caller's to choose) makes it LOW, never nothing."""
    terraform = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io)"
    records = [
        trail_event("GetFunction20150331v2", {}, event_id=f"t{i}", user_agent=terraform)
        for i in range(30)
    ]
    found = _one(builder, ct_recon_burst.DETECTOR, records)
    assert [(f.severity, f.details["calls"]) for f in found] == [(Severity.LOW, 30)]


_RECON_OPS = (
    "ListFunctions20150331",
    "GetFunction20150331v2",
    "GetPolicy20150331v2",
    "ListAliases20150331",
    "ListVersionsByFunction20150331",
    "GetFunctionConfiguration20150331v2",
)


def _recon(who: str, identity: dict, *, user_agent: str | None, start: int = 0) -> list[dict]:
    """30 reads of six kinds in five minutes from 03:00 (+`start` minutes) on 2026-10-20."""
    records = []
    for i in range(30):
        minute, second = divmod(start * 60 + i * 10, 60)
        record = trail_event(
            _RECON_OPS[i % 6],
            {"functionName": "orders"},
            identity=identity,
            event_id=f"{who}{i}",
            time=f"2026-10-20T03:{minute:02d}:{second:02d}Z",
            user_agent=user_agent or "",
            source_ip="203.0.113.66",
        )
        if user_agent is None:
            record.pop("userAgent")
        records.append(record)
    return records


def _person(name: str) -> dict:
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    return {"type": "IAMUser", "arn": arn, "accountId": ACCOUNT, "userName": name}


def test_recon_burst_without_user_agent_or_identity_type_fires(builder: CaseBuilder) -> None:
    """A record without userAgent, or whose identity has no type, is no reason to drop a burst
    (NULL made the filters NULL)."""
    untyped = {k: v for k, v in _person("bob").items() if k != "type"}
    records = _recon("e", _person("eve"), user_agent=None)
    records += _recon("b", untyped, user_agent="curl/8.0", start=20)
    found = _one(builder, ct_recon_burst.DETECTOR, records)
    assert [(f.actor.arn.rsplit("/")[-1], f.details["calls"]) for f in found] == [
        ("eve", 30),
        ("bob", 30),
    ]


def test_recon_burst_of_records_naming_no_account_or_region(builder: CaseBuilder) -> None:
    """A record without awsRegion and recipientAccountId gave account and region "None" and
    the resource `arn:aws:lambda:None:None:*`."""
    records = _recon("e", _person("eve"), user_agent="curl/8.0")
    for record in records:
        del record["awsRegion"], record["recipientAccountId"]
    (found,) = _one(builder, ct_recon_burst.DETECTOR, records)
    assert (found.account, found.region, found.resource) == ("", "", "arn:aws:lambda:::*")


def test_recon_burst_with_a_deploy_tool_agent_is_quiet_only_for_a_known_principal(
    builder: CaseBuilder,
) -> None:
    """Terraform's refresh by the CI role the baseline knows stays quiet; the same agent on a
    never-seen user's burst (the agent is the caller's to choose) is reported."""
    terraform = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io)"
    ci = role_identity("ci", "run")
    records = [
        trail_event(
            op,
            {"functionName": "orders"},
            identity=ci,
            event_id=f"ci-{day}-{n}",
            time=f"2026-10-{day:02d}T03:0{n}:00Z",
            user_agent=terraform,
            source_ip="192.0.2.10",
        )
        for day in range(10, 21)
        for n, op in enumerate(_RECON_OPS)
    ]
    records += _recon("e", _person("eve"), user_agent=terraform, start=30)
    found = _one(builder, ct_recon_burst.DETECTOR, records)
    # Days 10-12 have no baseline (the agent alone: LOW); from day 13 the role is known.
    assert [(f.time[:10], f.actor.arn.rsplit("/")[-1], f.severity) for f in found] == [
        ("2026-10-10", "run", Severity.LOW),
        ("2026-10-11", "run", Severity.LOW),
        ("2026-10-12", "run", Severity.LOW),
        ("2026-10-20", "eve", Severity.MEDIUM),  # a new principal from a new network
    ]
    assert found[-1].details["baseline"]["new"] == ["principal", "network"]


def test_recon_burst_across_a_ten_minute_mark_fires_once(builder: CaseBuilder) -> None:
    """Three kinds of read at 12:08 and three at 12:10: six kinds within three minutes are a
    burst however the clock's ten minutes fall; overlapping windows are one finding."""
    records = [
        trail_event(op, {}, event_id=f"r{i}", time=f"2026-11-02T12:{8 + i // 3 * 2:02d}:0{i}Z")
        for i, op in enumerate(_RECON_OPS)
    ]
    found = _one(builder, ct_recon_burst.DETECTOR, records)
    assert [(f.time, f.details["calls"]) for f in found] == [("2026-11-02T12:08:00Z", 6)]


def _inspector_identity(path: str) -> dict[str, object]:
    """Inspector's scan session; `path` is its role's path (a service-linked role's is
    `aws-service-role/inspector2.amazonaws.com/`, which only the service can assume)."""
    role = "AWSServiceRoleForAmazonInspector2"
    return {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/InspectorLambdaScan",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEKEY000009",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/{path}{role}",
                "userName": role,
            }
        },
        "invokedBy": "inspector2.amazonaws.com",
    }


@pytest.mark.parametrize(
    ("path", "linked"),
    [
        ("aws-service-role/inspector2.amazonaws.com/", True),
        ("", False),
        # IAM keeps /aws-service-role/ for the services, but a path may hold a colon
        ("ops:role/aws-service-role/inspector2.amazonaws.com/", False),
    ],
)
def test_recon_burst_by_a_service_linked_role_is_the_service_at_work(
    builder: CaseBuilder, path: str, linked: bool
) -> None:
    # Inspector scanning Lambda at night through its service-linked role is the service acting
    # for the account, not a new principal's recon; a role merely named like it is judged.
    identity = _inspector_identity(path)
    records = [
        trail_event(
            op,
            {},
            event_id=f"r{i}",
            time=f"2026-11-02T02:1{i}:00Z",
            identity=identity,
            source_ip="inspector2.amazonaws.com",
            user_agent="inspector2.amazonaws.com",
        )
        for i, op in enumerate(RECON_OPS)
    ]
    found = _one(builder, ct_recon_burst.DETECTOR, records)
    assert (found == []) is linked


@pytest.mark.parametrize(
    "time", ["infinity", "10000-01-01T00:00:00Z", "-000001-01-01T00:00:00Z", "epoch", None]
)
def test_events_with_an_unreadable_time_are_reported_without_one(
    builder: CaseBuilder, time: str | None
) -> None:
    """DuckDB's cast took `infinity` and years Python cannot hold, and each switched off a
    detector (LIR-CT-013 could not subtract it, LIR-CT-009 compared a str with a date)."""
    history = [
        trail_event(
            "GetFunction20150331v2",
            {"functionName": "orders"},
            event_id=f"h{day}",
            time=f"2026-10-{day:02d}T12:00:00Z",
        )
        for day in range(1, 11)
    ]
    odd = [
        trail_event(
            "DeleteTrail", {"name": "main"}, source="cloudtrail.amazonaws.com", event_id="dt"
        ),
        trail_event("UpdateFunctionCode20150331v2", {"functionName": "orders"}, event_id="c1"),
        trail_event("UpdateFunctionCode20150331v2", {"functionName": "orders"}, event_id="c2"),
        trail_event("PublishVersion20150331", {"functionName": "orders"}, event_id="pv"),
        trail_event(
            "UpdateAlias20150331", {"functionName": "orders", "name": "live"}, event_id="ua"
        ),
    ]
    for record in odd[::2]:
        record["eventTime"] = time
    builder.trail(history + odd)
    result = run_detectors(CaseView(Case.open(builder.root), AnalyzeOptions()), ALL)
    assert result.warnings == ()
    (deleted,) = [f for f in result.findings if f.details.get("event_id") == "dt"]
    assert deleted.detector == "LIR-CT-009" and deleted.severity is Severity.HIGH
    assert deleted.time is None and "after an unknown time" in deleted.summary
