"""Chaos: collect a seeded scenario under injected faults, and killed at a random point.

Either way the case must end with the same manifest (artifacts and their hashes, failed
calls and why) as a clean run, and `verify` must pass. Short for CI: one faulty run, one
SIGKILL and resume. A longer run (more seeds and kills) is documented in the README:
LAMBDA_IR_CHAOS_RUNS=N repeats each test over N seeds.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lambda_ir.emulator.quotas import FaultSpec
from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.serving import apply_scenarios
from lambda_ir.emulator.testing import running_emulator
from lambda_ir.evidence import Case, verify_case
from tests.acquire.test_cli import _env

CLI = [sys.executable, "-m", "lambda_ir"]
REGIONS = ("us-east-1",)  # where the stratus scenario lives
RUNS = int(os.environ.get("LAMBDA_IR_CHAOS_RUNS", "1"))
FAULT_RATE = 0.14


@pytest.fixture(scope="module")
def stratus() -> Iterator[tuple[Emulator, list[str]]]:
    """Stratus Red Team's Lambda techniques, seeded with no faults, then left to the test;
    and a logs/CloudTrail window ending once the seeding is done. Every collect is itself
    recorded as CloudTrail by the emulator, so a window reaching "now" would read a
    different trail on every run; this one reads the same trail each time."""
    with running_emulator(flush_interval=3600) as emulator:
        # moto's state is process-wide: a trail another module left logging in us-east-1
        # reports a new LatestDeliveryTime every second, and the manifests would differ.
        emulator.reset()
        apply_scenarios(emulator, ["stratus"])
        end = datetime.now(UTC).replace(microsecond=0)
        time.sleep(1.1)  # CloudTrail keeps whole seconds: later calls fall after `end`
        window = ["--since", _iso(end - timedelta(days=2)), "--until", _iso(end)]
        yield emulator, window


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _collect(chaos: tuple[Emulator, list[str]], case: Path) -> subprocess.Popen[str]:
    emulator, window = chaos
    env = _env(emulator.endpoint_url)
    regions = [arg for region in REGIONS for arg in ("--region", region)]
    # --no-pacing: faults and kills are the subject; paced, each run sleeps seconds between
    # LookupEvents calls at 2/s (pacing has tests of its own).
    options = ["--workers", "4", "--no-pacing", *regions, *window]
    return subprocess.Popen(
        [*CLI, "--json", "collect", "--case", str(case), *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-2000:]
    document: dict[str, object] = json.loads(out)
    return document


def _manifest(case: Path) -> set[tuple[str, ...]]:
    """What the case holds, without times: each artifact's path and hash, each failed call."""
    return {
        (e.path, e.sha256 or "")
        if e.path
        else ("failed", e.api or "", json.dumps(e.params, sort_keys=True), e.error or "")
        for e in Case.open(case).entries()
    }


def _lines(case: Path) -> int:
    manifest = case / "manifest.jsonl"
    return manifest.read_bytes().count(b"\n") if manifest.exists() else 0


def _requests(summary: dict[str, object]) -> int:
    calls = summary["calls"]
    assert isinstance(calls, dict)
    return sum(calls.values())


@pytest.fixture(scope="module")
def clean_case(
    stratus: tuple[Emulator, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    stratus[0].set_limits()
    case = tmp_path_factory.mktemp("clean") / "case"
    summary = _finish(_collect(stratus, case))
    assert verify_case(case).ok
    print(f"chaos clean run: {_requests(summary)} requests, {len(_manifest(case))} lines")
    return case


@pytest.fixture(scope="module")
def clean(clean_case: Path) -> set[tuple[str, ...]]:
    return _manifest(clean_case)


def _assert_clean(case: Path, clean_case: Path) -> None:
    """The case's manifest is the clean run's; if not, say how each differing artifact differs
    (a flake seen once in CI left only two hashes to go on)."""
    got, want = _manifest(case), _manifest(clean_case)
    if got == want:
        return
    hashes = {path: sha for path, sha, *_ in want}
    changed = sorted(e[0] for e in got - want if e[0] in hashes and len(e) == 2)
    notes = [f"{path}: {_how_differs(clean_case / path, case / path)}" for path in changed]
    assert got == want, "\n".join(notes)


def _how_differs(clean_file: Path, other_file: Path, shown: int = 3) -> str:
    """What differs between two versions of a (gzip) JSON-lines artifact: only the
    compression, or which lines, and in which fields for lines of the same event."""
    read = gzip.decompress if clean_file.name.endswith(".gz") else bytes
    before, after = read(clean_file.read_bytes()), read(other_file.read_bytes())
    if before == after:
        return "same content, different compressed bytes"
    old, new = before.splitlines(), after.splitlines()
    gone, added = [x for x in old if x not in new], [x for x in new if x not in old]
    notes = [f"{len(old)} -> {len(new)} lines, {len(gone)} only in clean, {len(added)} only here"]
    try:
        events = {_event_key(json.loads(x)): json.loads(x) for x in gone}
    except (ValueError, TypeError):
        return "; ".join([*notes, f"clean {gone[:shown]!r}", f"here {added[:shown]!r}"])
    for line in added[:shown]:
        event = json.loads(line)
        twin = events.get(_event_key(event))
        fields = sorted(k for k in {*event, *(twin or {})} if (twin or {}).get(k) != event.get(k))
        notes.append(f"{line[:160]!r}: " + (f"differs in {fields}" if twin else "new event"))
    return "; ".join(notes)


def _event_key(event: object) -> tuple[object, ...]:
    """A log event's identity without the ids and times CloudWatch Logs assigns on ingestion."""
    if not isinstance(event, dict):
        return (event,)
    return (event.get("logStreamName"), event.get("timestamp"), event.get("message"))


@pytest.mark.parametrize("seed", range(RUNS))
def test_faults_after_seeding_give_the_clean_manifest(
    stratus: tuple[Emulator, list[str]], clean_case: Path, tmp_path: Path, seed: int
) -> None:
    emulator = stratus[0]
    limiter = emulator.set_limits(faults=FaultSpec(FAULT_RATE, seed=seed))
    try:
        summary = _finish(_collect(stratus, tmp_path / "case"))
    finally:
        emulator.set_limits()
    injected = sum(limiter.injected.values())
    print(
        f"chaos seed {seed}: faults injected {limiter.injected}, {_requests(summary)} requests"
        f" (retries included), {summary['throttled_responses']} throttles seen"
    )
    assert injected > 0
    _assert_clean(tmp_path / "case", clean_case)
    assert verify_case(tmp_path / "case").ok


@pytest.mark.parametrize("seed", range(RUNS))
def test_sigkill_at_a_random_point_then_resume_gives_the_clean_manifest(
    stratus: tuple[Emulator, list[str]],
    clean: set[tuple[str, ...]],
    clean_case: Path,
    tmp_path: Path,
    seed: int,
) -> None:
    emulator = stratus[0]
    case = tmp_path / "case"
    # A random point of the run: once the manifest holds `at` of the clean run's lines (in
    # its first three quarters, so the kill lands before the run's end).
    at = random.Random(seed).randint(1, len(clean) * 3 // 4)
    emulator.set_limits(latency_ms=20)
    try:
        process = _collect(stratus, case)
        deadline = time.monotonic() + 120
        while _lines(case) < at and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        emulator.set_limits()
    killed_at = _lines(case)
    print(f"chaos kill seed {seed}: killed at {killed_at} of {len(clean)} manifest lines")
    assert killed_at < len(clean), "the run ended before the kill"
    _finish(_collect(stratus, case))
    _assert_clean(case, clean_case)
    report = verify_case(case)
    assert report.ok, report.problems
