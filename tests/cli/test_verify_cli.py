"""`lambda-ir verify` from the command line: exit codes, summary, --json."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from lambda_ir.evidence import Case


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambda_ir", *args], capture_output=True, text=True, timeout=60
    )


def _case(tmp_path: Path) -> Case:
    case = Case.create(tmp_path / "case")
    case.put_bytes(b"PK code", kind="code")
    case.log("collected")
    return case


def test_intact_case_exits_0_with_one_line(tmp_path: Path) -> None:
    case = _case(tmp_path)
    result = _run("verify", "--case", str(case.root))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("intact: 1 files")
    assert result.stdout.count("\n") == 1


def test_flipped_byte_exits_1_naming_the_file(tmp_path: Path) -> None:
    case = _case(tmp_path)
    (entry,) = case.entries()
    assert entry.path
    blob = case.root / entry.path
    blob.chmod(0o644)
    blob.write_bytes(b"PK cod3")
    result = _run("verify", "--case", str(case.root))
    assert result.returncode == 1
    assert f"altered: {entry.path}" in result.stdout


def test_json_output(tmp_path: Path) -> None:
    case = _case(tmp_path)
    result = _run("--json", "verify", "--case", str(case.root))
    document = orjson.loads(result.stdout)
    assert document["ok"] is True
    assert document["files"] == 1
    assert document["problems"] == []


def test_not_a_case_exits_1(tmp_path: Path) -> None:
    result = _run("verify", "--case", str(tmp_path))
    assert result.returncode == 1
    assert "not a lambda-ir case" in result.stderr
