"""Collect CloudTrail log files from the trail's S3 bucket (`--trail-bucket s3://bucket/prefix`).

Only the accounts, regions and days in scope are listed: keys follow
`[prefix/]AWSLogs/[o-…/]<account>/CloudTrail/<region>/YYYY/MM/DD/`, so each day is one
prefix and nothing outside the window is even listed. Organisation trails (`o-…/`) are
found by listing `AWSLogs/` once. Digest files (`CloudTrail-Digest/`) are skipped. Files are
downloaded concurrently; each becomes `trail/<acct>/<region>/bucket/<file>.jsonl.zst` (one
record per line, kind `trail`, api `s3:GetObject`, params {Bucket, Key}); a damaged file is
a manifest warning and the rest goes on. Read-only: s3:ListBucket and s3:GetObject.
"""

from __future__ import annotations

import io
import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import record_failure
from lambda_ir.acquire.logs import count_artifact, parse_s3_url
from lambda_ir.acquire.steps import Step
from lambda_ir.aws import QuotaClass, classify, pages
from lambda_ir.evidence.layout import path_segment
from lambda_ir.evidence.trail import ARTIFACT_SUFFIX, compress_lines, keep_as_sent
from lambda_ir.evidence.trail_read import MAX_DOCUMENT, iter_record_blocks, open_stream
from lambda_ir.model import Kind

DOWNLOADERS = 8
MAX_DAYS = 400  # a window longer than this is listed per region, not per day


@dataclass(frozen=True)
class TrailBucket:
    """Where the trail delivers: bucket and key prefix (the trail's S3KeyPrefix)."""

    bucket: str
    prefix: str = ""

    @classmethod
    def parse(cls, url: str) -> TrailBucket:
        """`s3://bucket/prefix` (prefix optional)."""
        return cls(*parse_s3_url(url))


def days(since: str | None, until: str | None, today: date | None = None) -> list[date] | None:
    """Each UTC day in the window, or None (no pruning) when it is open or very long."""
    if not since:
        return None
    first = _day(since)
    last = _day(until) if until else (today or datetime.now(UTC).date())
    count = (last - first).days + 1
    if count > MAX_DAYS or count < 1:
        return None
    return [first + timedelta(days=n) for n in range(count)]


def day_prefixes(
    base: str, owners: list[str], account: str, region: str, window: list[date] | None
) -> list[str]:
    """Every key prefix to list: one per owner layout (account or org) and day."""
    out = []
    for owner in owners:
        root = f"{base}AWSLogs/{owner}{account}/CloudTrail/{region}/"
        if window is None:
            out.append(root)
        else:
            out.extend(f"{root}{d.year:04d}/{d.month:02d}/{d.day:02d}/" for d in window)
    return out


def trail_bucket_step(bucket: TrailBucket) -> Step[str]:
    """The per-region step the orchestrator adds when `--trail-bucket` is given."""
    return Step("trail-bucket", QuotaClass.UNMETERED, partial(collect_trail_bucket, bucket=bucket))


def collect_trail_bucket(ctx: CollectContext, region: str, *, bucket: TrailBucket) -> None:
    """List the day prefixes in scope and download every trail file in them."""
    s3 = ctx.client("s3", ctx.home_region)
    try:
        owners = _owners(s3, bucket)
        window = days(ctx.scope.since, ctx.scope.until)
        keys = [
            key
            for prefix in day_prefixes(bucket.prefix, owners, ctx.account, region, window)
            for key in _keys(s3, bucket.bucket, prefix)
        ]
    except Exception as exc:  # a denied or missing bucket is evidence of what we could not read
        params = {"Bucket": bucket.bucket, "Prefix": bucket.prefix}
        record_failure(ctx, Kind.TRAIL, "s3:ListBucket", params, region, classify(exc))
        return
    with ThreadPoolExecutor(max_workers=DOWNLOADERS) as pool:
        list(pool.map(lambda key: _download(ctx, s3, bucket.bucket, key, region), keys))


def _owners(s3: Any, bucket: TrailBucket) -> list[str]:
    """`""` for the account layout plus `o-…/` for each organisation trail under AWSLogs/."""
    found = [""]
    params = {"Bucket": bucket.bucket, "Prefix": f"{bucket.prefix}AWSLogs/", "Delimiter": "/"}
    for page in pages(s3, "ListObjectsV2", params):
        for common in page.get("CommonPrefixes") or []:
            name = str(common["Prefix"]).rsplit("/", 2)[-2]
            if name.startswith("o-"):
                found.append(f"{name}/")
    return found


def _keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys = []
    for page in pages(s3, "ListObjectsV2", {"Bucket": bucket, "Prefix": prefix}):
        for item in page.get("Contents") or []:
            key = str(item["Key"])
            if key.endswith(".json.gz") and "CloudTrail-Digest" not in key:
                keys.append(key)
    return keys


def _download(ctx: CollectContext, s3: Any, bucket: str, key: str, region: str) -> None:
    params = {"Bucket": bucket, "Key": key}
    if ctx.resume.find(Kind.TRAIL, "s3:GetObject", params, ctx.account, region) is not None:
        return
    try:
        body = s3.get_object(**params)["Body"].read(MAX_DOCUMENT + 1)
    except Exception as exc:
        record_failure(ctx, Kind.TRAIL, "s3:GetObject", params, region, classify(exc))
        return
    problems: list[str] = []
    if len(body) > MAX_DOCUMENT:
        problems.append(f"trail file larger than {MAX_DOCUMENT} bytes; skipped")
        body = b""
    as_sent: list[bytes] = []
    blocks = iter_record_blocks(open_stream(io.BytesIO(body)), problems, as_sent=as_sent)
    lines = (block.data for block in blocks if block.records)
    first = next(lines, None)
    name = path_segment(key.rsplit("/", 1)[-1].removesuffix(".json.gz"))
    path = (
        f"trail/{path_segment(ctx.account)}/{path_segment(region)}/bucket/{name}{ARTIFACT_SUFFIX}"
    )
    if first is not None:
        ctx.case.put_stream(
            compress_lines(itertools.chain((first,), lines)),
            path,
            kind=Kind.TRAIL,
            api="s3:GetObject",
            params=params,
            account=ctx.account,
            region=region,
        )
        count_artifact(ctx, Kind.TRAIL)
    if as_sent:  # the lines whose lone surrogates became text, as the bucket held them
        keep_as_sent(
            ctx.case,
            as_sent,
            path,
            api="s3:GetObject",
            params=params,
            account=ctx.account,
            region=region,
        )
        count_artifact(ctx, Kind.OTHER)
    for problem in problems:
        ctx.case.record_error(
            kind=Kind.TRAIL,
            api="s3:GetObject",
            params=params,
            error=problem,
            account=ctx.account,
            region=region,
        )


def _day(text: str) -> date:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()
