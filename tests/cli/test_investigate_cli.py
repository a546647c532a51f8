"""`lambda-ir investigate` as a responder runs it: the boto3 chain pointed at a served emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.cli.serve import served


@pytest.fixture(scope="module", name="served")
def served_denonia(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`lambda-ir emulator serve --scenario denonia`; yields the exports a user would paste."""
    with served(tmp_path_factory.mktemp("serve"), "--scenario", "denonia") as exports:
        yield exports


def _investigate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        # --no-pacing: paced, each run sleeps seconds between LookupEvents calls at 2/s;
        # pacing has tests of its own (tests/acquire/test_evidence_cases.py, test_cli.py).
        [sys.executable, "-m", "lambda_ir", "--json", "investigate", "--no-pacing", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_investigate_end_to_end_then_resume(served: dict[str, str], tmp_path: Path) -> None:
    case = tmp_path / "case"
    args = ("--case", str(case), "--region", "us-east-1", "--since", "14d")
    first = _investigate(served, *args)
    assert first.returncode == 0, first.stderr[-3000:]
    document = orjson.loads(first.stdout)
    assert Path(document["report"]) == case / "report.html"
    assert document["findings"]["critical"] >= 1
    findings = orjson.loads((case / "findings.json").read_bytes())
    replaced = [f for f in findings if f["detector"] == "LIR-CT-004"]
    assert replaced, "the code replacement should be found"
    assert replaced[0]["actor"]["arn"].endswith(":user/ci-deployer")
    assert (case / "timeline.jsonl").stat().st_size > 0

    again = _investigate(served, *args)
    assert again.returncode == 0, again.stderr[-3000:]
    collected = orjson.loads(again.stdout)["collected"]
    assert collected["resumed"] > 0
    assert collected["artifacts"] < collected["resumed"]


def test_investigate_with_an_ioc_file(served: dict[str, str], tmp_path: Path) -> None:
    iocs = tmp_path / "iocs.txt"
    iocs.write_text("gw.denonia.xyz\n")
    case = tmp_path / "case"
    result = _investigate(
        served, "--case", str(case), "--function", "image-resizer", "--ioc", str(iocs)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    findings = orjson.loads((case / "findings.json").read_bytes())
    assert any(f["detector"] == "LIR-IOC-001" for f in findings)
    raised = [f for f in findings if ":function:" in f["resource"] and f["severity"] != "info"]
    assert {f["resource"].split(":")[6] for f in raised} == {"image-resizer"}
    # the trail's releases of the other functions, before any baseline: for the record only
    others = [f for f in findings if ":function:" in f["resource"] and f not in raised]
    assert {f["detector"] for f in others if "image-resizer" not in f["resource"]} <= {"LIR-CT-004"}


def test_investigate_refuses_a_broken_yara_rule_before_collecting(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yar").write_text("rule broken { condition: $nope }")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambda_ir",
            "investigate",
            "--case",
            str(tmp_path / "c"),
            "--region",
            "us-east-1",
            "--yara",
            str(rules),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "does not compile" in result.stderr
    assert not (tmp_path / "c").exists()


def test_investigate_of_a_function_that_does_not_exist_fails(
    served: dict[str, str], tmp_path: Path
) -> None:
    # before: exit 0, "0 functions", a report of the trail alone, as if the name were right
    case = tmp_path / "case"
    args = ("--case", str(case), "--region", "us-east-1", "--function", "image-resizr")
    result = _investigate(served, *args)
    assert result.returncode == 1, result.stderr[-3000:]
    stopped = " ".join(result.stderr.split())
    assert "investigation stopped after collect: no function --function named exists" in stopped
    assert "not found: image-resizr (us-east-1) (a typo, or deleted?" in stopped
    assert not (case / "report.html").exists()
