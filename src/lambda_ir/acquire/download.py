"""Streaming a package from the presigned URL the API gave into a content-addressed blob.

Never holds a whole package in memory: 1 MiB chunks are hashed and written as they arrive,
and nothing moves into `blobs/` unless the SHA-256 matches the API's `CodeSha256`. The
bytes are never unpacked or run here.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import urllib3

from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import record_failure
from lambda_ir.acquire.packages import Package
from lambda_ir.aws import CallError, ErrorClass
from lambda_ir.evidence import IntegrityError, ManifestEntry, OversizeError
from lambda_ir.evidence.layout import blob_path

CHUNK = 1 << 20


def already_stored(ctx: CollectContext, package: Package) -> ManifestEntry | None:
    """The blob's manifest entry when an earlier run (or another version) stored it."""
    hexdigest = package.sha256_hex
    return ctx.case.entry(blob_path(hexdigest)) if hexdigest else None


def download(ctx: CollectContext, package: Package) -> ManifestEntry | CallError:
    """Fetch, hash-check and store `package`; retries a mismatch, then reports it."""
    expected = package.sha256_hex
    if not expected:
        return CallError(ErrorClass.INTEGRITY, "BadCodeSha256", f"unusable {package.code_sha256!r}")
    cap = ctx.options.max_package_bytes
    if package.size is not None and package.size > cap:
        return CallError(ErrorClass.SKIPPED, "MaxPackageSize", _too_big(package.size, cap))
    last: CallError | None = None
    for _attempt in range(1 + max(0, ctx.options.download_retries)):
        try:
            return ctx.case.put_stream(
                _chunks(ctx, package.url),
                kind=package.kind,
                api=package.api,
                params=package.params,
                account=package.account,
                region=package.region,
                expected_sha256=expected,
                max_bytes=cap,
                meta={**package.meta, "code_sha256": package.code_sha256},
            )
        except IntegrityError as exc:
            last = CallError(ErrorClass.INTEGRITY, "CodeSha256Mismatch", str(exc))
        except OversizeError:
            return CallError(ErrorClass.SKIPPED, "MaxPackageSize", _too_big(None, cap))
        except (urllib3.exceptions.HTTPError, OSError, DownloadError) as exc:
            last = CallError(ErrorClass.ERROR, type(exc).__name__, _no_query(str(exc))[:200])
            if isinstance(exc, DownloadError) and "is not served by" in str(exc):
                break
    assert last is not None
    return last


def finish(ctx: CollectContext, package: Package, result: ManifestEntry | CallError) -> None:
    """Count a stored package, or list why it could not be stored."""
    if isinstance(result, CallError):
        meta = {**package.meta, "code_sha256": package.code_sha256}
        record_failure(
            ctx,
            package.kind,
            package.api,
            package.params,
            package.region,
            result,
            account=package.account,  # a foreign layer or registry is listed under its owner
            meta=meta,
        )
        return
    with ctx.tally.lock:
        ctx.tally.artifacts += 1
        ctx.tally.by_kind[str(package.kind)] += 1


class DownloadError(Exception):
    """The package URL answered with something other than 200."""


def allowed_location(url: str, endpoint_url: str) -> bool:
    """Fetch packages only from AWS, or from the very endpoint we are talking to.

    Against AWS a Location is a presigned S3 URL under amazonaws.com; against a custom
    endpoint (an emulator, a VPC endpoint) it must be that endpoint's host. Anything else
    is refused rather than fetched.
    """
    parts, endpoint = urlsplit(url), urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    endpoint_host = endpoint.hostname or ""
    if endpoint_host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        return parts.scheme == "https" and parts.hostname.endswith(
            (".amazonaws.com", ".amazonaws.com.cn")
        )
    return parts.hostname == endpoint_host and parts.port == endpoint.port


def _chunks(ctx: CollectContext, url: str) -> Iterator[bytes]:
    endpoint = str(ctx.client("lambda", ctx.home_region).meta.endpoint_url)
    if not allowed_location(url, endpoint):
        raise DownloadError(f"package location {_no_query(url)} is not served by {endpoint}")
    response = ctx.http.request("GET", url, preload_content=False, redirect=False, retries=False)
    try:
        if response.status != 200:
            raise DownloadError(f"HTTP {response.status} from {_no_query(url)}")
        for chunk in response.stream(CHUNK):
            with ctx.tally.lock:
                ctx.tally.downloaded_bytes += len(chunk)
            yield chunk
    finally:
        response.release_conn()


def _no_query(text: str) -> str:
    """Presigned URLs carry signatures in the query: never write them into the case."""
    return text.split("?", 1)[0]


def _too_big(size: int | None, cap: int) -> str:
    said = f"{size:,} bytes" if size is not None else "more bytes"
    return f"{said} than --max-package-mb allows ({cap:,} bytes); not downloaded"
