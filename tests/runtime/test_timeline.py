"""Runtime snapshots on the timeline: the snapshot, /tmp writes and process starts."""

from __future__ import annotations

from pathlib import Path

from lambda_ir.evidence import Case
from lambda_ir.redact import REDACTED
from lambda_ir.timeline import build_timeline
from lambda_ir.timeline.runtime import runtime_events
from tests.analyze.casebuild import CaseBuilder
from tests.runtime.helpers import malicious_tmp, sha256
from tests.runtime.snapshots import infected, lambda_snapshot, process, store


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


def test_a_secret_at_the_command_line_cut_is_redacted_whole(tmp_path: Path) -> None:
    # The first secret's stand-in is shorter than it, which brings the cut one into view.
    token = "ghp_" + "A1b2" * 9
    argv = ["/tmp/x", "--session-token=" + "s" * 200, "a" * 42, token]
    assert " ".join(argv).index(token) < 300 < " ".join(argv).index(token) + len(token)
    tmp, opt = tmp_path / "tmp", tmp_path / "opt"
    tmp.mkdir()
    opt.mkdir()
    snapshot = lambda_snapshot(tmp, opt)
    snapshot["processes"].append(process(50, "/tmp/x", *argv, ppid=8))
    builder = CaseBuilder(tmp_path / "case")
    store(builder, snapshot, "first")

    events = list(build_timeline(Case.open(builder.root), None))
    (started,) = [e for e in events if e.kind == "runtime-process" and "process 50 " in e.summary]
    assert token[:8] not in started.summary
    assert started.summary.count(REDACTED) == 2


def test_a_password_passed_as_a_flag_is_redacted_from_the_command_line(tmp_path: Path) -> None:
    tmp, opt = tmp_path / "tmp", tmp_path / "opt"
    tmp.mkdir()
    opt.mkdir()
    snapshot = lambda_snapshot(tmp, opt)
    argv = ["mysql", "-h", "db.internal", "--password", "hunter2", "--database", "orders"]
    snapshot["processes"].append(process(51, "/usr/bin/mysql", *argv, ppid=8))
    builder = CaseBuilder(tmp_path / "case")
    store(builder, snapshot, "first")

    events = list(build_timeline(Case.open(builder.root), None))
    (started,) = [e for e in events if e.kind == "runtime-process" and "process 51 " in e.summary]
    assert f"mysql -h db.internal --password {REDACTED} (7 chars) --database orders" in (
        started.summary
    )
