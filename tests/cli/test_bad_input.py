"""Bad input to `collect` is refused in one line, before a case folder exists."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambda_ir.cli.main import cli
from lambda_ir.cli.preflight import window

CLI = [sys.executable, "-m", "lambda_ir"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_DEFAULT_REGION="us-east-1",
        **extra,
    )
    return env


_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Nothing listens on the discard port of loopback: the connection is refused at once.
_REFUSED = {**_KEYS, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}


def _collect(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "collect", "--case", str(tmp_path / "case"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--region", "mars-1"], "'mars-1' is not an AWS region name"),
        (["--region", ""], "'' is not an AWS region name"),
        (["--since", "99999999999d"], "'99999999999d' is too far from now"),
        (["--since", "2d", "--until", "3d"], "is not after --since '2d'"),
        (["--since", "2d", "--until", "2d"], "is not after --since '2d'"),
        (["--since", "soon"], "is not a time"),
    ],
)
def test_bad_scope_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], says: str
) -> None:
    for name, value in _env(**_REFUSED).items():
        monkeypatch.setenv(name, value)
    case = str(tmp_path / "case")
    done = CliRunner().invoke(cli, ["collect", "--case", case, "--region", "us-east-1", *args])
    assert done.exit_code == 2, done.output
    assert says in " ".join(done.output.split())
    assert not (tmp_path / "case").exists()


def _days_ahead(days: int) -> str:
    """A date after the clock the run has (`make pytest-clock` moves it), never a fixed year."""
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


@pytest.mark.parametrize(
    "command",
    [
        ["collect", "--region", "us-east-1"],
        ["investigate", "--region", "us-east-1"],
        ["collect", "--region", "us-east-1", "--org-role", "IR", "--all-accounts"],
        ["hunt", "--athena-workgroup", "wg", "--trail-table", "db.trail"],
    ],
)
@pytest.mark.parametrize("since", ["future", "0d"])
def test_a_window_that_cannot_hold_an_event_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], since: str
) -> None:
    # Before: `--since` in the future (or 0d) exited 0, every LookupEvents recorded as
    # InvalidTimeRangeException and custody holding since > until.
    for name, value in _env(**_REFUSED).items():
        monkeypatch.setenv(name, value)
    when = _days_ahead(2) if since == "future" else since
    case = str(tmp_path / "case")
    done = CliRunner().invoke(cli, [command[0], "--case", case, *command[1:], "--since", when])
    assert done.exit_code == 2, done.output
    said = " ".join(done.output.split())
    assert f"'{when}' (" in said and "is not before now" in said
    assert "pass a time in the past, like 7d, 36h or a past date" in said
    assert not (tmp_path / "case").exists()


def test_a_second_ago_is_the_shortest_window() -> None:
    now = datetime(2026, 11, 20, 3, 14, tzinfo=UTC)  # passed in: nothing here reads the clock
    assert window("1s", None, now) == ("2026-11-20T03:13:59Z", None)
    assert window("1s", "0s", now) == ("2026-11-20T03:13:59Z", "2026-11-20T03:14:00Z")


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "no AWS credentials found: set AWS_PROFILE"),
        (_REFUSED, "cannot reach AWS STS (http://127.0.0.1:9"),
    ],
)
def test_no_credentials_or_no_endpoint_is_one_line_quickly(
    tmp_path: Path, env: dict[str, str], says: str
) -> None:
    started = time.monotonic()
    done = _collect(tmp_path, _env(**env), "--region", "us-east-1")
    assert time.monotonic() - started < 10
    assert done.returncode == 1
    assert done.stderr.startswith(f"lambda-ir: {says}")
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "case").exists()  # no empty case folder left behind


def test_an_existing_case_is_kept_when_collect_is_refused(tmp_path: Path) -> None:
    from lambda_ir.evidence import Case, verify_case

    Case.create(tmp_path / "case").log("collected")
    done = _collect(tmp_path, _env(**_REFUSED), "--region", "us-east-1")
    assert done.returncode == 1
    assert verify_case(tmp_path / "case").ok
