"""`lambda-ir collect` as a user runs it: a subprocess, the endpoint from AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import boto3
from click.testing import CliRunner

from lambda_ir.acquire import iam_policy
from lambda_ir.cli.main import cli
from lambda_ir.emulator.testing import running_emulator
from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.custody import read_entries
from lambda_ir.evidence.interrupted import last_interruption
from lambda_ir.report.facts import build_facts
from tests.acquire import seed
from tests.acquire.conftest import Place

CLI = [sys.executable, "-m", "lambda_ir"]


def _env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    return env


def test_print_iam_policy() -> None:
    done = CliRunner().invoke(cli, ["collect", "--print-iam-policy"])
    assert done.exit_code == 0
    assert json.loads(done.stdout) == iam_policy()


def test_collect_without_case_is_a_usage_error() -> None:
    done = CliRunner().invoke(cli, ["collect"])
    assert done.exit_code == 2
    assert "--case" in done.output


def test_bad_window_is_a_usage_error(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        cli, ["collect", "--case", str(tmp_path / "c"), "--region", "eu-west-1", "--since", "soon"]
    )
    assert done.exit_code == 2
    assert "7d" in done.output
    assert not (tmp_path / "c").exists()


def test_collect_end_to_end(place: Place, session: boto3.Session, tmp_path: Path) -> None:
    seed.function(session, place.endpoint, "orders", ["a", "b"], region=place.region)
    case_dir = tmp_path / "case"
    done = subprocess.run(
        [*CLI, "--json", "collect", "--case", str(case_dir), "--region", place.region],
        capture_output=True,
        env=_env(place.endpoint),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert result["functions"] == 1 and result["artifacts"] > 10
    assert result["by_kind"]["code"] == 2
    assert verify_case(case_dir).ok
    again = subprocess.run(
        [*CLI, "collect", "--case", str(case_dir), "--region", place.region],
        capture_output=True,
        env=_env(place.endpoint),
        timeout=120,
    )
    assert again.returncode == 0
    assert b"collected 0 artifacts from 1 function in 1 region" in again.stdout


def test_ctrl_c_leaves_a_consistent_case_that_resumes(
    place: Place, session: boto3.Session, tmp_path: Path
) -> None:
    for n in range(6):
        seed.function(session, place.endpoint, f"fn-{n}", ["a", f"b{n}"], region=place.region)
    case_dir = tmp_path / "case"
    with running_emulator(latency_ms=150, flush_interval=3600) as slow:
        process = subprocess.Popen(
            [*CLI, "collect", "--case", str(case_dir), "--region", place.region, "--workers", "2"],
            env=_env(slow.endpoint_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        manifest = case_dir / "manifest.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if manifest.exists() and manifest.read_bytes().count(b"\n") >= 8:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr.decode()
    assert verify_case(case_dir).ok
    custody = [json.loads(line) for line in (case_dir / "custody.jsonl").read_text().splitlines()]
    (stopped,) = [c["details"] for c in custody if c["action"] == "collect-interrupted"]
    assert sum(stopped["not_done"].values()) > 0  # the queued calls Ctrl-C dropped, by name
    assert last_interruption(case_dir) is not None  # analyze and report say so
    interrupted = sum(1 for _ in Case.open(case_dir).entries())
    done = subprocess.run(
        [*CLI, "--json", "collect", "--case", str(case_dir), "--region", place.region],
        capture_output=True,
        env=_env(place.endpoint),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["resumed"] > 0
    entries = list(Case.open(case_dir).entries())
    assert len(entries) > interrupted
    assert {e.params.get("FunctionName") for e in entries if e.kind == "function-versions"} == {
        f"fn-{n}" for n in range(6)
    }
    assert len([e for e in entries if e.kind == "code" and e.error is None]) == 7
    assert verify_case(case_dir).ok
    assert last_interruption(case_dir) is None  # the run that completed resumed it


def test_a_function_asked_for_and_not_found_is_said_and_is_a_report_gap(
    place: Place, session: boto3.Session, tmp_path: Path
) -> None:
    """A mistyped `--function` gave "collected 22 artifacts from 0 functions", exit 0, and
    a report with no gap and no finding: as if all were well. Now it fails (exit 1) when no
    name it was given exists, and goes on (exit 0, the missing named) when one does."""
    seed.function(session, place.endpoint, "orders", ["a"], region=place.region)
    elsewhere = "il-central-1"  # a region without it: a name is missing only from all
    # unpaced: the emulator does not throttle here, and 2/s LookupEvents cost 30 s
    both = ["--region", place.region, "--region", elsewhere, "--no-pacing"]
    right = subprocess.run(
        [*CLI, "collect", "--case", str(tmp_path / "right"), *both, "--function", "orders"],
        capture_output=True,
        env=_env(place.endpoint),
        timeout=120,
    )
    assert right.returncode == 0 and b"not found" not in right.stdout, right.stdout
    case_dir = tmp_path / "case"
    args = ["collect", "--case", str(case_dir), *both, "--function", "ordrs"]
    done = subprocess.run(
        [*CLI, *args, "--no-logs"], capture_output=True, env=_env(place.endpoint), timeout=120
    )
    assert done.returncode == 1, done.stderr.decode()
    missing = f"not found: ordrs ({place.region}, {elsewhere}) (a typo, or deleted?"
    assert missing in done.stdout.decode()
    refused = f"no function --function named exists: ordrs ({place.region}, {elsewhere})"
    assert refused in done.stderr.decode()
    assert f"Collecting 2 region(s) ({place.region}, {elsewhere}) into" in done.stderr.decode()
    facts = build_facts(Case.open(case_dir), [], "2026-12-07T00:00:00Z", diffs=False)
    gaps = [g for g in facts.missing if g.function == "ordrs"]
    assert len(gaps) == 2 and all("does not exist (a typo, or deleted?)" in g.why for g in gaps)
    assert all(g.what.startswith("lambda:ListVersionsByFunction") for g in gaps)
    right_facts = build_facts(Case.open(tmp_path / "right"), [], "2026-12-07T00:00:00Z")
    assert not [g for g in right_facts.missing if g.function == "orders"]
    # a later collection into the same case asks for the mistyped name: case.json's scope
    # is the first collection's, custody has the later one's
    later = subprocess.run(
        [*CLI, "collect", "--case", str(tmp_path / "right"), *both, "--function", "ordrs"],
        capture_output=True,
        env=_env(place.endpoint),
        timeout=120,
    )
    assert later.returncode == 1, later.stderr.decode()
    again = build_facts(Case.open(tmp_path / "right"), [], "2026-12-07T00:00:00Z")
    assert len([g for g in again.missing if g.function == "ordrs"]) == 2
    # one name found and one not: what exists is collected, the other named, exit 0
    two = ["--function", "orders", "--function", "ordrs"]
    mixed = subprocess.run(
        [*CLI, "collect", "--case", str(tmp_path / "mixed"), *both, "--no-logs", *two],
        capture_output=True,
        env=_env(place.endpoint),
        timeout=120,
    )
    assert mixed.returncode == 0, mixed.stderr.decode()
    assert b"from 1 function in 2 regions" in mixed.stdout and missing.encode() in mixed.stdout


def test_since_and_baseline_are_read_from_one_clock_so_90_days_is_no_gap(
    place: Place, session: boto3.Session, tmp_path: Path
) -> None:
    """`--since 1d --baseline 90d`: the baseline is LookupEvents' whole history, counted
    from the moment the window was read; a later clock clamped it by a second (a false gap)."""
    case_dir = tmp_path / "case"
    window = ["--since", "1d", "--baseline", "90d", "--no-pacing", "--no-logs"]
    done = subprocess.run(
        [*CLI, "collect", "--case", str(case_dir), "--region", place.region, *window],
        capture_output=True,
        env=_env(place.endpoint),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    case = Case.open(case_dir)
    assert [e.path for e in case.entries() if e.kind == "gap"] == []
    (scope,) = [
        entry.details["scope"]
        for _n, _raw, entry in read_entries(case_dir / "custody.jsonl")
        if entry is not None and entry.action == "collect-started"
    ]
    resolved = datetime.fromisoformat(scope["resolved_at"])
    assert scope["baseline"] == f"{resolved - timedelta(days=90):%Y-%m-%dT%H:%M:%SZ}"
