"""`collect --with-images`: container images' config and layers into blobs/, by digest, once.

Images are pushed into the emulator's ECR with real layer bytes (`emulator.ecr_push`), the
functions created from them, and the collector run against the emulator over HTTP.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import boto3
from click.testing import CliRunner

from lambda_ir.acquire import CollectOptions, CollectSummary, Scope, collect
from lambda_ir.acquire.images import blobs_of, platform_digests
from lambda_ir.cli.main import cli
from lambda_ir.emulator.ecr_push import PushedImage, layer_tar, push_image, push_index
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case, ManifestEntry, verify_case
from tests.acquire import seed
from tests.acquire.conftest import Place


def _repository(session: boto3.Session, place: Place, name: str) -> tuple[Any, str]:
    ecr = seed.client(session, place.endpoint, "ecr", place.region)
    return ecr, str(ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"])


def _function(session: boto3.Session, place: Place, name: str, uri: str) -> None:
    seed.client(session, place.endpoint, "lambda", place.region).create_function(
        FunctionName=name,
        Role=seed.role(session, place.endpoint),
        PackageType="Image",
        Code={"ImageUri": uri},
    )


def _image_function(
    session: boto3.Session, place: Place, name: str, layers: list[bytes]
) -> PushedImage:
    ecr, uri = _repository(session, place, name)
    image = push_image(ecr, name, layers, tag="v1")
    _function(session, place, name, f"{uri}:v1")
    return image


def _collect(session: boto3.Session, place: Place, case: Case, **options: Any) -> CollectSummary:
    chosen = CollectOptions(workers=4, quotas=False, endpoint_url=place.endpoint, **options)
    return collect(case, session, Scope(regions=(place.region,)), chosen)


def _layers(case: Case) -> list[ManifestEntry]:
    return [e for e in case.entries() if e.kind == "image-layer"]


def _stored(case: Case) -> dict[str, ManifestEntry]:
    return {e.params["layerDigest"]: e for e in _layers(case) if e.error is None}


def _digest_of(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_blob_of_every_image_is_stored_once_by_digest(
    place: Place, session: boto3.Session, case: Case, emulator_session: Emulator
) -> None:
    shared = layer_tar({"opt/python/lib.py": b"SHARED = True\n"})
    api = _image_function(session, place, "api-image", [shared, layer_tar({"app.py": b"api"})])
    jobs = _image_function(session, place, "jobs-image", [shared, layer_tar({"app.py": b"jobs"})])

    summary = _collect(session, place, case, with_images=True)

    stored = _stored(case)
    wanted = {d for i in (api, jobs) for d in (i.config_digest, *i.layer_digests)}
    # Both images have the same config and one layer in common: 4 distinct blobs of 6 listed.
    assert set(stored) == wanted and len(wanted) == 4
    assert len(_layers(case)) == 4  # one entry per digest: no duplicate, no error
    for digest, entry in stored.items():
        assert entry.path == f"blobs/sha256/{digest[7:9]}/{digest[7:]}"
        assert entry.sha256 == digest[7:] and _digest_of(case.root / entry.path) == digest
        assert entry.api == "ecr:GetDownloadUrlForLayer" and entry.account == seed.ACCOUNT
        assert entry.meta["image_digest"] in (api.digest, jobs.digest)
    assert (case.root / stored[api.layer_digests[0]].path).read_bytes() == shared
    # A shared blob is listed under the first repository in sort order, whatever ran first.
    assert {stored[d].params["repositoryName"] for d in jobs.layer_digests} == {
        "api-image",
        "jobs-image",
    }
    assert stored[api.config_digest].params["repositoryName"] == "api-image"
    assert summary.by_kind["image-layer"] == 4
    assert not [e for e in summary.errors if e.api.startswith("ecr:")]
    manifest = (case.root / "manifest.jsonl").read_text()
    assert "X-Amz-Signature" not in manifest and "/_emulator/" not in manifest
    assert verify_case(case.root).ok
    asked = [r for r in emulator_session.records() if r["eventName"] == "GetDownloadUrlForLayer"]
    assert len([r for r in asked if r["awsRegion"] == place.region]) == 4  # once per digest

    again = _collect(session, place, case, with_images=True)
    assert "ecr:GetDownloadUrlForLayer" not in again.meter.apis  # resumed: nothing asked twice
    assert again.by_kind.get("image-layer", 0) == 0 and len(_layers(case)) == 4


def test_without_the_flag_no_layer_is_fetched(
    place: Place, session: boto3.Session, case: Case, emulator_session: Emulator
) -> None:
    _image_function(session, place, "plain-image", [layer_tar({"app.py": b"plain"})])

    summary = _collect(session, place, case)

    assert [e.kind for e in case.entries() if e.kind.startswith("image")] == ["image"]
    assert "ecr:GetDownloadUrlForLayer" not in summary.meter.apis
    assert summary.downloaded_bytes == 0 and not (case.root / "blobs").exists()
    asked = [r for r in emulator_session.records() if r["eventName"] == "GetDownloadUrlForLayer"]
    assert not [r for r in asked if r["awsRegion"] == place.region]


def test_a_layer_that_does_not_match_its_digest_is_an_error_never_stored(
    place: Place, session: boto3.Session, case: Case, emulator_session: Emulator
) -> None:
    good, bad = layer_tar({"app.py": b"good"}), layer_tar({"app.py": b"tampered in transit"})
    image = _image_function(session, place, "tampered-image", [good, bad])
    emulator_session.gateway.ecr.tamper(image.layer_digests[1])

    summary = _collect(session, place, case, with_images=True, download_retries=1)

    failed = [e for e in _layers(case) if e.error]
    assert [e.params["layerDigest"] for e in failed] == [image.layer_digests[1]]
    assert failed[0].error.startswith("integrity: ")  # type: ignore[union-attr]
    assert failed[0].path is None or not (case.root / failed[0].path).exists()
    assert set(_stored(case)) == {image.config_digest, image.layer_digests[0]}
    assert not list(case.root.rglob(f"*{image.layer_digests[1][7:]}*"))
    assert [e.error_class.value for e in summary.errors if e.api.startswith("ecr:")] == [
        "integrity"
    ]


def test_an_index_is_followed_to_each_platform_image(
    place: Place, session: boto3.Session, case: Case
) -> None:
    ecr, uri = _repository(session, place, "multi-image")
    amd = push_image(ecr, "multi-image", [layer_tar({"arch": b"amd64"})], tag=None)
    arm = push_image(ecr, "multi-image", [layer_tar({"arch": b"arm64"})], tag=None)
    index = push_index(ecr, "multi-image", {"amd64": amd, "arm64": arm}, tag="v1")
    _function(session, place, "multi-image", f"{uri}:v1")

    _collect(session, place, case, with_images=True)

    manifests = [e for e in case.entries() if e.kind == "image" and e.error is None]
    asked = sorted(e.params["imageIds"][0]["imageDigest"] for e in manifests)
    assert asked == sorted([index.digest, amd.digest, arm.digest])
    wanted = {amd.config_digest, *amd.layer_digests, arm.config_digest, *arm.layer_digests}
    assert set(_stored(case)) == wanted


def test_missing_and_oversized_blobs_are_recorded_and_the_run_goes_on(
    place: Place, session: boto3.Session, case: Case
) -> None:
    ecr, uri = _repository(session, place, "gappy-image")
    image = push_image(ecr, "gappy-image", [layer_tar({"big": os.urandom(300_000)})], tag="v1")
    manifest = json.loads(image.manifest)
    never_pushed = "sha256:" + "e" * 64
    manifest["layers"].append({"mediaType": "x", "digest": never_pushed, "size": 10})
    ecr.put_image(repositoryName="gappy-image", imageManifest=json.dumps(manifest), imageTag="v2")
    _function(session, place, "gappy-image", f"{uri}:v2")

    summary = _collect(session, place, case, with_images=True, max_package_mb=0.1)

    errors = {e.params["layerDigest"]: str(e.error) for e in _layers(case) if e.error}
    assert errors[never_pushed].startswith("not-found: LayersNotFoundException")
    assert errors[image.layer_digests[0]].startswith("skipped: MaxPackageSize")
    assert set(_stored(case)) == {image.config_digest}
    assert summary.functions == 1


def test_cli_collect_with_images(
    place: Place, session: boto3.Session, tmp_path: Path, monkeypatch: Any
) -> None:
    image = _image_function(session, place, "cli-image", [layer_tar({"app.py": b"cli"})])
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", place.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    case_dir = tmp_path / "cli-case"

    # --no-pacing: paced, the default window's LookupEvents calls wait at 2/s
    command = ["--json", "collect", "--case", str(case_dir), "--region", place.region]
    done = CliRunner().invoke(cli, [*command, "--with-images", "--no-pacing"])

    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["by_kind"]["image-layer"] == 2
    assert set(_stored(Case.open(case_dir))) == {image.config_digest, image.layer_digests[0]}
    assert "--with-images" in CliRunner().invoke(cli, ["investigate", "--help"]).output


def test_the_shipped_policy_suffices_and_a_denied_layer_is_recorded(
    enforcing: Emulator, place: Place, session: boto3.Session, tmp_path: Path
) -> None:
    image = _image_function(session, place, "policed-image", [layer_tar({"app.py": b"iam"})])
    blobs = {image.config_digest, image.layer_digests[0]}

    allowed = Case.create(tmp_path / "allowed")
    _collect(seed.collector(session, place.endpoint), place, allowed, with_images=True)
    assert set(_stored(allowed)) == blobs

    denied = Case.create(tmp_path / "denied")
    collector = seed.collector(session, place.endpoint, "ecr:GetDownloadUrlForLayer")
    summary = _collect(collector, place, denied, with_images=True)
    errors = {e.params["layerDigest"]: str(e.error) for e in _layers(denied)}
    assert set(errors) == blobs
    assert all(error.startswith("denied: AccessDeniedException") for error in errors.values())
    assert [e.kind for e in denied.entries() if e.kind == "image" and e.error is None] == ["image"]
    assert summary.functions == 1


def test_blobs_of_reads_oci_schema1_and_hostile_manifests() -> None:
    oci = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:c"},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:l"},
            {"digest": "sha256:l", "size": 3},  # listed twice: fetched once
            "not a descriptor",
            {"size": True, "digest": "sha256:m"},
        ],
    }
    assert [(b.digest, b.size) for b in blobs_of(oci)] == [
        ("sha256:c", None),
        ("sha256:l", 3),
        ("sha256:m", None),
    ]
    schema1 = {"schemaVersion": 1, "fsLayers": [{"blobSum": "sha256:a"}, {"blobSum": "sha256:a"}]}
    assert [b.digest for b in blobs_of(schema1)] == ["sha256:a"]
    assert blobs_of({"layers": "nope", "config": 7}) == []
    index = {"manifests": [{"digest": "sha256:x"}, {"platform": {}}, None]}
    assert platform_digests(index) == ["sha256:x"] and platform_digests(oci) == []
