"""An interrupted run never leaves a half-written artifact listed in the manifest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.lock import case_lock

WRITER = """
import sys, time
from pathlib import Path
from lambda_ir.evidence import Case

from lambda_ir.evidence.lock import case_lock

def slow_chunks():
    for n in range(10_000):
        if n == 5:
            Path(sys.argv[2]).write_text("writing")
        yield b"x" * 65536
        time.sleep(0.01)

with case_lock(Path(sys.argv[1]), "writer"):  # as every command that writes a case does
    case = Case.open(Path(sys.argv[1]))
    case.put_json("raw/before.json", {"ok": True}, kind="other")
    case.put_stream(slow_chunks(), "raw/big.bin", kind="other")
"""


def test_kill_during_a_write_leaves_a_consistent_case(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case")
    flag = tmp_path / "flag"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(case.root), str(flag)])
    deadline = time.monotonic() + 30
    while not flag.exists():
        assert time.monotonic() < deadline, "writer never started"
        assert proc.poll() is None, "writer died early"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    reopened = Case.open(case.root)
    assert [e.path for e in reopened.entries()] == ["raw/before.json"]
    assert not (case.root / "raw" / "big.bin").exists()
    leftovers = list((case.root / ".tmp").iterdir())
    assert leftovers, "the half-written temp file should be in the scratch folder"
    report = verify_case(case.root)
    assert report.ok, report.problems
    assert "left half-written by `writer`" in report.notes[0]  # explained, not evidence

    # Resuming (taking the dead writer's lock over) removes them and writes it in full.
    with case_lock(case.root, "resume") as acquired:
        assert acquired.cleared == len(leftovers)
        entry = reopened.put_bytes(b"complete", "raw/big.bin", kind="other")
    assert entry.size == 8
    resumed = verify_case(case.root)
    assert resumed.ok, resumed.problems
    assert resumed.notes == []


def test_an_orphan_from_an_interrupted_rename_is_replaced(tmp_path: Path) -> None:
    """A file renamed into place whose manifest line was never written is not trusted."""
    case = Case.create(tmp_path / "case")
    orphan = case.root / "raw" / "x.json"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"stale")
    assert [p.kind for p in verify_case(case.root).problems] == ["unlisted"]
    entry = case.put_json("raw/x.json", {"fresh": True}, kind="other")
    assert orphan.read_bytes() != b"stale"
    assert entry.path == "raw/x.json"
    assert verify_case(case.root).ok
