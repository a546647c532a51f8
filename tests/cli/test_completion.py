"""Shell completion: the installed `lambda-ir` prints a completion script for bash, zsh and
fish, and completes command names and options (click's `_LAMBDA_IR_COMPLETE`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "lambda-ir"


def _run(**env: str) -> str:
    done = subprocess.run(
        [str(SCRIPT)],
        capture_output=True,
        env={**os.environ, **env},
        timeout=60,
        check=True,
    )
    return done.stdout.decode()


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _lambda_ir_completion lambda-ir"),
        ("zsh", "#compdef lambda-ir"),
        ("fish", "complete --no-files --command lambda-ir"),
    ],
)
def test_completion_script_generates(shell: str, marker: str) -> None:
    assert marker in _run(_LAMBDA_IR_COMPLETE=f"{shell}_source")


def test_completion_completes_commands_and_options() -> None:
    commands = _run(_LAMBDA_IR_COMPLETE="bash_complete", COMP_WORDS="lambda-ir co", COMP_CWORD="1")
    assert commands.split() == ["plain,collect", "plain,contain"]
    options = _run(
        _LAMBDA_IR_COMPLETE="bash_complete",
        COMP_WORDS="lambda-ir collect --no-",
        COMP_CWORD="2",
    )
    assert {"plain,--no-logs", "plain,--no-pacing"} <= set(options.split())
