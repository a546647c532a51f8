"""`contain --incident` on an incident that recommends no action (an exposure: a door left
open, no one's calls) says so, points to the report's checklist steps for its functions, and
exits 0 with nothing planned, instead of a usage error for options the user did give."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import orjson
from click.testing import CliRunner

from lambda_ir.cli.main import cli
from lambda_ir.emulator.server import Emulator
from tests.report.twins import HOT, arn, build_twins
from tests.respond.conftest import cli_env


def _case_with(
    folder: Path, incident: dict[str, object], emulator: Emulator
) -> tuple[Path, CliRunner]:
    """The twins case with `incident` as its one incident, and a CLI runner on the emulator."""
    root = build_twins(folder).case.root
    (root / "incidents.json").write_bytes(orjson.dumps({"incidents": [incident]}))
    return root, CliRunner(env=cli_env(emulator.endpoint_url))


def test_an_incident_without_actions_points_to_the_checklist(
    emulator_session: Emulator, tmp_path: Path
) -> None:
    exposure = {
        "id": "INC-open",
        "kind": "exposure",
        "title": "Exposure of image-resizer: Function invocable by anyone",
        "severity": "high",
        "functions": [arn(HOT)],
        "actions": [],
    }
    root, runner = _case_with(tmp_path / "my case", exposure, emulator_session)
    done = runner.invoke(cli, ["contain", "--case", str(root), "--incident", "INC-open"])
    assert done.exit_code == 0, done.output
    assert "recommends: no action lambda-ir knows" in done.output
    assert "nothing planned" in done.output and "--action" not in done.output.split("\n")[0]
    command = next(line.strip() for line in done.output.splitlines() if "block-public" in line)
    assert shlex.split(command) == [
        "lambda-ir",
        "contain",
        "--case",
        str(root.resolve()),
        "--function",
        arn(HOT),
        "--action",
        "block-public",
    ]
    assert not (root / "respond").exists()  # no plan saved
    document = runner.invoke(
        cli, ["--json", "contain", "--case", str(root), "--incident", "INC-open"]
    )
    assert document.exit_code == 0, document.output
    result = json.loads(document.stdout)
    assert result["planned"] is False and result["incident"] == "INC-open"
    assert command in [step["command"] for step in result["steps"]]


def test_an_incident_recommending_only_configuration_changes_asks_for_the_flag(
    emulator_session: Emulator, tmp_path: Path
) -> None:
    hooked = {
        "id": "INC-hook",
        "kind": "activity",
        "title": "eve: modification on image-resizer",
        "severity": "high",
        "functions": [arn(HOT)],
        "actions": ["strip-env=AWS_LAMBDA_EXEC_WRAPPER"],
    }
    root, runner = _case_with(tmp_path / "case", hooked, emulator_session)
    done = runner.invoke(cli, ["contain", "--case", str(root), "--incident", "INC-hook"])
    assert done.exit_code == 2
    assert "add --allow-config-change to plan them" in done.output
    assert "name --function and at least one --action" not in done.output
