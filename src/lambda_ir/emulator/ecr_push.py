"""Pushing a container image with real layer bytes through the ECR API (as `docker push` does).

Scenarios and tests build images here: each blob (the config and every layer) goes up with
InitiateLayerUpload → UploadLayerPart → CompleteLayerUpload, then PutImage stores a Docker v2
schema 2 manifest that lists them, so every digest is the SHA-256 of bytes ECR really holds.
`push_index` adds a manifest list over images already pushed. It works the same against the
emulator and against a real registry; nothing here runs or unpacks an image.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


@dataclass(frozen=True)
class PushedImage:
    """An image in ECR: its manifest digest, the manifest as stored, and its blob digests."""

    digest: str
    manifest: str
    config_digest: str
    layer_digests: tuple[str, ...]


def layer_tar(files: Mapping[str, bytes]) -> bytes:
    """A gzip'd tar of `files` (path → content), byte-for-byte the same on every call."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, content in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(content), 0, 0o644
            archive.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0)


def push_blob(ecr: Any, repository: str, data: bytes) -> str:
    """Upload one blob with the layer API; returns its digest `sha256:<hex>`."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    upload = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
    ecr.upload_layer_part(
        repositoryName=repository,
        uploadId=upload,
        partFirstByte=0,
        partLastByte=max(0, len(data) - 1),
        layerPartBlob=data,
    )
    ecr.complete_layer_upload(repositoryName=repository, uploadId=upload, layerDigests=[digest])
    return digest


def push_image(
    ecr: Any,
    repository: str,
    layers: Sequence[bytes],
    *,
    config: Mapping[str, Any] | None = None,
    tag: str | None = "latest",
) -> PushedImage:
    """Upload `config` (an image config document) and `layers`, then PutImage their manifest.

    With `tag=None` the image is stored by digest only (a platform image under an index).
    """
    config_bytes = json.dumps(config or _config(len(layers)), sort_keys=True).encode()
    config_digest = push_blob(ecr, repository, config_bytes)
    layer_digests = tuple(push_blob(ecr, repository, layer) for layer in layers)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": _descriptor(DOCKER_CONFIG, config_digest, len(config_bytes)),
            "layers": [
                _descriptor(DOCKER_LAYER, digest, len(layer))
                for digest, layer in zip(layer_digests, layers, strict=True)
            ],
        }
    )
    digest = _put(ecr, repository, manifest, tag)
    return PushedImage(digest, manifest, config_digest, layer_digests)


def push_index(
    ecr: Any, repository: str, images: Mapping[str, PushedImage], *, tag: str = "latest"
) -> PushedImage:
    """PutImage a manifest list over `images` (architecture → image); returns the index."""
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_LIST,
            "manifests": [
                {
                    **_descriptor(DOCKER_MANIFEST, image.digest, len(image.manifest.encode())),
                    "platform": {"architecture": architecture, "os": "linux"},
                }
                for architecture, image in images.items()
            ],
        }
    )
    digest = _put(ecr, repository, manifest, tag)
    return PushedImage(digest, manifest, "", ())


def _put(ecr: Any, repository: str, manifest: str, tag: str | None) -> str:
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    extra = {"imageTag": tag} if tag else {}
    ecr.put_image(repositoryName=repository, imageManifest=manifest, imageDigest=digest, **extra)
    return digest


def _descriptor(media_type: str, digest: str, size: int) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": digest, "size": size}


def _config(layers: int) -> dict[str, Any]:
    """A minimal image config whose diff_ids stand in for the uncompressed layers."""
    return {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": ["/lambda-entrypoint.sh"]},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{i:064x}" for i in range(layers)]},
    }
