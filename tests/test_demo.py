"""`lambda-ir demo` end to end: a real investigation of the emulated compromise, then verify."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambda_ir", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = tmp_path_factory.mktemp("demo") / "case"
    result = _cli("--json", "demo", "--case", str(case))
    assert result.returncode == 0, result.stderr[-3000:]
    document = orjson.loads(result.stdout)
    assert document["case"] == str(case)
    assert document["verified"] is True
    return case


def test_demo_finds_the_denonia_compromise_and_who_did_it(demo_case: Path) -> None:
    findings = orjson.loads((demo_case / "findings.json").read_bytes())
    on_resizer = [f for f in findings if ":function:image-resizer" in f["resource"]]
    detectors = {f["detector"] for f in on_resizer}
    assert {
        "yara:LIR_Denonia_Lambda_Malware",
        "LIR-CT-001",
        "LIR-CT-002",
        "LIR-CT-004",
    } <= detectors
    code_change = next(f for f in on_resizer if f["detector"] == "LIR-CT-004")
    assert code_change["actor"]["arn"] == "arn:aws:iam::123456789012:user/ci-deployer"
    assert code_change["actor"]["source_ip"].startswith("203.0.113.")
    assert all(e["path"] and len(e["sha256"]) == 64 for f in findings for e in f["evidence"])


def test_demo_writes_every_output(demo_case: Path) -> None:
    for name in (
        "report.html",
        "report.md",
        "findings.sarif",
        "findings.ocsf.jsonl",
        "timeline.jsonl",
    ):
        assert (demo_case / name).stat().st_size > 0, name
    actions = [
        orjson.loads(line)["action"]
        for line in (demo_case / "custody.jsonl").read_bytes().splitlines()
    ]
    assert actions[0] == "created"
    assert {"collected", "analyzed", "reported"} <= set(actions)


def test_demo_case_verifies_then_a_flipped_byte_is_named(demo_case: Path) -> None:
    ok = _cli("verify", "--case", str(demo_case))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("intact: ")
    blob = next((demo_case / "blobs" / "sha256").rglob("*"))
    while blob.is_dir():
        blob = next(blob.iterdir())
    blob.chmod(0o644)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    bad = _cli("verify", "--case", str(demo_case))
    assert bad.returncode == 1
    assert f"altered: {blob.relative_to(demo_case).as_posix()}" in bad.stdout


def test_demo_never_writes_over_an_existing_folder(tmp_path: Path) -> None:
    from lambda_ir.cli.demo import _new_folder

    taken = tmp_path / "demo-case"
    taken.mkdir()
    (taken / "case.json").write_text("{}")
    chosen = _new_folder(taken)
    assert chosen != taken
    assert chosen.name.startswith("demo-case-")
