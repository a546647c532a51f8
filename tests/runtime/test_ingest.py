"""Snapshots go to the emulator's S3 and come back into a case through `collect`, verified."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambda_ir.cli.main import cli
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from tests.conftest import RegionPool
from tests.runtime.conftest import Bucket
from tests.runtime.helpers import cold_start_snapshot, listening_child, malicious_tmp, sha256


def upload_snapshot(bucket: Bucket, region: str, tmp: Path, opt: Path) -> None:
    """Run the collector as the wrapper would, in a subprocess, uploading to the bucket."""
    env = {**os.environ, **bucket.env(), "AWS_REGION": region}
    env.update(LAMBDA_IR_TMP=str(tmp), LAMBDA_IR_OPT=str(opt))
    done = cold_start_snapshot(env)
    assert "uploaded" in done.stderr, done.stderr


def collect(bucket: Bucket, region: str, case: Path, *more: str) -> None:
    env = {
        "AWS_ENDPOINT_URL": bucket.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
    }
    arguments = ["--quiet", "collect", "--case", str(case), "--region", region, "--no-pacing"]
    result = CliRunner(env=env).invoke(cli, [*arguments, "--runtime-bucket", bucket.url, *more])
    assert result.exit_code == 0, result.output


@pytest.fixture
def region(emulator_session: Emulator, region_pool: RegionPool) -> str:
    return region_pool.take(emulator_session)


@pytest.fixture(autouse=True)
def _region_before_bucket(region: str) -> None:
    """Take the region first: a take may reset moto, which would empty a bucket made before it."""


def test_round_trip_into_the_case_with_verified_hashes(
    tmp_path: Path, bucket: Bucket, region: str
) -> None:
    tmp, opt = tmp_path / "tmp", tmp_path / "opt"
    files = malicious_tmp(tmp)
    opt.mkdir()
    with listening_child("lir-ingest-child"):
        upload_snapshot(bucket, region, tmp, opt)
    collect(bucket, region, tmp_path / "case")

    case = Case.open(tmp_path / "case")
    (entry,) = [e for e in case.entries() if e.kind == "runtime"]
    assert entry.error is None and entry.api == "s3:GetObject"
    assert entry.path.startswith("runtime/") and f"/{region}/orders/" in entry.path
    s3 = bucket.client()
    body = s3.get_object(**entry.params)["Body"].read()  # type: ignore[attr-defined]
    assert entry.meta["object_sha256"] == hashlib.sha256(body).hexdigest()
    stored = case.read_json(entry.path)
    assert stored == json.loads(gzip.decompress(body))
    assert entry.sha256 == sha256(case.path(entry.path).read_bytes())
    by_path = {e["path"]: e for e in stored["tmp"]["entries"]}
    assert by_path["/tmp/python"]["sha256"] == sha256(files["python"])
    assert entry.meta["function"] == "orders" and entry.meta["trigger"] == "cold-start"

    collect(bucket, region, tmp_path / "case")  # again: resumed, not stored twice
    assert len([e for e in Case.open(tmp_path / "case").entries() if e.kind == "runtime"]) == 1

    # The malicious-looking /tmp is found end to end: collected, indexed, analyzed.
    analyzed = CliRunner().invoke(cli, ["--json", "analyze", "--case", str(tmp_path / "case")])
    assert analyzed.exit_code == 0, analyzed.output
    found = {f["detector"]: f for f in json.loads(analyzed.stdout)["findings"]}
    assert found["LIR-RT-001"]["evidence"] == [{"path": entry.path, "sha256": entry.sha256}]
    assert found["LIR-RT-002"]["severity"] == "critical"


def test_a_snapshot_that_does_not_match_its_manifest_is_kept_and_counted(
    tmp_path: Path, bucket: Bucket, region: str
) -> None:
    tmp = tmp_path / "tmp"
    malicious_tmp(tmp)
    upload_snapshot(bucket, region, tmp, tmp)
    s3 = bucket.client()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket.name)["Contents"]]  # type: ignore[attr-defined]
    snapshot_key = next(k for k in keys if k.endswith("snapshot.json.gz"))
    tampered = gzip.compress(b'{"format": "forged", "tmp": {"entries": []}}')
    s3.put_object(Bucket=bucket.name, Key=snapshot_key, Body=tampered)  # type: ignore[attr-defined]

    collect(bucket, region, tmp_path / "case")
    case = Case.open(tmp_path / "case")
    (failed,) = [e for e in case.entries() if e.kind == "runtime"]
    assert failed.path is None and failed.params == {"Bucket": bucket.name, "Key": snapshot_key}
    assert (failed.error or "").startswith("integrity: ManifestMismatch: snapshot does not match")
    # evidence first: the bytes as received are kept, hashed, marked as not verified
    (kept,) = [e for e in case.entries() if e.kind == "other"]
    assert case.path(kept.path or "").read_bytes() == tampered
    assert kept.sha256 == sha256(tampered) and kept.params == failed.params
    assert kept.meta["verified"] is False and kept.meta["function"] == "orders"
    assert "does not match its manifest" in kept.meta["refused"]
    assert failed.meta["received"] == kept.path
    custody = [json.loads(line) for line in (tmp_path / "case" / "custody.jsonl").open()]
    collected = [c for c in custody if c["action"] == "collected"][-1]["details"]
    assert collected["errors"] == {"integrity": 1} and collected["by_kind"]["other"] == 1

    # analyze says so, citing the refused call and the kept bytes; no snapshot is analysed
    analyzed = CliRunner().invoke(cli, ["--json", "analyze", "--case", str(tmp_path / "case")])
    assert analyzed.exit_code == 0, analyzed.output
    findings = json.loads(analyzed.stdout)["findings"]
    (gap,) = [f for f in findings if f["detector"] == "LIR-GAP-001" and "integrity" in f["title"]]
    assert gap["severity"] == "medium" and gap["resource"].endswith(":function:orders")
    assert {"path": kept.path, "sha256": kept.sha256} in gap["evidence"]
    assert "find who wrote that key" in gap["summary"]
    assert not [f for f in findings if f["detector"].startswith("LIR-RT-")]

    collect(bucket, region, tmp_path / "case")  # again: refused again, the bytes kept once
    assert len([e for e in Case.open(tmp_path / "case").entries() if e.kind == "other"]) == 1


def test_a_snapshot_that_is_no_json_object_is_kept_not_stored(
    tmp_path: Path, bucket: Bucket, region: str
) -> None:
    s3 = bucket.client()
    folder = f"snapshots/{region}/orders/20260101T000000000Z-array/"
    body = gzip.compress(b"[1, 2, 3]")
    listed = {"key": folder + "snapshot.json.gz", "sha256": sha256(body), "size": len(body)}
    s3.put_object(Bucket=bucket.name, Key=folder + "snapshot.json.gz", Body=body)  # type: ignore[attr-defined]
    s3.put_object(  # type: ignore[attr-defined]
        Bucket=bucket.name, Key=folder + "manifest.json", Body=json.dumps({"files": [listed]})
    )

    collect(bucket, region, tmp_path / "case")
    entries = list(Case.open(tmp_path / "case").entries())
    (failed,) = [e for e in entries if e.kind == "runtime"]
    assert (failed.error or "").startswith("integrity: NotASnapshot: snapshot is not gzip JSON")
    (kept,) = [e for e in entries if e.kind == "other"]
    assert kept.sha256 == sha256(body) and kept.meta["manifest_sha256"] == sha256(body)


def test_a_manifest_naming_another_object_is_refused(
    tmp_path: Path, bucket: Bucket, region: str
) -> None:
    s3 = bucket.client()
    secret = b"responder notes, not a snapshot"
    s3.put_object(Bucket=bucket.name, Key="notes/private.txt", Body=secret)  # type: ignore[attr-defined]
    forged = {
        "files": [{"key": "notes/private.txt", "sha256": sha256(secret), "size": len(secret)}]
    }
    folder = f"snapshots/{region}/orders/20260101T000000000Z-forged/"
    s3.put_object(Bucket=bucket.name, Key=folder + "manifest.json", Body=json.dumps(forged))  # type: ignore[attr-defined]

    collect(bucket, region, tmp_path / "case")
    entries = list(Case.open(tmp_path / "case").entries())
    (entry,) = [e for e in entries if e.kind == "runtime"]
    assert entry.path is None and "not its own snapshot" in (entry.error or "")
    assert (entry.error or "").startswith("integrity: ForeignKey:")
    assert entry.params == {"Bucket": bucket.name, "Key": folder + "manifest.json"}
    (kept,) = [e for e in entries if e.kind == "other"]  # the forged manifest, not the notes
    assert kept.sha256 == sha256(json.dumps(forged).encode()) and kept.params == entry.params
