"""Deliver recorded events as CloudTrail log files into each logging trail's S3 bucket.

A record goes to every trail of its account that was logging when the call was made and
covers its region (same region, or multi-region). Files follow AWS's layout:
`[prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_
<YYYYMMDDTHHMMZ>_<random>.json.gz`, holding `{"Records": [...]}`; the date path is the
events' own time, so backdated scenario events land in the day they claim. Files are written
through moto's S3 backend directly, so delivery itself is not an API call and is not recorded.
"""

from __future__ import annotations

import gzip
import secrets
from collections import defaultdict
from datetime import datetime

import orjson
from moto.cloudtrail.models import cloudtrail_backends
from moto.s3.models import s3_backends

from lambda_ir.emulator.trail_log import TrailEntry, TrailLog

PARTITION = "aws"


def logging_trails(account_id: str, region: str) -> tuple[tuple[str, str, str], ...]:
    """(account, bucket, prefix) of every trail logging now that covers `region`."""
    found = []
    for trail_region, backend in list(cloudtrail_backends[account_id].items()):
        for trail in list(backend.trails.values()):
            if not trail.status.is_logging:
                continue
            if trail_region == region or trail.is_multi_region:
                found.append((account_id, trail.bucket_name, trail.s3_key_prefix or ""))
    return tuple(sorted(set(found)))


def flush(log: TrailLog) -> list[str]:
    """Write every pending entry to its trails' buckets; returns the S3 keys written."""
    batches: dict[tuple[str, str, str, str, str], list[TrailEntry]] = defaultdict(list)
    for entry in log.take_pending():
        minute = entry.time.strftime("%Y%m%dT%H%MZ")
        for account, bucket, prefix in entry.trails:
            batches[(account, bucket, prefix, entry.region, minute)].append(entry)
    written = []
    for (account, bucket, prefix, region, _), entries in sorted(batches.items()):
        key = trail_key(account, region, entries[0].time, prefix)
        body = gzip.compress(orjson.dumps({"Records": [e.record for e in entries]}))
        try:
            s3_backends[account][PARTITION].put_object(bucket, key, body)
        except Exception:  # noqa: S112 - a deleted bucket loses the file, as on AWS
            continue
        written.append(f"{bucket}/{key}")
    return written


def trail_key(account_id: str, region: str, time: datetime, prefix: str = "") -> str:
    """The S3 key AWS gives a CloudTrail log file for events of `time`."""
    head = f"{prefix.rstrip('/')}/" if prefix else ""
    stamp = time.strftime("%Y%m%dT%H%MZ")
    return (
        f"{head}AWSLogs/{account_id}/CloudTrail/{region}/{time:%Y/%m/%d}/"
        f"{account_id}_CloudTrail_{region}_{stamp}_{secrets.token_hex(8)}.json.gz"
    )
