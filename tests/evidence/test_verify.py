"""`verify` finds and names every kind of tampering."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import duckdb
import orjson
import pytest

from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.index import build_index, open_index
from lambda_ir.evidence.lock import case_lock
from lambda_ir.evidence.store import stage
from tests.analyze.casebuild import trail_event


@pytest.fixture
def case(tmp_path: Path) -> Case:
    case = Case.create(tmp_path / "case", {"regions": ["us-east-1"]})
    case.put_json(
        "raw/1/us-east-1/lambda/list-functions/1.json", {"Functions": []}, kind="function-list"
    )
    case.put_bytes(b"PK\x03\x04 code of version 1", kind="code", api="lambda:GetFunction")
    case.put_bytes(b"PK\x03\x04 code of version 2", kind="code", api="lambda:GetFunction")
    case.log("collected", {"artifacts": 3})
    case.write_derived("findings.json", b"[]")
    return case


def _blob(case: Case) -> Path:
    entry = next(e for e in case.entries() if e.kind == "code")
    assert entry.path
    return case.root / entry.path


def _kinds(case: Case) -> list[tuple[str, str]]:
    return [(p.kind, p.path) for p in verify_case(case.root).problems]


def test_intact_case_verifies(case: Case) -> None:
    report = verify_case(case.root)
    assert report.ok, report.problems
    assert report.files == 3
    assert report.custody_entries == 2


def test_flipped_byte_in_a_blob_is_named(case: Case) -> None:
    blob = _blob(case)
    blob.chmod(0o644)
    data = bytearray(blob.read_bytes())
    data[5] ^= 0x01
    blob.write_bytes(bytes(data))
    rel = blob.relative_to(case.root).as_posix()
    assert _kinds(case) == [("altered", rel)]


def test_deleted_file_is_named(case: Case) -> None:
    blob = _blob(case)
    blob.unlink()
    assert _kinds(case) == [("missing", blob.relative_to(case.root).as_posix())]


def test_added_file_is_named(case: Case) -> None:
    (case.root / "raw" / "planted.json").write_text("{}")
    assert _kinds(case) == [("unlisted", "raw/planted.json")]


def test_symlink_in_place_of_an_artifact_is_not_followed(case: Case, tmp_path: Path) -> None:
    blob = _blob(case)
    outside = tmp_path / "outside"
    outside.write_bytes(blob.read_bytes())
    blob.unlink()
    blob.symlink_to(outside)
    assert ("missing", blob.relative_to(case.root).as_posix()) in _kinds(case)


def test_edited_manifest_line_is_detected(case: Case) -> None:
    manifest = case.root / "manifest.jsonl"
    lines = manifest.read_bytes().splitlines(keepends=True)
    record = orjson.loads(lines[0])
    record["api"] = "lambda:SomethingElse"
    lines[0] = orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n"
    manifest.write_bytes(b"".join(lines))
    problems = verify_case(case.root).problems
    assert [(p.kind, p.path) for p in problems] == [("manifest", "manifest.jsonl")]
    assert "changed since custody.jsonl line 2" in problems[0].detail


def test_manifest_rewritten_to_hide_a_change_is_detected(case: Case) -> None:
    """Altering a blob and its manifest hash together still breaks the custody checkpoint."""
    blob = _blob(case)
    blob.chmod(0o644)
    blob.write_bytes(b"replaced")
    manifest = case.root / "manifest.jsonl"
    text = manifest.read_bytes()
    old = next(e for e in case.entries() if e.kind == "code").sha256
    assert old
    import hashlib

    manifest.write_bytes(
        text.replace(old.encode(), hashlib.sha256(b"replaced").hexdigest().encode())
    )
    kinds = {p.kind for p in verify_case(case.root).problems}
    assert "manifest" in kinds


def test_truncated_manifest_is_detected(case: Case) -> None:
    manifest = case.root / "manifest.jsonl"
    lines = manifest.read_bytes().splitlines(keepends=True)
    manifest.write_bytes(b"".join(lines[:-1]))
    problems = verify_case(case.root).problems
    assert any(p.kind == "manifest" and "truncated" in p.detail for p in problems)
    assert any(p.kind == "unlisted" for p in problems)


def test_broken_custody_chain_is_detected(case: Case) -> None:
    custody = case.root / "custody.jsonl"
    lines = custody.read_bytes().splitlines(keepends=True)
    first = orjson.loads(lines[0])
    first["caller"] = "someone-else"
    lines[0] = orjson.dumps(first, option=orjson.OPT_SORT_KEYS) + b"\n"
    custody.write_bytes(b"".join(lines))
    problems = verify_case(case.root).problems
    assert [(p.kind, p.path) for p in problems] == [("custody", "custody.jsonl line 2")]
    assert "chain broken" in problems[0].detail


def test_removed_custody_entry_is_detected(case: Case) -> None:
    case.log("analyzed")
    custody = case.root / "custody.jsonl"
    lines = custody.read_bytes().splitlines(keepends=True)
    custody.write_bytes(lines[0] + lines[2])
    problems = verify_case(case.root).problems
    assert {p.kind for p in problems} == {"custody"}
    assert any("chain broken" in p.detail for p in problems)


def test_edited_case_json_is_detected(case: Case) -> None:
    case_json = case.root / "case.json"
    case_json.chmod(0o644)
    case_json.write_bytes(case_json.read_bytes().replace(b"us-east-1", b"eu-west-1"))
    assert _kinds(case) == [("altered", "case.json")]


def test_derived_outputs_are_not_evidence(case: Case) -> None:
    case.write_derived("report.html", b"<html>")
    assert verify_case(case.root).ok


def test_a_file_in_tmp_with_no_writer_is_reported(case: Case) -> None:
    (case.root / ".tmp").mkdir(exist_ok=True)
    (case.root / ".tmp" / "planted.py").write_bytes(b"import os")
    report = verify_case(case.root)
    assert [(p.kind, p.path) for p in report.problems] == [("unlisted", ".tmp/planted.py")]


def test_tmp_belongs_to_the_running_writer(case: Case) -> None:
    with case_lock(case.root, "lambda-ir collect --case c"):
        stage(case.root, [b"half"])  # named with the writer's pid, as it stages
        report = verify_case(case.root)
        assert report.ok, report.problems
        assert "1 file(s) in .tmp/ being written by `lambda-ir collect --case c`" in report.notes[0]
        (case.root / ".tmp" / "planted.py").write_bytes(b"import os")  # not the writer's
        planted = verify_case(case.root)
    assert [(p.kind, p.path) for p in planted.problems] == [("unlisted", ".tmp/planted.py")]
    assert "not made by the running writer" in planted.problems[0].detail


def test_verify_reads_only(case: Case) -> None:
    before = {p: p.stat().st_mtime_ns for p in case.root.rglob("*") if p.is_file()}
    verify_case(case.root)
    after = {p: p.stat().st_mtime_ns for p in case.root.rglob("*") if p.is_file()}
    assert before == after
    assert os.access(case.root, os.R_OK)


@pytest.mark.parametrize("shape", ["file", "symlink"])
def test_tmp_that_is_not_a_folder_is_reported_not_a_crash(
    case: Case, tmp_path: Path, shape: str
) -> None:
    tmp = case.root / ".tmp"
    if tmp.exists():
        tmp.rmdir()
    if shape == "file":
        tmp.write_bytes(b"planted")
    else:
        (tmp_path / "elsewhere").mkdir()
        tmp.symlink_to(tmp_path / "elsewhere")
    assert _kinds(case) == [("unlisted", ".tmp")]


def test_a_file_the_running_writer_placed_but_has_not_listed_is_a_note(case: Case) -> None:
    # A writer renames a file into place, then lists it in the manifest: verify reading in
    # between (a busy machine widens it) saw "on disk, not in the manifest" during a collect.
    old = case.root / "raw" / "outsider.json"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"{}")
    os.utime(old, (1_600_000_000, 1_600_000_000))  # older than any writer: not its own
    with case_lock(case.root, "lambda-ir collect --case c"):
        (case.root / "raw" / "placed.json").write_bytes(b"{}")  # renamed in, not yet listed
        report = verify_case(case.root)
    assert [(p.kind, p.path) for p in report.problems] == [("unlisted", "raw/outsider.json")]
    assert any("1 file(s) placed by `lambda-ir collect --case c`" in n for n in report.notes)
    after = verify_case(case.root)  # the writer is gone: an unlisted file is a problem again
    assert {p.path for p in after.problems} == {"raw/outsider.json", "raw/placed.json"}


def _with_trail(case: Case) -> None:
    """One CloudTrail event (`casebuild.trail_event`) as an imported trail artifact."""
    record = trail_event("UpdateFunctionCode20150331v2", {"functionName": "orders"})
    case.put_bytes(
        gzip.compress(orjson.dumps(record) + b"\n", mtime=0),
        "trail/import/x/t.jsonl.gz",
        kind="trail",
        api="local:import",
    )


def test_an_index_edited_after_it_was_built_is_altered(case: Case) -> None:
    """Every analysis reads case.duckdb, not the artifacts: the intruder's call deleted from
    `trail_events` gave no finding while `verify` said the case was intact."""
    _with_trail(case)
    build_index(case)
    assert verify_case(case.root).ok
    index = case.root / "case.duckdb"
    with duckdb.connect(str(index)) as con:
        assert con.execute(
            "DELETE FROM trail_events WHERE operation = 'UpdateFunctionCode'"
        ).fetchall() == [(1,)]
    problems = verify_case(case.root).problems
    assert [(p.kind, p.path) for p in problems] == [("altered", "case.duckdb")]
    assert "rebuild it from the evidence with `lambda-ir index`" in problems[0].detail
    build_index(case)  # rebuilt from the intact evidence
    assert verify_case(case.root).ok


def test_any_build_of_the_index_verifies(case: Case) -> None:
    """Two commands that found the index stale may build it at once: the last rename wins,
    whichever logged last; each build's file is whole and lambda-ir's."""
    _with_trail(case)
    first = build_index(case).read_bytes()
    build_index(case)
    index = case.root / "case.duckdb"
    index.write_bytes(first)  # the earlier build's file, renamed in after the later one
    assert verify_case(case.root).ok
    index.write_bytes(first[:-1] + bytes([first[-1] ^ 1]))
    assert [p.kind for p in verify_case(case.root).problems] == ["altered"]


def test_an_index_edit_left_in_its_wal_is_altered_and_never_read(case: Case) -> None:
    """DuckDB replays case.duckdb.wal on every open, a read-only one too: an edit kept there
    (no checkpoint) changed what analysis read while case.duckdb kept its recorded digest."""
    _with_trail(case)
    build_index(case)
    index = case.root / "case.duckdb"
    con = duckdb.connect(str(index))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    assert con.execute("DELETE FROM trail_events").fetchall() == [(1,)]
    con.close()
    assert (case.root / "case.duckdb.wal").exists()
    problems = verify_case(case.root).problems
    assert [(p.kind, p.path) for p in problems] == [("altered", "case.duckdb.wal")]
    with open_index(case) as con:  # rebuilt from the evidence, the WAL gone
        assert con.execute("SELECT count(*) FROM trail_events").fetchall() == [(1,)]
    assert not (case.root / "case.duckdb.wal").exists()
    assert verify_case(case.root).ok
