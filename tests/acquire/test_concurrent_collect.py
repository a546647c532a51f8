"""Two responders, one case: the second `collect` is refused naming the first; verify passes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import boto3

from lambda_ir.emulator.testing import running_emulator
from lambda_ir.evidence import Case, verify_case
from tests.acquire import seed
from tests.acquire.conftest import Place
from tests.acquire.test_cli import _env

CLI = [sys.executable, "-m", "lambda_ir"]


def test_two_collects_at_once_one_writes_the_other_is_refused(
    place: Place, session: boto3.Session, tmp_path: Path
) -> None:
    for n in range(3):
        seed.function(session, place.endpoint, f"fn-{n}", ["a", f"b{n}"], region=place.region)
    case_dir = tmp_path / "case"
    args = [*CLI, "collect", "--case", str(case_dir), "--region", place.region, "--workers", "2"]
    with running_emulator(latency_ms=100, flush_interval=3600) as slow:
        env = _env(slow.endpoint_url)
        first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not (case_dir / "case.json").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        during = verify_case(case_dir)  # a reader, while the first still writes
        _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err.decode()
    assert second.returncode == 1
    message = " ".join(second.stderr.split())
    assert f"is being written by `lambda-ir collect --case {case_dir}" in message
    assert f"(pid {first.pid} on " in message
    assert during.ok, during.problems
    report = verify_case(case_dir)
    assert report.ok, report.problems
    paths = [e.path for e in Case.open(case_dir).entries() if e.path]
    assert len(paths) == len(set(paths))  # no artifact listed twice
