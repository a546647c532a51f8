"""Read the runtime collector's snapshots back from S3 (`collect --runtime-bucket s3://…`).

The collector (`lambda_ir.runtime`) writes `<prefix><region>/<function>/<time>-<id>/`
`snapshot.json.gz` and then `manifest.json` naming its key, size and SHA-256. For each region
in scope this lists `<prefix><region>/`, reads every manifest, fetches the object it names and
keeps it as a snapshot only when size and SHA-256 match. The stored artifact is the
gunzipped snapshot (kind `runtime`, api `s3:GetObject`, meta: the object's verified SHA-256,
the function, the capture time), at `runtime/<account>/<region>/<function>/<time>-<id>.json`.
Every failure is a failed call with an error class the summary and `LIR-GAP-001` count: a
denied or missing object as AWS said, an oversized one `skipped`. An object that is not what
its manifest vouches for (other bytes, a manifest naming another key, not gzip JSON) is an
`integrity` failure, and its bytes as received are kept as evidence (a blob of kind `other`,
meta `verified: false` and why), never analysed as a snapshot: evidence first.
Read-only: s3:ListBucket and s3:GetObject. Functions in `--function` limit what is read.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import orjson

from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import record_failure
from lambda_ir.acquire.logs import count_artifact, parse_s3_url
from lambda_ir.acquire.steps import Step
from lambda_ir.aws import CallError, ErrorClass, QuotaClass, classify, pages
from lambda_ir.evidence.layout import blob_path, path_segment
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
    chosen = [key for key in manifests if not wanted or _function_in(key, folder) in wanted]
    # Keys end in <time>-<id>/manifest.json: sorting the time part keeps the newest.
    chosen.sort(key=lambda key: key.rsplit("/", 2)[-2])
    if len(chosen) > MAX_SNAPSHOTS:
        note = f"{len(chosen)} snapshots under the prefix; only the newest {MAX_SNAPSHOTS} read"
        params = {"Bucket": bucket.bucket, "Prefix": folder}
        error = CallError(ErrorClass.SKIPPED, "MaxSnapshots", note)
        record_failure(ctx, Kind.RUNTIME, API, params, region, error)
    for key in chosen[-MAX_SNAPSHOTS:]:
        _ingest(ctx, s3, _Object(bucket.bucket, key, region, _function_in(key, folder)))


def _function_in(key: str, folder: str) -> str:
    """The function segment of `<prefix><region>/<function>/<time>-<id>/…`."""
    return key[len(folder) :].split("/", 1)[0]


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


@dataclass(frozen=True)
class _Object:
    """One object read from the bucket, and the function whose folder holds it."""

    bucket: str
    key: str
    region: str
    function: str

    @property
    def params(self) -> dict[str, str]:
        return {"Bucket": self.bucket, "Key": self.key}


def _ingest(ctx: CollectContext, s3: Any, manifest: _Object) -> None:
    folder = manifest.key.removesuffix(MANIFEST_NAME)
    snapshot = replace(manifest, key=folder + SNAPSHOT_NAME)
    earlier = ctx.resume.find(Kind.RUNTIME, API, snapshot.params, ctx.account, manifest.region)
    if earlier is not None:
        return  # read on an earlier run: not even its manifest is fetched again
    try:
        raw = _get(s3, manifest, MAX_MANIFEST)
    except Exception as exc:
        _fail(ctx, manifest, _read_error(exc))
        return
    try:
        listed = orjson.loads(raw)["files"][0]
        key, sha256, size = str(listed["key"]), str(listed["sha256"]), int(listed["size"])
    except Exception as exc:
        _refuse(ctx, manifest, raw, "BadManifest", f"unreadable manifest: {_why(exc)}")
        return
    if key != snapshot.key:
        # Whoever controls the function can write manifests: one naming another object of
        # the responder's bucket must not bring that object into the case.
        why = f"manifest names {key!r}, not its own snapshot"
        _refuse(ctx, manifest, raw, "ForeignKey", why)
        return
    try:
        body = _get(s3, snapshot, MAX_OBJECT)
    except Exception as exc:
        _fail(ctx, snapshot, _read_error(exc))
        return
    vouched = {"manifest_key": manifest.key, "manifest_sha256": sha256, "manifest_size": size}
    actual = hashlib.sha256(body).hexdigest()
    if actual != sha256 or len(body) != size:
        why = f"sha256 {actual} ({len(body)} bytes), the manifest's {sha256} ({size} bytes)"
        message = f"snapshot does not match its manifest: {why}"
        _refuse(ctx, snapshot, body, "ManifestMismatch", message, vouched)
        return
    try:
        document = orjson.loads(_gunzip(body))
        if not isinstance(document, dict):
            raise ValueError(f"a JSON {type(document).__name__}, not an object")
    except (ValueError, zlib.error) as exc:
        message = f"snapshot is not gzip JSON: {_why(exc)}"
        _refuse(ctx, snapshot, body, "NotASnapshot", message, vouched)
        return
    _store(ctx, document, snapshot.params, snapshot.region, actual, manifest.key)


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


def _get(s3: Any, source: _Object, limit: int) -> bytes:
    body = s3.get_object(Bucket=source.bucket, Key=source.key)["Body"].read(limit + 1)
    if len(body) > limit:
        raise TooLarge(f"larger than {limit:,} bytes; not read")
    return bytes(body)


class TooLarge(ValueError):
    """An object over the size read from the bucket: skipped, never read whole."""


def _read_error(exc: Exception) -> CallError:
    """A failed read as the summary counts it (denied, not-found, timeout, skipped…)."""
    if isinstance(exc, TooLarge):
        return CallError(ErrorClass.SKIPPED, "MaxObjectSize", str(exc))
    return classify(exc)


def _gunzip(body: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    data = inflater.decompress(body, MAX_SNAPSHOT)
    if inflater.unconsumed_tail:
        raise ValueError(f"inflates past {MAX_SNAPSHOT} bytes")
    return data


def _fail(
    ctx: CollectContext, source: _Object, error: CallError, meta: dict[str, Any] | None = None
) -> None:
    """List a failed read in the manifest and the run's summary, with the function it is for
    (`LIR-GAP-001` names it)."""
    meta = {"function": source.function, **(meta or {})}
    record_failure(ctx, Kind.RUNTIME, API, source.params, source.region, error, meta=meta)


def _refuse(
    ctx: CollectContext,
    source: _Object,
    body: bytes,
    code: str,
    why: str,
    vouched: dict[str, Any] | None = None,
) -> None:
    """Keep bytes that are not a verified snapshot as received, then list the refusal as an
    integrity failure: a replaced or forged object is evidence of who wrote under the
    prefix, so it is hashed and kept (kind `other`, `verified: false`), never analysed."""
    meta = {"function": source.function, "verified": False, "refused": why, **(vouched or {})}
    digest = hashlib.sha256(body).hexdigest()
    kept = ctx.case.entry(blob_path(digest))
    if kept is None:
        kept = ctx.case.put_bytes(
            body,
            kind=Kind.OTHER,
            api=API,
            params=source.params,
            account=ctx.account,
            region=source.region,
            meta=meta,
        )
        count_artifact(ctx, Kind.OTHER)
    error = CallError(ErrorClass.INTEGRITY, code, f"{why}; kept as received")
    _fail(ctx, source, error, {"received": kept.path, "received_sha256": kept.sha256})


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
