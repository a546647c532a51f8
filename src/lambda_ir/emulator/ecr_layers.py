"""ECR image layers: pushed bytes kept, `GetDownloadUrlForLayer` answered, layers served.

moto 5.2.5 takes the layer push API (InitiateLayerUpload, UploadLayerPart,
CompleteLayerUpload) but keeps only each layer's size, derives image digests its own way and
does not implement GetDownloadUrlForLayer. Here, as ECR does: CompleteLayerUpload keeps the
uploaded bytes (a digest the client claims that the bytes do not hash to is
`InvalidLayerException`); PutImage's digest is the SHA-256 of the manifest (a different
`imageDigest` is `ImageDigestDoesNotMatchException`); GetDownloadUrlForLayer answers
`{downloadUrl, layerDigest}` with a presigned-style URL on the emulator itself,
`LayersNotFoundException` for a digest the repository never received and
`LayerInaccessibleException` for one no image in the repository references.
`EcrLayers.tamper(digest)` serves that layer with one byte changed — a corrupting network on
request — so a collector's integrity check can be tested end to end.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from moto.ecr.models import ecr_backends

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_error, json_response

PREFIX = "/_emulator/ecr-layers/"
_DIGEST = re.compile(r"[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+")
_SHA256 = re.compile(r"sha256:([0-9a-f]{64})")


@dataclass
class EcrLayers:
    """Per-emulator layer bytes by SHA-256 (hex), and the layers to serve altered."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    tampered: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tamper(self, digest: str) -> None:
        """Serve the layer `sha256:<hex>` with its last byte flipped from now on (tests)."""
        with self.lock:
            self.tampered.add(digest.removeprefix("sha256:"))

    def serve(self, path: str) -> Response:
        """GET `/_emulator/ecr-layers/<hex>`: the layer's bytes, as S3 would serve them."""
        hexdigest = path.removeprefix(PREFIX).split("/", 1)[0]
        with self.lock:
            data = self.blobs.get(hexdigest)
            altered = hexdigest in self.tampered
        if data is None:
            return Response(404, (("Content-Type", "text/plain"),), b"no such layer\n")
        if altered and data:
            data = data[:-1] + bytes([data[-1] ^ 1])
        headers = (("Content-Type", "application/octet-stream"), ("Content-Length", str(len(data))))
        return Response(200, headers, data)


@dataclass(frozen=True)
class EcrContext:
    """What an ECR handler may touch: the caller's account, the region, our layer store."""

    account_id: str
    region: str
    layers: EcrLayers
    endpoint_url: str
    forward: Callable[[bytes | None], Response]


def complete_layer_upload(ctx: EcrContext, call: ApiCall) -> Response:
    """CompleteLayerUpload: check the claimed digest against the bytes, then keep the bytes."""
    repository = _repository(ctx, call.params)
    upload = repository.uploads.get(call.params.get("uploadId")) if repository else None
    if upload is None:
        return ctx.forward(None)  # moto answers the missing repository or upload
    data = bytes(upload.layer_parts)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    claimed = [str(d) for d in call.params.get("layerDigests") or []]
    if claimed and digest not in claimed:
        return json_error(
            "InvalidLayerException",
            "The layer digest calculation performed by Amazon ECR upon receipt of the image "
            f"layer does not match the digest specified ({claimed[0]}, computed {digest}).",
        )
    response = ctx.forward(None)
    if response.status == 200:
        with ctx.layers.lock:
            ctx.layers.blobs[digest.removeprefix("sha256:")] = data
    return response


def put_image(ctx: EcrContext, call: ApiCall) -> Response:
    """PutImage: the image digest is the SHA-256 of the manifest, as ECR computes it."""
    manifest = str(call.params.get("imageManifest") or "")
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    given = call.params.get("imageDigest")
    if given and given != digest:
        return json_error(
            "ImageDigestDoesNotMatchException",
            f"Invalid parameter at 'imageDigest': {given} does not match the digest "
            f"Amazon ECR calculated for the manifest ({digest}).",
        )
    body = orjson.loads(call.body or b"{}")
    body["imageDigest"] = digest
    return ctx.forward(orjson.dumps(body))


def get_download_url_for_layer(ctx: EcrContext, call: ApiCall) -> Response:
    """GetDownloadUrlForLayer: a URL that serves exactly the layer's bytes."""
    digest = str(call.params.get("layerDigest") or "")
    if not _DIGEST.fullmatch(digest):
        return json_error(
            "InvalidParameterException", f"Invalid parameter at 'layerDigest': {digest!r}"
        )
    repository = _repository(ctx, call.params)
    if repository is None:
        name = call.params.get("repositoryName")
        registry = call.params.get("registryId") or ctx.account_id
        return json_error(
            "RepositoryNotFoundException",
            f"The repository with name '{name}' does not exist in the registry with id "
            f"'{registry}'",
        )
    match = _SHA256.fullmatch(digest)
    with ctx.layers.lock:
        held = match is not None and match.group(1) in ctx.layers.blobs
    if not held or digest not in repository.layers:
        return json_error(
            "LayersNotFoundException",
            f"The specified layers could not be found, or the specified layer is not valid "
            f"for this repository. ({digest})",
        )
    if digest not in referenced_digests(repository.images):
        return json_error(
            "LayerInaccessibleException",
            "The specified layer is not available because it is not associated with an "
            "image. Unassociated image layers may be cleaned up at any time.",
        )
    assert match is not None
    url = (
        f"{ctx.endpoint_url}{PREFIX}{match.group(1)}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Expires=3600&X-Amz-Signature={secrets.token_hex(32)}"
    )
    return json_response({"downloadUrl": url, "layerDigest": digest})


def referenced_digests(images: list[Any]) -> set[str]:
    """Every blob digest (config and layers) the repository's image manifests list."""
    digests: set[str] = set()
    for image in images:
        try:
            manifest = orjson.loads(image.image_manifest)
        except (orjson.JSONDecodeError, TypeError):
            continue
        if not isinstance(manifest, dict):
            continue
        blobs = [manifest.get("config"), *(manifest.get("layers") or [])]
        digests.update(str(b["digest"]) for b in blobs if isinstance(b, dict) and "digest" in b)
        schema1 = manifest.get("fsLayers") or []
        digests.update(str(b["blobSum"]) for b in schema1 if isinstance(b, dict) and "blobSum" in b)
    return digests


def _repository(ctx: EcrContext, params: Mapping[str, Any]) -> Any | None:
    """moto's Repository named in `params` (in `registryId`'s registry), or None."""
    registry = str(params.get("registryId") or ctx.account_id)
    name = str(params.get("repositoryName") or "")
    repository = ecr_backends[registry][ctx.region].repositories.get(name)
    if repository is None or repository.registry_id != registry:
        return None
    return repository


Handler = Callable[[EcrContext, ApiCall], Response]

HANDLERS: Mapping[str, Handler] = {
    "CompleteLayerUpload": complete_layer_upload,
    "PutImage": put_image,
    "GetDownloadUrlForLayer": get_download_url_for_layer,
}


def handle(ctx: EcrContext, call: ApiCall) -> Response:
    """Answer one ECR call: our handler where moto lacks or differs, else moto."""
    handler = HANDLERS.get(call.name)
    return handler(ctx, call) if handler else ctx.forward(None)
