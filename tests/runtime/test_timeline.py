"""Runtime snapshots on the timeline: the snapshot, /tmp writes and process starts."""

from __future__ import annotations

from pathlib import Path

from lambda_ir.evidence import Case
from lambda_ir.timeline.runtime import runtime_events
from tests.analyze.casebuild import CaseBuilder
from tests.runtime.helpers import malicious_tmp, sha256
from tests.runtime.snapshots import infected, lambda_snapshot, store


def test_snapshot_files_and_processes_become_events(tmp_path: Path) -> None:
    tmp, opt = tmp_path / "tmp", tmp_path / "opt"
    files = malicious_tmp(tmp)
    opt.mkdir()
    builder = CaseBuilder(tmp_path / "case")
    first = lambda_snapshot(tmp, opt)
    second = infected(first)
    paths = [store(builder, first, "first"), store(builder, second, "second")]

    events = runtime_events(Case.open(builder.root))
    kinds = [e.kind for e in events]
    assert kinds.count("runtime-snapshot") == 2
    (written,) = [e for e in events if e.kind == "runtime-file" and "/tmp/python " in e.summary]
    assert sha256(files["python"]) in written.summary
    assert [ref.path for ref in written.evidence] == paths  # seen in both: one event, two refs
    assert written.function == "orders" and written.account and written.region
    started = [e for e in events if e.kind == "runtime-process"]
    assert any("/tmp/python" in e.summary for e in started)
    assert not any("/opt/lambda-ir/collect.py" in e.summary for e in started)  # the collector
    assert all(e.time.endswith("Z") for e in events)
    assert events == sorted(events, key=lambda e: e.time)
