"""Per-qualifier truth: policies, function URLs, LoggingConfig, settings, pagination."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.config import Config

from lambda_ir.emulator.client import client_config
from lambda_ir.emulator.server import Emulator
from tests.conftest import RegionPool
from tests.emulator.conftest import make_function, make_role, zip_of


def _versions_and_alias(lam: Any, name: str) -> str:
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    return str(version)


def test_get_policy_returns_only_the_qualifiers_statements(admin: Any, name: str) -> None:
    lam = admin.client("lambda", config=client_config())
    make_function(admin, name)
    version = _versions_and_alias(lam, name)
    lam.add_permission(
        FunctionName=name, StatementId="open", Action="lambda:InvokeFunction", Principal="*"
    )
    lam.add_permission(
        FunctionName=name,
        Qualifier="live",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
        SourceAccount="123456789012",
    )
    unqualified = json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]
    assert [s["Sid"] for s in unqualified] == ["open"]
    assert unqualified[0]["Resource"].endswith(f":function:{name}")
    live = json.loads(lam.get_policy(FunctionName=name, Qualifier="live")["Policy"])["Statement"]
    assert [s["Sid"] for s in live] == ["s3"]
    assert live[0]["Resource"].endswith(f":function:{name}:live")
    assert live[0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert live[0]["Condition"] == {
        "StringEquals": {"AWS:SourceAccount": "123456789012"},
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"},
    }
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=name, Qualifier=version)
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.add_permission(
            FunctionName=name, StatementId="open", Action="lambda:InvokeFunction", Principal="*"
        )
    lam.remove_permission(FunctionName=name, Qualifier="live", StatementId="s3")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=name, Qualifier="live")
    assert lam.get_policy(FunctionName=name)["Policy"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=f"{name}-missing")


def test_one_function_url_per_qualifier_and_list(admin: Any, name: str) -> None:
    lam = admin.client("lambda", config=client_config())
    make_function(admin, name)
    _versions_and_alias(lam, name)
    public = lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    live = lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="AWS_IAM")
    assert public["FunctionUrl"] != live["FunctionUrl"]
    assert public["FunctionUrl"].endswith(".lambda-url.us-east-1.on.aws/")
    assert lam.get_function_url_config(FunctionName=name)["AuthType"] == "NONE"
    assert lam.get_function_url_config(FunctionName=name, Qualifier="live")["AuthType"] == "AWS_IAM"
    listed = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert sorted(c["FunctionArn"].rsplit(":", 1)[-1] for c in listed) == sorted([name, "live"])
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    lam.update_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")
    assert lam.get_function_url_config(FunctionName=name, Qualifier="live")["AuthType"] == "NONE"
    lam.delete_function_url_config(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_url_config(FunctionName=name)
    assert len(lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]) == 1


def test_logging_config_round_trip_per_version(admin: Any, name: str) -> None:
    lam = admin.client("lambda", config=client_config())
    created = make_function(
        admin, name, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"}
    )
    expected = {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "DEBUG",
        "SystemLogLevel": "INFO",
        "LogGroup": f"/aws/lambda/{name}",
    }
    assert created["LoggingConfig"] == expected
    version = lam.publish_version(FunctionName=name)["Version"]
    updated = lam.update_function_configuration(
        FunctionName=name, LoggingConfig={"LogFormat": "Text", "LogGroup": "/custom/group"}
    )
    assert updated["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/custom/group"}
    latest = lam.get_function(FunctionName=name)["Configuration"]["LoggingConfig"]
    assert latest == {"LogFormat": "Text", "LogGroup": "/custom/group"}
    old = lam.get_function_configuration(FunctionName=name, Qualifier=version)["LoggingConfig"]
    assert old == expected
    listed = {
        v["Version"]: v["LoggingConfig"]
        for v in lam.list_versions_by_function(FunctionName=name)["Versions"]
    }
    assert listed == {"$LATEST": latest, version: expected}


def test_settings_moto_lacks(admin: Any, name: str) -> None:
    lam = admin.client("lambda", config=client_config())
    make_function(admin, name)
    _versions_and_alias(lam, name)
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Allow"
    runtime = lam.get_runtime_management_config(FunctionName=name)
    assert runtime["UpdateRuntimeOn"] == "Auto" and runtime["FunctionArn"].endswith(name)
    signing = lam.get_function_code_signing_config(FunctionName=name)
    assert signing["FunctionName"] == name and signing["CodeSigningConfigArn"] == ""
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=3
    )
    configs = lam.list_provisioned_concurrency_configs(FunctionName=name)
    assert [
        c["FunctionArn"].rsplit(":", 1)[-1] for c in configs["ProvisionedConcurrencyConfigs"]
    ] == ["live"]
    got = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert got["RequestedProvisionedConcurrentExecutions"] == 3
    settings = lam.get_account_settings()
    assert settings["AccountUsage"]["FunctionCount"] >= 1
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_recursion_config(FunctionName=f"{name}-missing")


def test_lists_paginate_fifty_a_page(
    aws: Emulator, admin: Any, name: str, region_pool: RegionPool
) -> None:
    lam = admin.client("lambda", config=client_config())
    # A region of its own, so other tests' functions do not count; taken first, as taking one
    # may reset the emulator (`RegionPool.take`), which would wipe a role made before it.
    region = region_pool.take(aws)
    role = make_role(admin, f"{name}-role")
    package = zip_of("pass")
    regional = admin.client("lambda", region_name=region, config=client_config())
    for index in range(120):
        regional.create_function(
            FunctionName=f"{name}-{index:03}",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": package},
        )
    first = regional.list_functions()
    assert len(first["Functions"]) == 50 and "NextMarker" in first
    pages = list(regional.get_paginator("list_functions").paginate())
    assert [len(p["Functions"]) for p in pages] == [50, 50, 20]
    names = [f["FunctionName"] for p in pages for f in p["Functions"]]
    assert len(set(names)) == 120
    small = regional.list_functions(MaxItems=7)
    assert len(small["Functions"]) == 7
    fn = f"{name}-000"
    for index in range(55):
        regional.update_function_code(FunctionName=fn, ZipFile=zip_of(f"v{index}"))
        regional.publish_version(FunctionName=fn)
    versions = list(regional.get_paginator("list_versions_by_function").paginate(FunctionName=fn))
    assert [len(p["Versions"]) for p in versions] == [50, 6]
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        regional.list_functions(Marker="not-a-marker")


def test_deleting_an_alias_or_function_drops_its_policy_and_url(admin: Any, name: str) -> None:
    lam = admin.client("lambda", config=client_config())
    make_function(admin, name)
    _versions_and_alias(lam, name)
    config = lam.get_function_configuration(FunctionName=name, Qualifier="live")
    assert config["FunctionArn"].endswith(f":{name}:live")
    lam.add_permission(
        FunctionName=name,
        Qualifier="live",
        StatementId="p",
        Action="lambda:InvokeFunction",
        Principal="*",
    )
    lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")
    lam.delete_alias(FunctionName=name, Name="live")
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=name, Qualifier="live")
    assert lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"] == []
    lam.add_permission(
        FunctionName=name, StatementId="q", Action="lambda:InvokeFunction", Principal="*"
    )
    lam.delete_function(FunctionName=name)
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=config["Role"],
        Handler="app.handler",
        Code={"ZipFile": zip_of("again")},
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=name)


def test_layer_versions_paginate_fifty_a_page(admin: Any, name: str) -> None:
    lam = admin.client("lambda", config=client_config())
    package = zip_of("layer")
    for _ in range(53):
        lam.publish_layer_version(LayerName=name, Content={"ZipFile": package})
    pages = list(lam.get_paginator("list_layer_versions").paginate(LayerName=name))
    assert [len(p["LayerVersions"]) for p in pages] == [50, 3]
    numbers = [v["Version"] for p in pages for v in p["LayerVersions"]]
    assert sorted(numbers) == list(range(1, 54))


def test_invalid_paging_input_is_a_400_not_a_crash(admin: Any, name: str) -> None:
    lam = admin.client(
        "lambda", config=Config(parameter_validation=False, retries={"total_max_attempts": 1})
    )
    make_function(admin, name)
    for call in (
        lambda: lam.list_functions(MaxItems="lots"),
        lambda: lam.list_function_url_configs(FunctionName=name, Marker="elsewhere"),
    ):
        with pytest.raises(lam.exceptions.InvalidParameterValueException):
            call()
