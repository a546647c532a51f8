"""`collect` without --since reads logs and CloudTrail over a default window, says so, and
records it; a resumed case keeps its first window; --no-logs leaves the logs out."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3

from lambda_ir.evidence import Case
from lambda_ir.evidence.custody import read_entries
from tests.acquire import seed
from tests.acquire.conftest import Place
from tests.acquire.test_cli import CLI, _env


def _collect(place: Place, case_dir: Path, *extra: str) -> str:
    # --no-pacing: the window is the subject, not pacing (tested on its own); paced, each run
    # sleeps ~5 s between LookupEvents calls at 2/s.
    command = ["collect", "--case", str(case_dir), "--region", place.region, "--no-pacing"]
    done = subprocess.run(
        [*CLI, *command, *extra],
        capture_output=True,
        env=_env(place.endpoint),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return " ".join((done.stdout.decode() + done.stderr.decode()).split())  # rich wraps lines


def _started(case_dir: Path) -> list[dict[str, object]]:
    return [
        entry.details["scope"]
        for _n, _raw, entry in read_entries(case_dir / "custody.jsonl")
        if entry is not None and entry.action == "collect-started"
    ]


def _log_line(session: boto3.Session, place: Place, name: str) -> None:
    logs = seed.client(session, place.endpoint, "logs", place.region)
    group = f"/aws/lambda/{name}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    when = datetime.now(UTC) - timedelta(hours=1)  # relative: no dependence on today's date
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": int(when.timestamp() * 1000), "message": "hello from orders"}],
    )


def test_default_window_collects_logs_and_says_so_then_resumes_it(
    place: Place, session: boto3.Session, tmp_path: Path
) -> None:
    seed.function(session, place.endpoint, "orders", ["a"], region=place.region)
    _log_line(session, place, "orders")
    case_dir = tmp_path / "case"
    before = datetime.now(UTC)
    output = _collect(place, case_dir)
    assert "Window: logs and CloudTrail from " in output
    assert "(default: the last 14d; --since changes it)" in output
    [scope] = _started(case_dir)
    assert scope["since_default"] == "the last 14d" and scope["logs"] is True
    since = datetime.fromisoformat(str(scope["since"]).replace("Z", "+00:00"))
    assert abs(since - (before - timedelta(days=14))) < timedelta(minutes=5)
    kinds = {e.kind for e in Case.open(case_dir).entries() if e.path}
    assert {"logs", "trail"} <= kinds, kinds
    logs = [e for e in Case.open(case_dir).entries() if e.kind == "logs" and e.path]
    assert any(e.params.get("logGroupName") == "/aws/lambda/orders" for e in logs)

    again = _collect(place, case_dir)  # a rerun fills the same window's gaps
    assert "(default: the window of this case's first collection" in again
    assert "collected 0 artifacts" in again
    first, second = _started(case_dir)
    assert (first["since"], first["until"]) == (second["since"], second["until"])


def test_no_logs_and_an_explicit_since(
    place: Place, session: boto3.Session, tmp_path: Path
) -> None:
    seed.function(session, place.endpoint, "orders", ["a"], region=place.region)
    _log_line(session, place, "orders")
    quiet = tmp_path / "quiet"
    output = _collect(place, quiet, "--no-logs")
    assert "--no-logs: the functions' CloudWatch logs are not collected" in output
    assert "Window: CloudTrail from " in output
    kinds = {e.kind for e in Case.open(quiet).entries() if e.path}
    assert "logs" not in kinds and "trail" in kinds, kinds
    assert json.loads(json.dumps(_started(quiet)[0]))["logs"] is False
    chosen = _collect(place, tmp_path / "chosen", "--since", "2d")
    assert "default:" not in chosen and "Window: logs and CloudTrail from " in chosen
    assert _started(tmp_path / "chosen")[0]["since_default"] is None
