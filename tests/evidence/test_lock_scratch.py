"""A writer's scratch in `.tmp/` is named with its pid and a token: pids repeat (containers)."""

from __future__ import annotations

import signal
from pathlib import Path

import orjson

from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.index import build_index
from lambda_ir.evidence.lock import case_lock, current_holder
from lambda_ir.evidence.store import scratch_path, stage
from tests.evidence.test_lock import _hold


def test_the_token_is_in_the_lock_and_in_every_staged_name(tmp_path: Path) -> None:
    root = tmp_path / "case"
    with case_lock(root, "lambda-ir collect") as held:
        staged = stage(root, [b"half"])
        recorded = orjson.loads((root / ".lock").read_bytes())
        assert current_holder(root) == held.holder
    assert len(recorded["token"]) >= 16
    assert staged.temp.name.startswith(f"w-{held.holder.pid}-{recorded['token']}-")


def test_a_takeover_keeps_a_file_with_the_dead_pid_but_another_token(tmp_path: Path) -> None:
    """Another container's writer with the same pid: its files are not the dead one's."""
    root = tmp_path / "case"
    Case.create(root).log("collected")
    holder = _hold(root)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    twin = f"w-{holder.pid}-0123456789abcdef-same-pid-other-process"
    (root / ".tmp" / twin).write_bytes(b"not the dead writer's")
    assert [p.path for p in verify_case(root).problems] == [f".tmp/{twin}"]
    with case_lock(root, "lambda-ir index") as taken:
        assert taken.stale is not None and taken.stale.pid == holder.pid
        assert taken.cleared == 2  # its staged file and its spill folder
        assert taken.planted == (f".tmp/{twin}",)
    assert [p.name for p in (root / ".tmp").iterdir()] == [twin]


def test_a_lock_from_before_tokens_removes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "case"
    Case.create(root).log("collected")
    (root / ".tmp").mkdir(exist_ok=True)
    (root / ".tmp" / "w-4242-old-name").write_bytes(b"?")
    old = {"pid": 4242, "host": "h", "command": "lambda-ir collect", "since": "?"}
    (root / ".lock").write_bytes(orjson.dumps(old))
    with case_lock(root, "lambda-ir index") as taken:
        assert taken.cleared == 0 and taken.planted == (".tmp/w-4242-old-name",)


def test_an_index_build_leaves_another_builds_spill_folder_alone(tmp_path: Path) -> None:
    """Two builds at once in one process: the first to finish must not remove the other's
    spill folder (DuckDB would fail writing to it)."""
    case = Case.create(tmp_path / "case")
    case.log("collected")
    (case.root / ".tmp").mkdir(exist_ok=True)
    others = [scratch_path(case.root, "index-spill"), scratch_path(case.root, "index-x-spill")]
    for other in others:
        other.mkdir()
        (other / "duckdb_temp_block-1.block").write_bytes(b"another build's")
    build_index(case)
    assert all((other / "duckdb_temp_block-1.block").exists() for other in others)
