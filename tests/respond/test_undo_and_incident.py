"""Undo plans are checked before anything runs; `--incident` proposes from incidents.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lambda_ir.cli.main import cli
from lambda_ir.evidence import Case
from lambda_ir.respond import UndoError, load_undo
from lambda_ir.respond.contain import UNDO_FORMAT
from tests.respond.conftest import Estate, cli_env


def _undo_document(api: str) -> dict[str, Any]:
    step = {
        "action": "throttle",
        "summary": "reserved concurrency: no reservation -> 0",
        "call": {"api": "lambda:PutFunctionConcurrency", "params": {"FunctionName": "f"}},
        "undo": {"api": api, "params": {"FunctionName": "f"}},
        "undo_note": "",
    }
    return {
        "format": UNDO_FORMAT,
        "function": "arn:aws:lambda:us-east-1:1:function:f",
        "region": "us-east-1",
        "run": "r",
        "steps": [step],
    }


def test_an_undo_plan_asking_to_delete_is_refused(case: Case) -> None:
    case.put_json("respond/r/undo.json", _undo_document("lambda:DeleteFunction"), kind="response")
    with pytest.raises(UndoError, match="lambda:DeleteFunction is not a call an undo makes"):
        load_undo(case, "respond/r/undo.json")


def test_an_edited_undo_plan_is_refused(case: Case) -> None:
    entry = case.put_json(
        "respond/r/undo.json", _undo_document("lambda:DeleteFunctionConcurrency"), kind="response"
    )
    assert load_undo(case, str(case.root / entry.path)).steps[0].undo is not None
    path = case.root / entry.path
    path.chmod(0o644)
    path.write_text(path.read_text().replace('"f"', '"other"'))
    with pytest.raises(UndoError, match="changed since it was written"):
        load_undo(case, entry.path)


def test_an_undo_plan_outside_the_case_is_refused(case: Case, tmp_path: Path) -> None:
    outside = tmp_path / "undo.json"
    outside.write_text(json.dumps(_undo_document("lambda:DeleteFunctionConcurrency")))
    with pytest.raises(UndoError, match="not inside the case"):
        load_undo(case, str(outside))
    with pytest.raises(UndoError, match="not an artifact of this case"):
        load_undo(case, "respond/none/undo.json")


def test_incident_proposes_its_actions_as_a_plan_only(estate: Estate, tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case")
    incidents = [
        {
            "id": "INC-0001",
            "title": "Stolen keys turned the function into a miner",
            "severity": "critical",
            "functions": [
                f"arn:aws:lambda:{estate.region}:123456789012:function:{estate.function}"
            ],
            "actions": [
                "throttle",
                {"action": "pin-alias", "value": "1"},
                "reboot-the-cloud",
                "strip-layers",
            ],
        },
        {"id": "INC-0002", "functions": [], "actions": []},
    ]
    (case.root / "incidents.json").write_text(json.dumps(incidents))
    env = cli_env(estate.endpoint, estate.region)
    done = CliRunner(env=env).invoke(
        cli, ["contain", "--case", str(case.root), "--incident", "INC-0001"], catch_exceptions=False
    )
    assert done.exit_code == 0, done.output
    assert "incident INC-0001: Stolen keys turned the function into a miner" in done.output
    assert "recommends: throttle, pin-alias=1, strip-layers" in done.output
    assert "left out: strip-layers changes configuration (add --allow-config-change)" in done.output
    assert 'not understood (left out): "reboot-the-cloud"' in done.output
    assert "lambda:PutFunctionConcurrency" in done.output and "lambda:UpdateAlias" in done.output
    assert "dry run: nothing was changed" in done.output
    lam = estate.client("lambda")
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(
        FunctionName=estate.function
    )
    assert lam.get_alias(FunctionName=estate.function, Name="live")["FunctionVersion"] == "2"
    missing = CliRunner(env=env).invoke(
        cli, ["contain", "--case", str(case.root), "--incident", "INC-9"]
    )
    assert missing.exit_code == 1 and "no incident 'INC-9'" in missing.output
