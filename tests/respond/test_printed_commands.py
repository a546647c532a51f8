"""`contain` prints commands that work pasted, from a case folder with a space in its name."""

from __future__ import annotations

import shlex
from pathlib import Path

from click.testing import CliRunner

from lambda_ir.cli.main import cli
from lambda_ir.evidence import Case
from tests.respond.conftest import Estate, cli_env


def test_the_printed_undo_command_works_pasted(estate: Estate, tmp_path: Path) -> None:
    root = tmp_path / "my case"
    runner = CliRunner(env=cli_env(estate.endpoint, estate.region))
    contain = ["contain", "--case", str(root), "--function", estate.function]
    done = runner.invoke(cli, [*contain, "--action", "throttle", "--apply"])
    assert done.exit_code == 0, done.output
    line = next(x for x in done.output.splitlines() if "to undo:" in x)
    pasted = shlex.split(line.split("to undo:", 1)[1])
    assert pasted[:4] == ["lambda-ir", "contain", "--case", str(root)]
    undone = runner.invoke(cli, pasted[1:])
    assert undone.exit_code == 0, undone.output
    # said as what the run made, then what the undo calls: not the run's words as if done now
    assert "[applied] undo throttle (it made: reserved concurrency: " in undone.output
    assert "call: lambda:DeleteFunctionConcurrency" in undone.output
    concurrency = estate.client("lambda").get_function_concurrency(FunctionName=estate.function)
    assert "ReservedConcurrentExecutions" not in concurrency


def test_without_incidents_json_the_error_names_the_whole_analyze_command(
    estate: Estate, tmp_path: Path
) -> None:
    root = tmp_path / "my case"
    Case.create(root)  # without incidents.json
    runner = CliRunner(env=cli_env(estate.endpoint, estate.region))
    done = runner.invoke(cli, ["contain", "--case", str(root), "--incident", "INC-1"])
    assert done.exit_code == 1
    assert f"run `lambda-ir analyze --case {shlex.quote(str(root))}` first" in done.output


def test_a_case_folder_that_holds_no_case_yet_is_said_to_be_a_new_case(
    estate: Estate, tmp_path: Path
) -> None:
    # `--case Case` for `case` had made a second case without a word: the plan, the
    # evidence and the custody of the changes went there.
    runner = CliRunner(env=cli_env(estate.endpoint, estate.region))
    args = ["--function", estate.function, "--action", "throttle"]
    first = runner.invoke(cli, ["contain", "--case", str(tmp_path / "Case"), *args])
    assert first.exit_code == 0, first.output
    assert f"new case {tmp_path / 'Case'}: no case was there" in " ".join(first.output.split())
    again = runner.invoke(cli, ["contain", "--case", str(tmp_path / "Case"), *args])
    assert again.exit_code == 0 and "new case" not in again.output


def test_an_unreachable_endpoint_is_one_line_saying_what_to_check(tmp_path: Path) -> None:
    # it was "lambda:GetFunction fn: timeout: EndpointConnectionError: …" (the connection
    # was refused, not timed out), where `collect` says what to check
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens here
    runner = CliRunner(env=cli_env(closed, "us-east-1"))
    done = runner.invoke(
        cli, ["contain", "--case", str(tmp_path / "c"), "--function", "fn", "--action", "throttle"]
    )
    assert done.exit_code == 1
    assert "cannot reach AWS STS (http://127.0.0.1:9/): check the network" in done.output
    assert not (tmp_path / "c").exists()


def test_a_run_that_changed_nothing_offers_no_undo(estate: Estate, tmp_path: Path) -> None:
    runner = CliRunner(env=cli_env(estate.endpoint, estate.region))
    contain = ["contain", "--case", str(tmp_path / "c"), "--function", estate.function]
    first = runner.invoke(cli, [*contain, "--action", "throttle", "--apply"])
    assert first.exit_code == 0 and "to undo:" in first.output
    again = runner.invoke(cli, [*contain, "--action", "throttle", "--apply"])
    assert again.exit_code == 0, again.output
    assert "to undo:" not in again.output
    assert "nothing was changed, so there is nothing to undo" in again.output
