"""Container images: the ECR manifest always, and with `--with-images` the bytes it lists.

An image function's resolved digest is looked up with ecr:BatchGetImage and the response
stored (kind `image`). With `--with-images`, every blob the stored manifest lists — the
config and each layer of a Docker v2 schema 2 or OCI image manifest (`fsLayers` of schema 1),
and for an image index / manifest list the same for each platform manifest, itself fetched by
digest with BatchGetImage — is asked for with ecr:GetDownloadUrlForLayer and streamed from
the presigned URL into `blobs/` (kind `image-layer`), once per digest in the run (listed
under the first registry, region, repository and image digest in sort order, so the manifest
does not depend on thread timing), after every version was listed, through the same download
as zip packages: checked against the digest (a mismatch is retried, then an
`integrity` error, never stored), capped per blob by `--max-package-mb` (`skipped`). The
presigned URL is never written to the case; layer tarballs are never unpacked or run.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import orjson

from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.download import already_stored, download, finish
from lambda_ir.acquire.fetch import fetch_json, record_failure
from lambda_ir.acquire.packages import Package
from lambda_ir.acquire.steps import later
from lambda_ir.aws import CallError, ErrorClass, QuotaClass, call, classify
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import Kind

BLOB_API = "ecr:GetDownloadUrlForLayer"
_SHA256 = re.compile(r"sha256:([0-9a-f]{64})")


@dataclass(frozen=True)
class ImageRepository:
    """An ECR repository: the registry (account) that owns it, its region and name."""

    registry: str
    region: str
    name: str


@dataclass(frozen=True)
class ImageBlob:
    """One blob a manifest lists: its digest, media type and declared size."""

    digest: str
    media_type: str
    size: int | None


def collect_image(ctx: CollectContext, fn: Any, code: dict[str, Any]) -> None:
    """ecr:BatchGetImage for a container-image function's resolved digest (the manifest)."""
    uri = str(code.get("ResolvedImageUri") or code.get("ImageUri") or "")
    image = parse_image_uri(uri)
    if image is None:
        error = CallError(ErrorClass.ERROR, "UnparsableImageUri", uri[:200])
        record_failure(ctx, Kind.IMAGE, "ecr:BatchGetImage", {"imageUri": uri}, fn.region, error)
        return
    registry, region, name, image_id = image
    fetch_manifest(ctx, ImageRepository(registry, region, name), image_id, follow_index=True)


def fetch_manifest(
    ctx: CollectContext, repo: ImageRepository, image_id: dict[str, str], *, follow_index: bool
) -> None:
    """BatchGetImage once per image in the run; with `--with-images`, queue what it lists."""
    if not ctx.claim("image", f"{repo.registry}/{repo.region}/{repo.name}/{image_id}"):
        return
    params = {"registryId": repo.registry, "repositoryName": repo.name, "imageIds": [image_id]}
    label = image_id.get("imageDigest") or image_id.get("imageTag", "")
    response = fetch_json(
        ctx,
        kind=Kind.IMAGE,
        api="ecr:BatchGetImage",
        params=params,
        path=f"{paths.account_root(repo.registry, repo.region)}/ecr/{path_segment(repo.name)}/"
        f"{path_segment(label)}.json",
        region=repo.region,
        account=repo.registry,
    )
    if response is not None and ctx.options.with_images:
        queue_image_blobs(ctx, repo, response, follow_index=follow_index)


def queue_image_blobs(
    ctx: CollectContext, repo: ImageRepository, response: dict[str, Any], *, follow_index: bool
) -> None:
    """Queue the platform manifests of an index and offer every blob each manifest lists.

    Blobs join the run's package plan, downloaded with the zip packages after every version
    was listed: one per digest, listed under the smallest (registry, region, repository,
    image digest) that has it, however the calls interleave.
    """
    for image in response.get("images") or []:
        manifest = _manifest_of(image)
        image_digest = str((image.get("imageId") or {}).get("imageDigest") or "")
        if follow_index:  # one level: an index of indexes is not a Lambda image
            for digest in platform_digests(manifest):
                platform = {"imageDigest": digest}
                task = partial(fetch_manifest, ctx, repo, platform, follow_index=False)
                later(ctx, QuotaClass.UNMETERED, repo.region, "BatchGetImage", task)
        order = (repo.registry, repo.region, repo.name, image_digest)
        for blob in blobs_of(manifest):
            package = blob_package(repo, image_digest, blob)
            if package.sha256_hex:
                ctx.packages.offer(order, package)
            elif ctx.claim("image-blob", blob.digest):  # only sha256 digests can be checked
                finish(ctx, package, CallError(ErrorClass.ERROR, "UnsupportedDigest", blob.digest))


def blob_package(repo: ImageRepository, image_digest: str, blob: ImageBlob) -> Package:
    """The blob as a package to download; its URL is asked for only when its turn comes."""
    match = _SHA256.fullmatch(blob.digest)
    raw = bytes.fromhex(match.group(1)) if match else b""
    return Package(
        url="",
        code_sha256=base64.b64encode(raw).decode() if raw else "",
        size=blob.size,
        kind=Kind.IMAGE_LAYER,
        api=BLOB_API,
        params={
            "registryId": repo.registry,
            "repositoryName": repo.name,
            "layerDigest": blob.digest,
        },
        region=repo.region,
        account=repo.registry,
        meta={"image_digest": image_digest, "media_type": blob.media_type},
    )


def fetch_image_blob(ctx: CollectContext, package: Package) -> None:
    """GetDownloadUrlForLayer, then stream the blob into `blobs/`, checked against its digest."""
    if already_stored(ctx, package) is not None:
        return  # an earlier run stored it
    try:
        answer = call(ctx.client("ecr", package.region), "GetDownloadUrlForLayer", package.params)
    except Exception as exc:  # every failure becomes evidence
        finish(ctx, package, classify(exc))
        return
    package = replace(package, url=str(answer.get("downloadUrl") or ""))
    finish(ctx, package, download(ctx, package))


def blobs_of(manifest: dict[str, Any]) -> list[ImageBlob]:
    """The config and layers an image manifest lists (schema 2 / OCI; schema 1 `fsLayers`)."""
    descriptors = [manifest.get("config"), *_list(manifest.get("layers"))]
    blobs = [
        ImageBlob(str(d["digest"]), str(d.get("mediaType") or ""), _size(d.get("size")))
        for d in descriptors
        if isinstance(d, dict) and d.get("digest")
    ]
    blobs += [
        ImageBlob(str(d["blobSum"]), "", None)
        for d in _list(manifest.get("fsLayers"))
        if isinstance(d, dict) and d.get("blobSum")
    ]
    return list({blob.digest: blob for blob in blobs}.values())


def platform_digests(manifest: dict[str, Any]) -> list[str]:
    """The platform manifests an image index / manifest list points to."""
    return [
        str(d["digest"])
        for d in _list(manifest.get("manifests"))
        if isinstance(d, dict) and d.get("digest")
    ]


def parse_image_uri(uri: str) -> tuple[str, str, str, dict[str, str]] | None:
    """`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO(@sha256:…|:TAG)` → parts, or None."""
    host, _, rest = uri.partition("/")
    labels = host.split(".")
    if len(labels) < 4 or labels[1:3] != ["dkr", "ecr"] or not rest:
        return None
    registry, region = labels[0], labels[3]
    if "@" in rest:
        repository, digest = rest.split("@", 1)
        return registry, region, repository, {"imageDigest": digest}
    repository, _, tag = rest.rpartition(":") if ":" in rest else (rest, "", "latest")
    return registry, region, repository, {"imageTag": tag or "latest"}


def _manifest_of(image: Any) -> dict[str, Any]:
    """The parsed `imageManifest` ({} when it is not a JSON object: it is data, not trusted)."""
    text = image.get("imageManifest") if isinstance(image, dict) else None
    try:
        manifest = orjson.loads(text) if isinstance(text, str) else None
    except orjson.JSONDecodeError:
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
