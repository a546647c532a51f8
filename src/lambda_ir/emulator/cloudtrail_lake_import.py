"""CloudTrail Lake's StartImport and GetImport in the emulator: trail files copied into stores.

StartImport reads the CloudTrail files (`…/CloudTrail/…json.gz`) in the emulator's S3 under
the import source's S3LocationUri and copies each record whose eventTime falls within
StartEventTime and EndEventTime into every destination store; the import is COMPLETED at
once and GetImport reports how many events it copied. A bucket that is not there is an
InvalidImportSourceException, a destination that is not a store of the caller's an
EventDataStoreNotFoundException.
"""

from __future__ import annotations

import gzip
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends

from lambda_ir.emulator.cloudtrail_lake_state import LakeState, find_store, not_found, ok
from lambda_ir.emulator.http import Response, json_error
from lambda_ir.emulator.identity import PARTITION


def start_import(
    state: LakeState, params: dict[str, Any], account: str, region: str, now: datetime
) -> Response:
    stores = [find_store(state, str(d), account, region) for d in params.get("Destinations") or []]
    if not stores or None in stores:
        return not_found(str(params.get("Destinations")))
    source = (params.get("ImportSource") or {}).get("S3") or {}
    location = str(source.get("S3LocationUri", ""))
    bucket_name, _, prefix = location.removeprefix("s3://").partition("/")
    start, end = (
        _when(params.get("StartEventTime"), 0.0),
        _when(params.get("EndEventTime"), now.timestamp()),
    )
    try:
        bucket = s3_backends[account][PARTITION].get_bucket(bucket_name)
    except MissingBucket:
        return json_error("InvalidImportSourceException", f"Bucket {bucket_name} cannot be read.")
    copied = 0
    for key, stored in list(bucket.keys.items()):
        if not (key.startswith(prefix) and key.endswith(".json.gz") and "/CloudTrail/" in key):
            continue
        for record in orjson.loads(gzip.decompress(stored.value)).get("Records") or []:
            moment = _when(record.get("eventTime"), -1.0)
            if start <= moment <= end:
                for store in stores:
                    if store is not None:
                        store.imported.append(record)
                copied += 1
    import_id = str(uuid.uuid4())
    found: dict[str, Any] = {
        "ImportId": import_id,
        "Destinations": [s.arn for s in stores if s is not None],
        "ImportSource": params.get("ImportSource"),
        "StartEventTime": start,
        "EndEventTime": end,
        "ImportStatus": "COMPLETED",
        "CreatedTimestamp": now.timestamp(),
        "UpdatedTimestamp": now.timestamp(),
        "ImportStatistics": {"EventsCompleted": copied, "FailedEntries": 0},
    }
    with state.lock:
        state.imports[import_id] = found
    return ok({k: v for k, v in found.items() if k != "ImportStatistics"})


def get_import(state: LakeState, params: dict[str, Any]) -> Response:
    with state.lock:
        found = state.imports.get(str(params.get("ImportId", "")))
    return ok(found) if found else json_error("ImportNotFoundException", "Import not found.")


def _when(value: Any, default: float) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return default
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return default
