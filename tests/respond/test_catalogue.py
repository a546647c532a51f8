"""Every action declares real IAM actions, is listed in ALL, and calls nothing undeclared."""

from __future__ import annotations

import json
import re
from pathlib import Path

import botocore.session
import pytest
from click.testing import CliRunner

from lambda_ir.aws import CallMeter, ClientFactory
from lambda_ir.cli.main import cli
from lambda_ir.evidence import Case
from lambda_ir.respond import ALL, ChoiceError, choose, contain, load_undo, permissions, run_undo
from lambda_ir.respond.undo import UNDO_APIS
from tests.respond.conftest import Estate

SOURCES = Path(__file__).resolve().parents[2] / "src" / "lambda_ir" / "respond"


def test_every_permission_is_a_real_iam_action() -> None:
    core = botocore.session.get_session()
    operations = {
        prefix: set(core.get_service_model(prefix).operation_names) for prefix in ("lambda", "iam")
    }
    for action in ALL:
        assert action.info.permissions, action.info.name
        for permission in action.info.permissions:
            prefix, name = permission.split(":", 1)
            assert name in operations[prefix], f"{action.info.name}: {permission} is not real"
    for api in UNDO_APIS:
        prefix, name = api.split(":", 1)
        assert name in operations[prefix]
        assert api in permissions(), f"an undo calls {api}, which no action declares"


def test_every_action_module_is_listed_once() -> None:
    declared = 0
    for source in SOURCES.glob("*.py"):
        declared += len(re.findall(r"^\w+ = Action\(", source.read_text(), re.M))
    names = [action.info.name for action in ALL]
    assert declared == len(ALL) and len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", name) for name in names)


def test_choose_reads_values_and_refuses_what_cannot_run_together() -> None:
    chosen = choose(("throttle", "pin-alias=3", "deactivate-key=AKIA1", "deactivate-key=AKIA2"))
    assert [c.label for c in chosen] == [
        "throttle",
        "pin-alias=3",
        "deactivate-key=AKIA1",
        "deactivate-key=AKIA2",
    ]
    assert len(choose(("throttle", "throttle"))) == 1
    for texts, message in (
        (("pin-alias",), "needs a value"),
        (("throttle=1",), "takes no value"),
        (("nuke",), "unknown action"),
        (("pin-alias=1", "pin-alias=2"), "given twice"),
        (("strip-layers",), "--allow-config-change"),
    ):
        with pytest.raises(ChoiceError, match=message):
            choose(texts)


def test_print_iam_policy_lists_every_permission() -> None:
    done = CliRunner().invoke(cli, ["contain", "--print-iam-policy"])
    assert done.exit_code == 0
    (statement,) = json.loads(done.stdout)["Statement"]
    assert statement["Action"] == list(permissions()) and statement["Effect"] == "Allow"


def test_a_run_of_every_action_calls_only_declared_apis(estate: Estate, case: Case) -> None:
    iam = estate.client("iam")
    iam.create_user(UserName=f"{estate.function}-u")
    key = iam.create_access_key(UserName=f"{estate.function}-u")["AccessKey"]["AccessKeyId"]
    meter = CallMeter()
    clients = ClientFactory(estate.session, endpoint_url=estate.endpoint, meter=meter)
    names = [a.info.name for a in ALL if not a.info.value] + [
        "pin-alias=1",
        f"deactivate-key={key}",
        "strip-env=STAGE",
    ]
    request = estate.request(*names, apply=True, allow_config_change=True)
    result = contain(case, clients, estate.session, request)
    assert result.outcomes and not result.failed, result.failed
    assert result.undo_path
    run_undo(case, clients, load_undo(case, result.undo_path), apply=True, run="respond/u")
    called = set(meter.reading().apis)
    assert {"lambda:PutFunctionConcurrency", "iam:PutRolePolicy", "lambda:UpdateAlias"} <= called
    assert called <= set(permissions()), sorted(called - set(permissions()))
