"""Commands the CLI prints for pasting work when pasted: every path shell-quoted, nothing raw.

A case folder may hold a space, `$` or a quote (and a path from a hostile name, control
characters): each printed command must split back into the arguments it names, and no
control character may reach the terminal.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambda_ir import sanitize
from lambda_ir.analyze.engine import AnalysisResult
from lambda_ir.analyze.incidents import Incident
from lambda_ir.cli.analyze import incident_lines
from lambda_ir.cli.main import cli
from lambda_ir.model import Severity
from tests.timeline.casebuilder import build_case


@pytest.mark.parametrize("folder", ["my case", "it's $HOME", "a;b|c`d`"])
def test_a_shell_command_splits_back_into_its_parts(folder: str) -> None:
    parts = ("lambda-ir", "contain", "--case", f"/tmp/x/{folder}", "--apply")
    assert shlex.split(sanitize.shell_command(*parts)) == list(parts)


def test_a_shell_command_carries_no_control_character() -> None:
    line = sanitize.shell_command("lambda-ir", "verify", "--case", "/tmp/a\x1b]0;PWN\x07\nb")
    assert sanitize.is_clean(line)
    assert shlex.split(line) == ["lambda-ir", "verify", "--case", "/tmp/a\\x1b]0;PWN\\x07\\nb"]


def _incident() -> Incident:
    return Incident(
        id="INC-1",
        kind="activity",
        title="ci-deployer: modification on image-resizer",
        severity=Severity.CRITICAL,
        score=1.0,
        actors=(),
        functions=("arn:aws:lambda:us-east-1:1:function:image-resizer",),
        first=None,
        last=None,
        findings=(),
        steps=(),
        new_against_baseline=(),
        actions=("throttle",),
    )


def test_analyze_prints_a_contain_command_that_works_pasted(tmp_path: Path) -> None:
    root = tmp_path / "my case"
    result = AnalysisResult((), (), (), (), 0.0, incidents=(_incident(),))
    line = next(x for x in incident_lines(result, root) if "contain:" in x)
    command = line.split("contain:", 1)[1].split("  (", 1)[0]
    assert shlex.split(command) == [
        "lambda-ir",
        "contain",
        "--case",
        str(root),
        "--incident",
        "INC-1",
    ]


def test_a_search_that_cannot_read_a_file_names_the_whole_verify_command(tmp_path: Path) -> None:
    root = tmp_path / "my case"
    build_case(root)
    trail = next((root / "trail").rglob("*.jsonl.gz"))
    trail.parent.chmod(0o755)
    trail.unlink()  # listed in the manifest and the index, gone from the folder
    done = CliRunner().invoke(cli, ["search", "--case", str(root), "-F", "CreateFunction"])
    assert done.exit_code == 1
    assert f"run `lambda-ir verify --case {shlex.quote(str(root))}`" in done.output
