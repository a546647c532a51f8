"""One writer per case: the second is refused naming the first; a dead writer's lock is taken."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.lock import CaseLocked, case_lock, current_holder

CLI = [sys.executable, "-m", "lambda_ir"]

# A process that takes the lock, says so, and waits to be told to stop (or killed).
_HOLD = """
import sys, time
from pathlib import Path
from lambda_ir.evidence.lock import case_lock
from lambda_ir.evidence.store import stage, temp_prefix
with case_lock(Path(sys.argv[1]), "lambda-ir collect --case held"):
    stage(Path(sys.argv[1]), [b"half"])  # as a writer stages: .tmp/w-<pid>-...
    spill = Path(sys.argv[1]) / ".tmp" / f"{temp_prefix()}duckdb-spill"
    spill.mkdir()
    (spill / "duckdb_temp_block-1.block").write_bytes(b"spilled")
    print("held", flush=True)
    time.sleep(60)
"""


def _hold(root: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held"
    return holder


def _import_after_kill(root: Path, tmp_path: Path) -> str:
    """`import-trail` into the case whose lock holder was killed: its stderr on one line."""
    done = subprocess.run(
        [*CLI, "import-trail", "--case", str(root), str(_trail_file(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return " ".join(done.stderr.split())


def _trail_file(tmp_path: Path) -> Path:
    record = {
        "eventVersion": "1.08",
        "eventID": "e1",
        "eventTime": "2026-01-02T03:04:05Z",
        "eventSource": "lambda.amazonaws.com",
        "eventName": "GetFunction",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
    }
    path = tmp_path / "trail.json"
    path.write_bytes(orjson.dumps({"Records": [record]}))
    return path


def test_second_writer_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    root = tmp_path / "case"
    holder = _hold(root)
    try:
        with pytest.raises(CaseLocked) as refused, case_lock(root, "lambda-ir index"):
            pass  # pragma: no cover - the lock is refused
        assert refused.value.holder is not None
        assert refused.value.holder.pid == holder.pid
        assert refused.value.holder.command == "lambda-ir collect --case held"
        assert current_holder(root) == refused.value.holder
    finally:
        holder.kill()
        holder.wait()
    assert current_holder(root) is None


def test_reentrant_within_one_process(tmp_path: Path) -> None:
    with case_lock(tmp_path, "outer") as outer, case_lock(tmp_path, "inner") as inner:
        assert inner.holder == outer.holder
        assert current_holder(tmp_path) == outer.holder
    assert current_holder(tmp_path) is None


def test_cli_writer_refused_while_another_process_writes_and_readers_work(
    tmp_path: Path,
) -> None:
    root = tmp_path / "case"
    Case.create(root).log("collected")
    holder = _hold(root)
    try:
        done = subprocess.run(
            [*CLI, "import-trail", "--case", str(root), str(_trail_file(tmp_path))],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1
        assert f"pid {holder.pid} on {os.uname().nodename}" in done.stderr
        assert "`lambda-ir collect --case held`" in done.stderr
        assert "wait for it to finish" in done.stderr
        verified = subprocess.run(
            [*CLI, "verify", "--case", str(root)], capture_output=True, text=True, timeout=60
        )
        assert verified.returncode == 0, verified.stdout
        assert "2 file(s) in .tmp/ being written by" in verified.stderr
    finally:
        holder.kill()
        holder.wait()
    assert not (root / "trail").exists()  # the refused import wrote nothing


def test_a_killed_writers_lock_is_taken_over_and_its_partial_files_removed(
    tmp_path: Path,
) -> None:
    root = tmp_path / "case"
    Case.create(root).log("collected")
    holder = _hold(root)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert current_holder(root) is None  # the kernel released it with the process
    killed = verify_case(root)  # the half-written file is the killed writer's, and said so
    assert killed.ok, killed.problems
    assert (
        "2 file(s) in .tmp/ left half-written by `lambda-ir collect --case held`"
        in (killed.notes[0])
    )
    started = time.monotonic()
    said = _import_after_kill(root, tmp_path)
    assert time.monotonic() - started < 30
    assert f"taking over the case lock of `lambda-ir collect --case held` (pid {holder.pid}" in said
    assert "2 partial file(s) it left in .tmp/ removed" in said
    report = verify_case(root)
    assert report.ok, report.problems
    assert report.notes == []  # the takeover removed the leftovers
    assert (root / ".lock").read_bytes() == b""  # released: empty, never deleted in use


def test_two_handles_on_one_case_never_fork_the_custody_chain(tmp_path: Path) -> None:
    """Defence in depth below the lock: a library caller with two handles (or a writer the
    lock did not stop) chains on the other's entries instead of forking the chain."""
    first = Case.create(tmp_path / "case")
    second = Case.open(tmp_path / "case")
    first.put_bytes(b"one", kind="code")
    first.log("collected")
    second.put_bytes(b"two", kind="code")
    second.log("collected")
    first.log("analyzed")
    report = verify_case(tmp_path / "case")
    assert report.ok, report.problems
    assert report.custody_entries == 4


def test_a_takeover_removes_only_the_dead_writers_files_and_names_the_others(
    tmp_path: Path,
) -> None:
    """Files planted in `.tmp/` after the writer died (or by anyone) stay, are named by the
    writer taking over, and `verify` reports them; the dead writer's own files go."""
    root = tmp_path / "case"
    Case.create(root).log("collected")
    holder = _hold(root)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    staging = root / ".tmp"
    (staging / "planted.py").write_bytes(b"import os")
    (staging / "w-1-lookalike").write_bytes(b"another pid's name")
    (staging / f"w-{holder.pid}0-longer-pid").write_bytes(b"pid 10x, not the writer's")
    before = verify_case(root)
    assert {p.path for p in before.problems} == {
        ".tmp/planted.py",
        ".tmp/w-1-lookalike",
        f".tmp/w-{holder.pid}0-longer-pid",
    }
    assert all(
        f"not made by the killed writer (pid {holder.pid})" in p.detail for p in before.problems
    )
    said = _import_after_kill(root, tmp_path)
    assert "2 partial file(s) it left in .tmp/ removed" in said
    assert "warning: 3 file(s) in .tmp/ not made by that writer" in said
    assert ".tmp/planted.py" in said
    assert sorted(p.name for p in staging.iterdir()) == sorted(
        ["planted.py", "w-1-lookalike", f"w-{holder.pid}0-longer-pid"]
    )
    after = verify_case(root)
    assert {p.path for p in after.problems} == {p.path for p in before.problems}
