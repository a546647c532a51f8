"""Read the runtime collector's snapshots back from S3 (`collect --runtime-bucket s3://…`).

The collector (`lambda_ir.runtime`) writes `<prefix><region>/<function>/<time>-<id>/`
`snapshot.json.gz` and then `manifest.json` naming its key, size and SHA-256. For each region
in scope this lists `<prefix><region>/`, reads every manifest, fetches the object it names and
keeps it only when size and SHA-256 match: a mismatch, a missing object or an oversized
one is a manifest error, never a stored snapshot. The stored artifact is the gunzipped
snapshot (kind `runtime`, api `s3:GetObject`, meta: the object's verified SHA-256, the
function, the capture time), at `runtime/<account>/<region>/<function>/<time>-<id>.json`.
Read-only: s3:ListBucket and s3:GetObject. Functions in `--function` limit what is read.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson

from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import record_failure
from lambda_ir.acquire.logs import count_artifact, parse_s3_url
from lambda_ir.acquire.steps import Step
from lambda_ir.aws import QuotaClass, classify, pages
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import FunctionRef, Kind
from lambda_ir.runtime.upload import MANIFEST_NAME, SNAPSHOT_NAME

MAX_MANIFEST = 1 << 20
MAX_OBJECT = 64 << 20  # a compressed snapshot; the collector's own caps keep them far smaller
MAX_SNAPSHOT = 256 << 20  # inflated: a gzip bomb stops here
# Per region and run. The function's role may write under the prefix, so whoever controls
# the function can flood it: the newest this many are read, and a gap note says so.
MAX_SNAPSHOTS = 1000
API = "s3:GetObject"


@dataclass(frozen=True)
class RuntimeBucket:
    """Where the collector uploads: the bucket and the prefix given to `runtime attach`."""

    bucket: str
    prefix: str = ""

    @classmethod
    def parse(cls, url: str) -> RuntimeBucket:
        """`s3://bucket/prefix` (prefix optional)."""
        return cls(*parse_s3_url(url))


def runtime_bucket_step(bucket: RuntimeBucket) -> Step[str]:
    """The per-region step the orchestrator adds when `--runtime-bucket` is given."""
    return Step(
        "runtime-snapshots", QuotaClass.UNMETERED, partial(collect_snapshots, bucket=bucket)
    )


def collect_snapshots(ctx: CollectContext, region: str, *, bucket: RuntimeBucket) -> None:
    """Every verified snapshot of the functions in scope in `region`."""
    s3 = ctx.client("s3", ctx.home_region)
    wanted = _wanted_names(ctx.scope.functions)
    folder = f"{bucket.prefix}{path_segment(region)}/"
    try:
        manifests = [
            str(item["Key"])
            for page in pages(s3, "ListObjectsV2", {"Bucket": bucket.bucket, "Prefix": folder})
            for item in page.get("Contents") or []
            if str(item["Key"]).endswith("/manifest.json")
        ]
    except Exception as exc:  # a denied or missing bucket is itself worth recording
        params = {"Bucket": bucket.bucket, "Prefix": folder}
        record_failure(ctx, Kind.RUNTIME, "s3:ListBucket", params, region, classify(exc))
        return
    chosen = [
        key for key in manifests if not wanted or key[len(folder) :].split("/", 1)[0] in wanted
    ]
    # Keys end in <time>-<id>/manifest.json: sorting the time part keeps the newest.
    chosen.sort(key=lambda key: key.rsplit("/", 2)[-2])
    if len(chosen) > MAX_SNAPSHOTS:
        _error(
            ctx,
            bucket.bucket,
            folder,
            region,
            f"{len(chosen)} snapshots under the prefix; only the newest {MAX_SNAPSHOTS} read",
        )
    for key in chosen[-MAX_SNAPSHOTS:]:
        _ingest(ctx, s3, bucket.bucket, key, region)


def _wanted_names(functions: tuple[str, ...]) -> set[str]:
    names = set()
    for function in functions:
        try:
            names.add(
                FunctionRef.from_arn(function).name if function.startswith("arn:") else function
            )
        except ValueError:
            names.add(function)
    return {path_segment(name) for name in names}


def _ingest(ctx: CollectContext, s3: Any, bucket: str, manifest_key: str, region: str) -> None:
    folder = manifest_key.removesuffix(MANIFEST_NAME)
    expected = {"Bucket": bucket, "Key": folder + SNAPSHOT_NAME}
    if ctx.resume.find(Kind.RUNTIME, API, expected, ctx.account, region) is not None:
        return  # read on an earlier run: not even its manifest is fetched again
    try:
        manifest = orjson.loads(_get(s3, bucket, manifest_key, MAX_MANIFEST))
        listed = manifest["files"][0]
        key, sha256, size = str(listed["key"]), str(listed["sha256"]), int(listed["size"])
    except Exception as exc:
        _error(ctx, bucket, manifest_key, region, f"unreadable manifest: {_why(exc)}")
        return
    if key != folder + SNAPSHOT_NAME:
        # Whoever controls the function can write manifests: one naming another object of
        # the responder's bucket must not bring that object into the case.
        _error(ctx, bucket, manifest_key, region, f"manifest names {key!r}, not its own snapshot")
        return
    params = {"Bucket": bucket, "Key": key}
    try:
        body = _get(s3, bucket, key, MAX_OBJECT)
    except Exception as exc:
        _error(ctx, bucket, key, region, f"snapshot not read: {_why(exc)}")
        return
    actual = hashlib.sha256(body).hexdigest()
    if actual != sha256 or len(body) != size:
        why = f"sha256 {actual} ({len(body)} bytes) is not the manifest's {sha256} ({size} bytes)"
        _error(ctx, bucket, key, region, f"snapshot does not match its manifest: {why}")
        return
    try:
        snapshot = orjson.loads(_gunzip(body))
    except (ValueError, zlib.error) as exc:
        _error(ctx, bucket, key, region, f"snapshot is not gzip JSON: {_why(exc)}")
        return
    _store(ctx, snapshot, params, region, actual, manifest_key)


def _store(
    ctx: CollectContext,
    snapshot: dict[str, Any],
    params: dict[str, str],
    region: str,
    object_sha256: str,
    manifest_key: str,
) -> None:
    found = snapshot.get("context")
    context: dict[str, Any] = found if isinstance(found, dict) else {}
    function = str(context.get("function_name") or "unknown")
    captured = str(snapshot.get("captured_at") or "")
    compact = captured.replace("-", "").replace(":", "").replace(".", "")
    name = f"{compact}-{snapshot.get('snapshot_id', '')}"
    path = "/".join(
        ("runtime", *(path_segment(part) for part in (ctx.account, region, function, name)))
    )
    ctx.case.put_json(
        f"{path}.json",
        snapshot,
        kind=Kind.RUNTIME,
        api=API,
        params=params,
        account=ctx.account,
        region=region,
        meta={
            "function": function,
            "captured_at": captured,
            "trigger": str(snapshot.get("trigger") or ""),
            "object_sha256": object_sha256,
            "manifest_key": manifest_key,
        },
    )
    count_artifact(ctx, Kind.RUNTIME)


def _get(s3: Any, bucket: str, key: str, limit: int) -> bytes:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read(limit + 1)
    if len(body) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return bytes(body)


def _gunzip(body: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    data = inflater.decompress(body, MAX_SNAPSHOT)
    if inflater.unconsumed_tail:
        raise ValueError(f"inflates past {MAX_SNAPSHOT} bytes")
    return data


def _error(ctx: CollectContext, bucket: str, key: str, region: str, error: str) -> None:
    ctx.case.record_error(
        kind=Kind.RUNTIME,
        api=API,
        params={"Bucket": bucket, "Key": key},
        error=error,
        account=ctx.account,
        region=region,
    )


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
