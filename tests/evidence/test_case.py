"""The case folder: creation, refusal, write-once storage, manifest and custody."""

from __future__ import annotations

import base64
import hashlib
import stat
import threading
from pathlib import Path

import orjson
import pytest

from lambda_ir.evidence import Case, CaseError, IntegrityError, OversizeError, verify_case
from lambda_ir.evidence.layout import blob_path, path_segment, safe_relpath


def test_create_writes_case_json_manifest_and_custody(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "c", {"regions": ["us-east-1"]}, caller="arn:aws:iam::1:user/ir")
    info = orjson.loads((case.root / "case.json").read_bytes())
    assert info["scope"] == {"regions": ["us-east-1"]}
    assert info["caller"] == "arn:aws:iam::1:user/ir"
    assert stat.S_IMODE((case.root / "case.json").stat().st_mode) == 0o444
    custody = [
        orjson.loads(line) for line in (case.root / "custody.jsonl").read_bytes().splitlines()
    ]
    assert [entry["action"] for entry in custody] == ["created"]
    assert custody[0]["prev"] == "0" * 64
    assert custody[0]["caller"] == "arn:aws:iam::1:user/ir"
    assert custody[0]["tool_version"]
    assert custody[0]["host"]


def test_create_refuses_a_non_empty_folder_that_is_not_a_case(tmp_path: Path) -> None:
    (tmp_path / "holiday.jpg").write_bytes(b"x")
    with pytest.raises(CaseError, match="not an empty folder"):
        Case.create(tmp_path)


def test_create_refuses_an_existing_case(tmp_path: Path) -> None:
    Case.create(tmp_path / "c")
    with pytest.raises(CaseError, match="already a case"):
        Case.create(tmp_path / "c")


def test_open_refuses_a_folder_that_is_not_a_case(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="not a lambda-ir case"):
        Case.open(tmp_path)
    with pytest.raises(CaseError, match="does not exist"):
        Case.open(tmp_path / "nope")


def test_put_json_records_source_and_is_read_only(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "c")
    entry = case.put_json(
        "raw/1/us-east-1/lambda/account-settings.json",
        {"AccountLimit": {"CodeSizeZipped": 52428800}},
        kind="account",
        api="lambda:GetAccountSettings",
        params={},
        account="1",
        region="us-east-1",
    )
    path = case.root / entry.path  # type: ignore[operator]
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256
    line = orjson.loads((case.root / "manifest.jsonl").read_bytes().splitlines()[-1])
    assert line["api"] == "lambda:GetAccountSettings"
    assert line["account"] == "1" and line["region"] == "us-east-1"
    assert line["acquired_at"].endswith("Z")
    assert case.was_collected("lambda:GetAccountSettings", {}, "1", "us-east-1")
    assert not case.was_collected("lambda:GetAccountSettings", {}, "1", "eu-west-1")


def test_write_once_refuses_other_content_at_the_same_path(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "c")
    case.put_bytes(b"one", "raw/x.json", kind="other")
    assert (
        case.put_bytes(b"one", "raw/x.json", kind="other").sha256
        == hashlib.sha256(b"one").hexdigest()
    )
    with pytest.raises(CaseError, match="write-once"):
        case.put_bytes(b"two", "raw/x.json", kind="other")


def test_blobs_are_content_addressed_and_stored_once(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "c")
    first = case.put_bytes(b"PK zip bytes", kind="code", api="lambda:GetFunction")
    second = case.put_bytes(b"PK zip bytes", kind="code", api="lambda:GetFunction")
    assert first == second
    assert first.path == blob_path(hashlib.sha256(b"PK zip bytes").hexdigest())
    assert len((case.root / "manifest.jsonl").read_bytes().splitlines()) == 1


def test_expected_hash_mismatch_is_never_stored(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "c")
    wrong = hashlib.sha256(b"the real package").hexdigest()
    with pytest.raises(IntegrityError):
        case.put_bytes(b"a tampered package", kind="code", expected_sha256=wrong)
    assert list(case.entries()) == []
    assert not (case.root / "blobs").exists()
    assert list((case.root / ".tmp").iterdir()) == []


def test_streams_are_capped(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "c")
    with pytest.raises(OversizeError):
        case.put_stream(iter([b"a" * 600, b"b" * 600]), kind="code", max_bytes=1000)
    assert list(case.entries()) == []


def test_record_error_keeps_the_failed_call(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "c")
    case.record_error(
        kind="policy",
        api="lambda:GetPolicy",
        params={"FunctionName": "f"},
        account="1",
        region="us-east-1",
        error="AccessDeniedException: not authorized",
    )
    (entry,) = case.entries()
    assert entry.error == "AccessDeniedException: not authorized"
    assert entry.path is None
    assert not case.was_collected("lambda:GetPolicy", {"FunctionName": "f"}, "1", "us-east-1")


@pytest.mark.parametrize(
    "bad", ["../escape", "/etc/passwd", "a/../../b", "a\\b", "x\x00y", "", "manifest.jsonl"]
)
def test_unsafe_paths_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        safe_relpath(bad)


def test_path_segment_neutralises_attacker_names() -> None:
    assert path_segment("../../etc") == "..%2F..%2Fetc"
    assert path_segment("..") == "%2E%2E"
    assert "/" not in path_segment("/aws/lambda/fn")


def test_reopen_continues_the_chain_and_resume_index(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "c")
    case.put_json("raw/a.json", {"a": 1}, kind="other", api="x:A", params={"n": 1})
    case.log("collected", {"artifacts": 1})
    again = Case.open(tmp_path / "c")
    assert again.was_collected("x:A", {"n": 1}, None, None)
    again.put_json("raw/b.json", {"b": 2}, kind="other", api="x:B")
    again.log("collected", {"artifacts": 1})
    assert verify_case(again.root).ok


def test_listed_is_the_manifests_stored_artifacts_of_a_kind_in_order(tmp_path: Path) -> None:
    """`listed` answers from memory what re-reading the manifest would, other handles too."""
    case = Case.create(tmp_path / "c")
    case.put_json("raw/a1.json", {"a": 1}, kind="alias", api="lambda:ListAliases", account="1")
    case.put_json("raw/p.json", {"p": 1}, kind="policy", api="lambda:GetPolicy")
    case.record_error(kind="alias", api="lambda:ListAliases", error="denied: AccessDenied")
    other = Case.open(tmp_path / "c")  # another handle (a library caller) appends meanwhile
    other.put_json("raw/a2.json", {"a": 2}, kind="alias", api="lambda:ListAliases", account="2")
    case.put_json("raw/a3.json", {"a": 3}, kind="alias", api="lambda:ListAliases", account="1")
    listed = case.listed("alias")
    assert [e.path for e in listed] == ["raw/a1.json", "raw/a2.json", "raw/a3.json"]
    read = [e for e in case.entries() if e.kind == "alias" and e.path]
    assert listed == read
    assert [e.path for e in case.listed("policy")] == ["raw/p.json"]
    assert case.listed("code") == []


def test_concurrent_writers_keep_a_consistent_manifest(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "c")

    def work(worker: int) -> None:
        for n in range(50):
            case.put_json(f"raw/{worker}/{n}.json", {"w": worker, "n": n}, kind="other")
            case.put_bytes(f"shared-{n}".encode(), kind="code")

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    case.log("collected")
    assert len(list(case.entries())) == 8 * 50 + 50
    report = verify_case(case.root)
    assert report.ok, report.problems


def test_code_sha256_in_aws_form_maps_to_the_blob(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "c")
    data = b"zip"
    aws_form = base64.b64encode(hashlib.sha256(data).digest()).decode()
    entry = case.put_bytes(data, kind="code", expected_sha256=base64.b64decode(aws_form).hex())
    assert entry.path == blob_path(base64.b64decode(aws_form).hex())
