"""Code of every version: zip packages into `blobs/` once per SHA-256, images by manifest.

Two versions with the same `CodeSha256` share one blob and one download; downloads run
after every version was listed (see `packages.PackagePlan`). A package whose
bytes do not match `CodeSha256` is retried, then recorded as an `integrity` error and never
stored. Container images are described by their ECR manifest, and pulled only with
`--with-images` (`acquire/images.py`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.download import already_stored, download, finish
from lambda_ir.acquire.images import collect_image, fetch_image_blob
from lambda_ir.acquire.packages import Package, version_order
from lambda_ir.acquire.steps import later
from lambda_ir.aws import CallError, ErrorClass, QuotaClass, call, classify
from lambda_ir.model import Kind


def collect_package(ctx: CollectContext, fn: Any, qualifier: str, response: dict[str, Any]) -> None:
    """Store the code behind one GetFunction response (zip) or describe its image."""
    config = response.get("Configuration") or {}
    code = response.get("Code") or {}
    if config.get("PackageType") == "Image" or code.get("RepositoryType") == "ECR":
        collect_image(ctx, fn, code)
        return
    sha = str(config.get("CodeSha256") or "")
    if not sha:
        return
    package = Package(
        url=str(code.get("Location") or ""),
        code_sha256=sha,
        size=_int(config.get("CodeSize")),
        kind=Kind.CODE,
        api="lambda:GetFunction",
        params={"FunctionName": fn.name, "Qualifier": qualifier},
        region=fn.region,
        account=fn.account,
        meta={"function_arn": str(config.get("FunctionArn") or fn.arn)},
    )
    ctx.packages.offer(version_order(fn.name, qualifier), package)


def download_packages(ctx: CollectContext) -> None:
    """Queue one download per unique package seen (run after every version was listed)."""
    for package in ctx.packages.chosen():
        fetch = fetch_image_blob if package.kind == Kind.IMAGE_LAYER else fetch_package
        later(ctx, QuotaClass.UNMETERED, package.region, "download", partial(fetch, ctx, package))


def fetch_package(ctx: CollectContext, package: Package) -> None:
    """Download one package into `blobs/` unless the case already holds it."""
    if already_stored(ctx, package) is not None:
        return
    result = download(ctx, package)
    if (
        isinstance(result, CallError)
        and result.error_class is ErrorClass.ERROR
        and package.kind == Kind.CODE
    ):
        # A resumed run holds an expired Location: ask once more for a fresh one.
        fresh = _fresh_location(ctx, package)
        if fresh and fresh != package.url:
            result = download(ctx, replace(package, url=fresh))
    finish(ctx, package, result)


def _fresh_location(ctx: CollectContext, package: Package) -> str:
    """A new presigned Location from GetFunction; only the URL is used, nothing is stored."""
    try:
        response = call(ctx.client("lambda", package.region), "GetFunction", package.params)
    except Exception as exc:
        classify(exc)
        return ""
    return str((response.get("Code") or {}).get("Location") or "")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None
