"""The time window is part of a windowed call's identity: reruns resume or add, never crash."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3

from lambda_ir.acquire.window import window_segment
from lambda_ir.evidence import Case
from tests.acquire import seed
from tests.acquire.conftest import Place
from tests.acquire.test_cli import CLI, _env


def _investigate(place: Place, case_dir: Path, *window: str) -> None:
    # --no-pacing: the emulator has no quotas to spare; pacing has tests of its own (each
    # windowed run otherwise sleeps ~5 s between LookupEvents calls at 2/s).
    command = ["investigate", "--case", str(case_dir), "--region", place.region, "--no-pacing"]
    command += window
    done = subprocess.run(
        [*CLI, "--json", *command],
        capture_output=True,
        env=_env(place.endpoint),
        timeout=240,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]


def test_window_segment_is_stable_and_distinct() -> None:
    a = window_segment("2026-11-15T00:00:00Z", None)
    assert a == "20261115T000000Z--open"
    assert a == window_segment("2026-11-15T00:00:00Z", None)
    assert a != window_segment("2026-11-16T00:00:00Z", None)


def test_rerun_with_relative_since_records_no_crash(
    place: Place, session: boto3.Session, tmp_path: Path
) -> None:
    seed.function(session, place.endpoint, "orders", ["a"], region=place.region)
    case_dir = tmp_path / "case"
    _investigate(place, case_dir, "--since", "14d")
    _investigate(place, case_dir, "--since", "14d")  # --since 14d: a later window
    entries = list(Case.open(case_dir).entries())
    crashes = [e for e in entries if e.kind == "other" or (e.error or "").startswith("error:")]
    assert crashes == [], [(e.api, e.params, e.error) for e in crashes]
    windowed = [e for e in entries if e.kind in ("logs", "trail", "gap") and e.path]
    lookups = {e.path for e in windowed if "/lookup/" in (e.path or "")}
    # Two runs, two windows: each lookup stored once per window, none overwritten.
    assert len(lookups) >= 4 and len({p.rsplit("/", 2)[-2] for p in lookups}) == 2
    assert all(e.params.get("StartTime") for e in windowed if "/lookup/" in (e.path or ""))


def test_rerun_with_the_same_window_resumes(
    place: Place, session: boto3.Session, tmp_path: Path
) -> None:
    seed.function(session, place.endpoint, "orders", ["a"], region=place.region)
    case_dir = tmp_path / "case"
    # A fixed window inside LookupEvents' 90 days: an older start is clamped to "90 days
    # before now", which moves between the runs, and the lookups would then be collected anew.
    now = datetime.now(UTC)
    since, until = now - timedelta(days=30), now + timedelta(days=1)
    window = ("--since", f"{since:%Y-%m-%dT%H:%M:%SZ}", "--until", f"{until:%Y-%m-%dT%H:%M:%SZ}")
    _investigate(place, case_dir, *window)
    before = len(list(Case.open(case_dir).entries()))
    _investigate(place, case_dir, *window)
    entries = list(Case.open(case_dir).entries())
    added = entries[before:]
    assert not [e for e in added if e.kind in ("logs", "trail")], added
    assert not [e for e in entries if e.kind == "other"]
