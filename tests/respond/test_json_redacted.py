"""`--json` prints what the text prints: secret variable values redacted.

The text of `contain` (plan, --apply, --undo) and of `runtime attach` went through the one
redaction; their `--json` documents printed the variables of every UpdateFunctionConfiguration
call and undo as they are, a database password included. The case's plan and undo files keep
the values (the undo puts them back), as the collected GetFunction does.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lambda_ir.cli.main import cli
from tests.respond.conftest import Estate, cli_env

SECRET = "hunter2-very-secret"  # the estate's DB_PASSWORD


def _json(runner: CliRunner, *args: str) -> str:
    done = runner.invoke(cli, ["--json", *args])
    assert done.exit_code == 0, done.output
    assert SECRET not in done.output
    json.loads(done.stdout)  # one JSON document
    return done.stdout


def test_contain_and_runtime_json_redact_secret_values(estate: Estate, tmp_path: Path) -> None:
    runner = CliRunner(env=cli_env(estate.endpoint, estate.region))
    root = tmp_path / "case"
    contain = ["contain", "--case", str(root), "--function", estate.function]
    strip = [*contain, "--action", "strip-env=STAGE", "--allow-config-change"]
    planned = _json(runner, *strip)
    assert '"DB_PASSWORD": "[REDACTED] (19 chars)"' in planned
    applied = json.loads(_json(runner, *strip, "--apply"))
    undo_plan = root / applied["undo_path"]
    assert SECRET in undo_plan.read_text()  # the case keeps what the undo puts back
    _json(runner, "contain", "--case", str(root), "--undo", str(undo_plan))
    _json(runner, "contain", "--case", str(root), "--undo", str(undo_plan), "--apply")
    attach = ["runtime", "attach", "--case", str(root), "--function", estate.function]
    assert "LAMBDA_IR_BUCKET" in _json(runner, *attach, "--bucket", "s3://ir-snapshots/acme")
