"""CloudTrail calls from the case index (`trail_events`), one event per call, in time order.

An event's kind is the call's operation without its API-version suffix (`UpdateFunctionCode`,
not `UpdateFunctionCode20150331v2`), as the index normalises it.

Read through DuckDB so a month of trail streams instead of loading into memory; nothing
from a record is ever put into SQL text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import orjson

from lambda_ir.analyze.unknowns import UNNAMED_CALL
from lambda_ir.evidence.index_schema import FOREIGN_CALLER_SQL
from lambda_ir.model import EvidenceRef, TimelineEvent
from lambda_ir.timeline.clock import UTC_ISO_RAW_SQL, UTC_ISO_SQL, utc_iso

# The actor is `Actor.key`: the ARN, or for another account's caller `account:…`.
_QUERY = f"""
SELECT {UTC_ISO_SQL.format(column="event_time")}, coalesce(operation, event_name), event_source,
       function_name, qualifier,
       coalesce(nullif(actor_arn, ''), {FOREIGN_CALLER_SQL}), actor_name, source_ip,
       error_code, CAST(request_parameters AS VARCHAR), evidence_path, evidence_sha256,
       account, aws_region, access_key_id, event_id, {UTC_ISO_RAW_SQL.format(column="event_time")}
FROM trail_events ORDER BY event_time, event_id
"""  # noqa: S608 - constant SQL
_BATCH = 5000
# A call whose time `_event` cannot read: no eventTime the index read as a time (missing, a
# number, `Nov 2, 2026 …`), or one outside the years Python has (a BC date, year 294247;
# infinity reads as Python's largest or smallest datetime, and stays).
_UNREADABLE = (
    "event_time IS NULL OR (isfinite(event_time) AND year(event_time) NOT BETWEEN 1 AND 9999)"
)
# What `trail_events` yields, counted: a call without a time is no event.
_COUNT = f"""SELECT count(*) FILTER (WHERE NOT ({_UNREADABLE})),
    count(*) FILTER (WHERE NOT ({_UNREADABLE}) AND ({{own}})) FROM trail_events"""  # noqa: S608
SHOWN = 3  # event ids a warning names, to find the calls by (`lambda-ir search -F`)
_LEFT_OUT = f"""SELECT (SELECT count(*) FROM trail_events WHERE {_UNREADABLE}),
    (SELECT list(left(event_id, 80)) FROM (SELECT event_id FROM trail_events
     WHERE {_UNREADABLE} ORDER BY evidence_path, event_id LIMIT {SHOWN}))"""  # noqa: S608


def trail_events(con: duckdb.DuckDBPyConnection) -> Iterator[TimelineEvent]:
    """Every indexed CloudTrail call as a `cloudtrail` event, oldest first, streamed; those
    whose time it cannot read are left out (`left_out` says how many)."""
    cursor = con.execute(_QUERY)
    while rows := cursor.fetchmany(_BATCH):
        for row in rows:
            event = _event(row)
            if event is not None:
                yield event


def trail_count(
    con: duckdb.DuckDBPyConnection, own: tuple[str, list[Any]] | None = None
) -> tuple[int, int]:
    """How many events `trail_events` yields, and how many of them match `own` (a condition
    and its parameters: the collector's own calls, `own_footprints.OwnCalls.where`), counted
    by DuckDB rather than built."""
    where, params = own or ("false", [])
    found = con.execute(_COUNT.format(own=where), params).fetchone() or (0, 0)
    return int(found[0]), int(found[1] or 0)


def left_out(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A warning when `trail_events` leaves calls out for a time it cannot read, with how
    many and the ids of a few: `analyze` still reads them (a finding on one cites it), and
    a timeline that dropped them in silence read as if they never happened."""
    found = con.execute(_LEFT_OUT).fetchone()
    count, ids = (int(found[0]), list(found[1] or [])) if found else (0, [])
    if not count:
        return []
    more = ", …" if count > len(ids) else ""
    return [
        f"{count} CloudTrail event(s) left out of the timeline: their eventTime is not a time "
        "it can read (missing, not ISO-8601, or outside the years 1 to 9999); analyze reads "
        "them, and `lambda-ir search -F <eventID> --in trail` finds each (eventID "
        f"{', '.join(str(i) for i in ids)}{more})"
    ]


def _event(row: tuple[Any, ...]) -> TimelineEvent | None:
    (when, name, source, function, qualifier, actor, actor_name, ip, error, params, path, sha) = (
        row[:12]
    )
    account, region, key_id, event_id = (str(value or "") for value in row[12:16])
    # `utc_iso`'s text, made by DuckDB (UTC_ISO_SQL), or the time it could not format
    time = str(when) if when else utc_iso(row[16])
    if time is None:
        return None
    resource = (
        f"{function}:{qualifier}" if function and qualifier else str(function or source or "")
    )
    detail = _detail(str(name or ""), _params(params))
    # a record without eventName or eventSource says so, never "None on None"
    summary = f"{name or UNNAMED_CALL}{detail}"
    if resource:
        summary += f" on {resource}"
    summary += f" by {actor_name or actor or 'unknown'}"
    if ip:
        summary += f" from {ip}"
    if error:
        summary += f" (failed: {error})"
    return TimelineEvent(
        time=time,
        source="cloudtrail",
        kind=str(name or "unknown"),
        resource=resource,
        summary=summary,
        actor=str(actor or ""),
        evidence=(EvidenceRef(path=str(path or ""), sha256=str(sha or "")),),
        account=account,
        region=region,
        function=str(function or ""),
        version=str(qualifier or ""),
        source_ip=str(ip or ""),
        access_key_id=key_id,
        event_id=event_id,
    )


def _params(raw: object) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = orjson.loads(str(raw))
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _detail(name: str, params: dict[str, Any]) -> str:
    """The one request detail that makes a Lambda call readable (alias moves above all)."""
    if name.startswith(("UpdateAlias", "CreateAlias")) and params.get("functionVersion"):
        return f" (alias {params.get('name', '?')} → version {params['functionVersion']})"
    if name.startswith("AddPermission") and params.get("principal"):
        return f" (grants {params.get('action', '?')} to {params['principal']})"
    if name.startswith("UpdateFunctionConfiguration") and params:
        return f" (sets {', '.join(sorted(params)[:6])})"
    if name.startswith("PublishLayerVersion") and params.get("layerName"):
        return f" (layer {params['layerName']})"
    return ""
