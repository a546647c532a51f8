"""Every command has real help, a README entry, and behaves like a finished CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lambda_ir.cli.main import COMMANDS, cli, load_command

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DESIGN_COMMANDS = [
    "collect",
    "import-trail",
    "index",
    "analyze",
    "timeline",
    "report",
    "investigate",
    "verify",
    "search",
    "diff",
    "contain",
    "runtime",
    "hunt",
    "emulator",
    "demo",
]


def test_every_design_command_exists() -> None:
    assert sorted(name for name, _ in COMMANDS) == sorted(DESIGN_COMMANDS)
    for name, _ in COMMANDS:
        command = load_command(name)
        assert command is not None and command.name == name


@pytest.mark.parametrize("name", DESIGN_COMMANDS)
def test_command_has_help(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    command = load_command(name)
    assert command is not None and command.help and len(command.help.split()) >= 6, (
        "help text should say what it does"
    )


@pytest.mark.parametrize("name", DESIGN_COMMANDS)
def test_command_has_a_readme_section(name: str) -> None:
    match = re.search(rf"<!-- section:{name} -->\n(.*?)<!-- /section:{name} -->", README, re.S)
    assert match, f"README has no section for {name}"
    assert f"### {name}" in match.group(1)


@pytest.mark.parametrize("name", [n for n in DESIGN_COMMANDS if n not in ("emulator", "demo")])
def test_case_commands_take_case(name: str) -> None:
    command = load_command(name)
    assert command is not None
    params = {p.name for p in command.params}
    if isinstance(command, click.Group):  # `runtime attach/detach` take it, build-layer not
        params = {p.name for sub in command.commands.values() for p in sub.params}
    assert "case_dir" in params


def test_version_and_module_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lambda_ir", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("lambda-ir, version ")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambda_ir", *args], capture_output=True, text=True, timeout=60
    )


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    result = _run("verify", "--case", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2() -> None:
    result = _run("verify")
    assert result.returncode == 2
    assert "--case" in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = _run("--debug", "verify", "--case", str(tmp_path / "nope"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_hunt_without_a_table_is_a_usage_error(tmp_path: Path) -> None:
    result = _run("hunt", "--case", str(tmp_path / "case"), "--athena-workgroup", "wg")
    assert result.returncode == 2
    assert "--trail-table" in result.stderr
    assert not (tmp_path / "case").exists()
