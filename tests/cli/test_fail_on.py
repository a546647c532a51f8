"""`lambda-ir analyze`: `--fail-on SEVERITY` (exit code 4, findings written anyway) and the
closing per-function table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from tests.timeline.casebuilder import build_case


def _analyze(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambda_ir", "--json", "analyze", "--case", str(root), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_fail_on_sets_the_exit_code_by_the_worst_finding(tmp_path: Path) -> None:
    root = tmp_path / "case"
    build_case(root)
    # Without --json, the run ends with one line per function on stderr, worst first.
    plain = subprocess.run(
        [sys.executable, "-m", "lambda_ir", "analyze", "--case", str(root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert plain.returncode == 0, plain.stderr
    severities = {f["severity"] for f in orjson.loads((root / "findings.json").read_bytes())}
    assert "high" in severities and "critical" not in severities  # the fixture's worst: high
    table = plain.stderr[plain.stderr.index("per function, worst first:") :].splitlines()
    assert table[1].split()[:3] == ["high", "orders-api", "eu-west-1/111122223333:"]
    assert "\x1b" not in plain.stderr  # no colour codes when stderr is not a terminal

    done = _analyze(root, "--fail-on", "high")
    assert done.returncode == 4, done.stderr
    assert "1 finding at or above high (--fail-on)" in done.stderr
    assert (root / "findings.json").is_file()

    assert _analyze(root, "--fail-on", "critical").returncode == 0
    bad = _analyze(root, "--fail-on", "severe")
    assert bad.returncode == 2 and "severe" in bad.stderr
