"""ECR layers over HTTP: pushed bytes come back from GetDownloadUrlForLayer, errors as ECR's."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from typing import Any

import botocore.exceptions
import pytest

from lambda_ir.emulator.client import client_config
from lambda_ir.emulator.ecr_push import layer_tar, push_blob, push_image, push_index
from lambda_ir.emulator.server import Emulator


def _download(url: str) -> bytes:
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url) as response:
        return bytes(response.read())


def _error(ecr: Any, **params: str) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        ecr.get_download_url_for_layer(**params)
    return str(caught.value.response["Error"]["Code"])


@pytest.fixture
def ecr(admin: Any, name: str) -> Any:
    client = admin.client("ecr", config=client_config())
    client.create_repository(repositoryName=name)
    return client


def test_every_blob_of_an_image_downloads_to_its_digest(ecr: Any, name: str) -> None:
    layers = [layer_tar({"var/task/app.py": b"print('hi')\n"}), layer_tar({"etc/x": b"x"})]
    image = push_image(ecr, name, layers, tag="v1")

    stored = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}])["images"]
    assert stored[0]["imageId"]["imageDigest"] == image.digest
    assert image.digest == "sha256:" + hashlib.sha256(image.manifest.encode()).hexdigest()
    for digest in (image.config_digest, *image.layer_digests):
        answer = ecr.get_download_url_for_layer(repositoryName=name, layerDigest=digest)
        assert set(answer) - {"ResponseMetadata"} == {"downloadUrl", "layerDigest"}
        assert answer["layerDigest"] == digest
        assert "X-Amz-Signature=" in answer["downloadUrl"]
        assert "sha256:" + hashlib.sha256(_download(answer["downloadUrl"])).hexdigest() == digest
    assert (
        _download(
            ecr.get_download_url_for_layer(repositoryName=name, layerDigest=image.layer_digests[0])[
                "downloadUrl"
            ]
        )
        == layers[0]
    )


def test_platform_images_under_an_index_serve_their_layers(ecr: Any, name: str) -> None:
    amd = push_image(ecr, name, [layer_tar({"a": b"amd64"})], tag=None)
    arm = push_image(ecr, name, [layer_tar({"a": b"arm64"})], tag=None)
    index = push_index(ecr, name, {"amd64": amd, "arm64": arm}, tag="multi")

    got = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "multi"}])["images"]
    listed = [m["digest"] for m in json.loads(got[0]["imageManifest"])["manifests"]]
    assert got[0]["imageId"]["imageDigest"] == index.digest and listed == [amd.digest, arm.digest]
    by_digest = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageDigest": arm.digest}])
    assert by_digest["images"][0]["imageManifest"] == arm.manifest
    url = ecr.get_download_url_for_layer(repositoryName=name, layerDigest=arm.layer_digests[0])
    assert _download(url["downloadUrl"]) == layer_tar({"a": b"arm64"})


def test_unknown_unreferenced_and_malformed_digests_fail_as_ecr_does(ecr: Any, name: str) -> None:
    push_image(ecr, name, [layer_tar({"a": b"1"})])
    orphan = push_blob(ecr, name, b"uploaded, never in a manifest")

    assert _error(ecr, repositoryName=name, layerDigest=orphan) == "LayerInaccessibleException"
    unknown = "sha256:" + "0" * 64
    assert _error(ecr, repositoryName=name, layerDigest=unknown) == "LayersNotFoundException"
    assert _error(ecr, repositoryName=name, layerDigest="nonsense") == "InvalidParameterException"
    missing = f"{name}-missing"
    assert _error(ecr, repositoryName=missing, layerDigest=orphan) == "RepositoryNotFoundException"


def test_a_layer_from_another_repository_is_not_found_here(admin: Any, ecr: Any, name: str) -> None:
    other = f"{name}-other"
    ecr.create_repository(repositoryName=other)
    image = push_image(ecr, other, [layer_tar({"only": b"there"})])
    digest = image.layer_digests[0]
    assert _error(ecr, repositoryName=name, layerDigest=digest) == "LayersNotFoundException"


def test_pushes_are_checked_like_ecr(ecr: Any, name: str) -> None:
    upload = ecr.initiate_layer_upload(repositoryName=name)["uploadId"]
    ecr.upload_layer_part(
        repositoryName=name, uploadId=upload, partFirstByte=0, partLastByte=2, layerPartBlob=b"abc"
    )
    with pytest.raises(botocore.exceptions.ClientError) as layer:
        ecr.complete_layer_upload(
            repositoryName=name, uploadId=upload, layerDigests=["sha256:" + "1" * 64]
        )
    assert layer.value.response["Error"]["Code"] == "InvalidLayerException"
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "x", "config": {}, "layers": []})
    with pytest.raises(botocore.exceptions.ClientError) as image:
        ecr.put_image(repositoryName=name, imageManifest=manifest, imageDigest="sha256:" + "2" * 64)
    assert image.value.response["Error"]["Code"] == "ImageDigestDoesNotMatchException"


def test_a_tampered_layer_is_served_altered(aws: Emulator, ecr: Any, name: str) -> None:
    image = push_image(ecr, name, [layer_tar({"a": b"payload"})])
    digest = image.layer_digests[0]
    aws.gateway.ecr.tamper(digest)
    url = ecr.get_download_url_for_layer(repositoryName=name, layerDigest=digest)["downloadUrl"]
    served = _download(url)
    assert len(served) == len(layer_tar({"a": b"payload"}))
    assert "sha256:" + hashlib.sha256(served).hexdigest() != digest
