"""Load CloudTrail artifacts (JSON lines, zstd or gzip) into `trail_events`, de-duplicated.

DuckDB's JSON reader parses the files itself (all threads) into declared columns (`COLUMNS`,
VARCHAR or JSON only), so no inferred struct can break on a new `requestParameters` shape.
Events seen twice (LookupEvents and the trail bucket, or an import) keep one row per
`eventID`; a record without one is keyed by the hash of its bytes. The raw record is not
stored twice: `records_query` reads indexed events' records back from their evidence
artifacts, in one parallel scan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lambda_ir.evidence.index_values import bulk_insert
from lambda_ir.evidence.trail_read import MAX_RECORD

# The record's fields the index reads, declared (never inferred) for DuckDB's JSON reader,
# which parses them in place. Only VARCHAR and JSON, which take any JSON value (an object as
# its text), so no record can fail a scan on a new shape; nested fields come out of the JSON
# ones. `requestParameters` and `responseElements` stay JSON: hundreds of shapes.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("eventID", "VARCHAR"),
    ("eventTime", "VARCHAR"),
    ("eventSource", "VARCHAR"),
    ("eventName", "VARCHAR"),
    ("awsRegion", "VARCHAR"),
    ("recipientAccountId", "VARCHAR"),
    ("sourceIPAddress", "VARCHAR"),
    ("userAgent", "VARCHAR"),
    ("readOnly", "VARCHAR"),
    ("errorCode", "VARCHAR"),
    ("errorMessage", "VARCHAR"),
    ("userIdentity", "JSON"),
    ("requestParameters", "JSON"),
    ("responseElements", "JSON"),
    ("resources", "JSON"),
)
_GLOB = re.compile(r"([*?\[])")
# Every reader below takes the import's MAX_RECORD as its largest object; DuckDB sizes its
# read buffers by it (64 MB cost ~10% more).
_READ_COLUMNS = "{" + ", ".join(f"{name}: '{kind}'" for name, kind in COLUMNS) + "}"

# `eventTime` as CloudTrail writes it (`2024-05-01T10:00:00Z`), a fraction or an offset allowed.
EVENT_TIME_SHAPE = (
    r"(19[7-9]\d|[2-9]\d{3})-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d(:?\d\d)?)?"
)

# ARN, partial ARN (`123456789012:function:name`) or `name[:qualifier]` -> name / qualifier.
MACROS = (
    """CREATE OR REPLACE TEMP MACRO lir_fn_name(x) AS CASE
        WHEN x IS NULL OR x = '' THEN NULL
        WHEN x LIKE '%:function:%' THEN split_part(split_part(x, ':function:', 2), ':', 1)
        WHEN x LIKE 'arn:%' THEN NULL
        ELSE split_part(x, ':', 1) END""",
    """CREATE OR REPLACE TEMP MACRO lir_fn_qualifier(x) AS CASE
        WHEN x LIKE '%:function:%'
            THEN nullif(split_part(split_part(x, ':function:', 2), ':', 2), '')
        WHEN x LIKE 'arn:%' THEN NULL
        ELSE nullif(split_part(x, ':', 2), '') END""",
    # Only a time shaped as CloudTrail writes it (ISO 8601, a year of 1970-9999) is one:
    # a bare cast also took DuckDB's 'infinity', 'epoch' (as 1970-01-01) and years such as
    # 10000 or 2 BC, which Python cannot hold, and each made detectors fail. An offset can
    # carry 9999-12-31 past 9999, so that day is refused too; anything else is NULL.
    f"""CREATE OR REPLACE TEMP MACRO lir_event_time(x) AS CASE
        WHEN x < '9999-12-31' AND regexp_full_match(x, '{EVENT_TIME_SHAPE}')
            THEN timezone('UTC', TRY_CAST(x AS TIMESTAMPTZ)) END""",
)

# Every record with an eventID, read by DuckDB's JSON reader straight into the columns.
_BY_EVENT_ID = f"""
    SELECT f.path AS evidence_path, f.sha256 AS evidence_sha256, NULL AS fallback_id, r.*
    FROM read_json(?, format = 'newline_delimited', columns = {_READ_COLUMNS},
                   compression = 'auto_detect', filename = true,
                   maximum_object_size = {MAX_RECORD}) AS r
    JOIN trail_files AS f ON f.abs_path = r.filename
"""  # noqa: S608


def _field(name: str, kind: str) -> str:
    if kind == "VARCHAR":
        return f"r.json->>'$.{name}' AS {name}"
    return f"nullif(r.json->'$.{name}', 'null') AS {name}"  # as the reader: JSON null is NULL


# From the raw lines, field by field: the rare record without an eventID (its id is then the
# hash of its bytes), and files the JSON reader refuses (a key given twice in one record).
_RAW_LINES = f"""
    SELECT f.path AS evidence_path, f.sha256 AS evidence_sha256,
           CASE WHEN r.json->>'$.eventID' IS NULL THEN 'md5:' || md5(r.json::VARCHAR) END
               AS fallback_id,
           {", ".join(_field(name, kind) for name, kind in COLUMNS)}
    FROM read_ndjson_objects(?, compression = 'auto_detect', filename = true,
                             maximum_object_size = {MAX_RECORD}) AS r
    JOIN trail_files AS f ON f.abs_path = r.filename
"""  # noqa: S608


def _normalise(source: str) -> str:
    """One `trail_events` row per record of `source` (one of the two above)."""
    nested = f"""
        SELECT *,
            json_extract_string(userIdentity, ['$.arn', '$.type', '$.userName', '$.invokedBy',
                '$.accessKeyId', '$.sessionContext.sessionIssuer.arn', '$.accountId',
                '$.principalId']) AS who,
            json_extract_string(requestParameters, ['$.functionName', '$.qualifier']) AS req,
            json_extract_string(responseElements, ['$.functionName', '$.functionArn']) AS resp
        FROM ({source})
    """  # noqa: S608
    # The function touched: request parameters, then response, then a Lambda ARN in
    # `resources` (data events such as Invoke name the function only there).
    with_function = f"""
        SELECT *, coalesce(req[1], resp[1], resp[2],
            CASE WHEN resources IS NOT NULL THEN list_filter(
                json_extract_string(resources, '$[*].ARN'),
                lambda a: a LIKE '%:function:%')[1] END) AS fn_ref
        FROM ({nested})
    """  # noqa: S608
    return f"""
    SELECT
        coalesce(eventID, fallback_id) AS event_id,
        lir_event_time(eventTime) AS event_time,
        eventSource AS event_source,
        eventName AS event_name,
        regexp_replace(eventName, '\\d{{4}}_?\\d{{2}}_?\\d{{2}}(v\\d+)?$', '') AS operation,
        awsRegion AS aws_region,
        recipientAccountId AS account,
        who[1] AS actor_arn,
        who[2] AS actor_type,
        -- Another account's caller (AWSAccount) has no ARN: its account and principal id
        -- (without a session name) name it.
        CASE WHEN who[2] = 'AWSAccount' AND coalesce(who[1], '') = ''
             THEN nullif(concat_ws('/', who[7], nullif(split_part(who[8], ':', 1), '')), '')
             ELSE coalesce(who[3],
                 CASE WHEN who[1] LIKE '%:assumed-role/%'
                      THEN regexp_extract(who[1], '/([^/]+)$', 1) END,
                 who[4]) END AS actor_name,
        who[5] AS access_key_id,
        who[6] AS session_issuer_arn,
        sourceIPAddress AS source_ip,
        userAgent AS user_agent,
        TRY_CAST(readOnly AS BOOLEAN) AS read_only,
        errorCode AS error_code,
        errorMessage AS error_message,
        lir_fn_name(fn_ref) AS function_name,
        coalesce(req[2], lir_fn_qualifier(fn_ref)) AS qualifier,
        requestParameters AS request_parameters,
        responseElements AS response_elements,
        evidence_path,
        evidence_sha256
    FROM ({with_function})
    """  # noqa: S608


def records_query(where: str, extra: str = "") -> str:
    """SQL for the indexed events whose raw `record` matches `where`: every `trail_events`
    column and `record`, each read back from the artifact its row was made from (so a
    duplicate elsewhere never doubles it).

    `where` is a constant clause on `record` (and on `extra`, columns computed from it); it
    runs during the scan, before the join, so the join holds only the hits. Parameters: the
    `record_files` list, then those of `extra` and `where`. An event its file holds twice
    comes back twice (callers keep one: ordering by event_id puts the copies side by side).
    """
    scan = f"""SELECT json AS record, filename
        FROM read_ndjson_objects(?, compression = 'auto_detect', filename = true,
                                 maximum_object_size = {MAX_RECORD})"""  # noqa: S608
    if extra:
        scan = f"SELECT *, {extra} FROM ({scan})"  # noqa: S608
    return f"""
    SELECT e.*, r.* EXCLUDE (filename)
    FROM (SELECT * FROM ({scan}) WHERE {where}) AS r
    JOIN trail_events AS e
      ON e.event_id = CASE WHEN r.record->>'$.eventID' IS NULL
                           THEN 'md5:' || md5(r.record::VARCHAR) ELSE r.record->>'$.eventID' END
     AND ends_with(r.filename, '/' || e.evidence_path)
    """  # noqa: S608


def record_files(con: duckdb.DuckDBPyConnection, root: Path) -> list[str]:
    """The artifacts `trail_events` rows come from, as absolute paths (for `records_query`).

    Empty when nothing is indexed; `read_ndjson_objects` refuses an empty list, so callers
    skip the query then.
    """
    rows = con.execute("SELECT DISTINCT evidence_path FROM trail_events ORDER BY 1").fetchall()
    return [literal_path(str(root / path)) for (path,) in rows]


@dataclass(frozen=True)
class TrailFile:
    """One CloudTrail artifact to load: its case path, hash and absolute path on disk."""

    path: str
    sha256: str
    abs_path: str
    partial: bool = False  # a listing stored only up to a failed page (`meta.complete` false)


def load_trail(con: duckdb.DuckDBPyConnection, files: Sequence[TrailFile]) -> list[str]:
    """Fill `trail_events` from `files`; returns one problem string per file that failed.

    All files go in one parallel scan; if that fails (a damaged artifact), files are
    retried one by one so one bad file costs only itself.
    """
    for macro in MACROS:
        con.execute(macro)
    con.execute(
        "CREATE TEMP TABLE trail_files (path VARCHAR, sha256 VARCHAR, abs_path VARCHAR, "
        "partial BOOLEAN)"
    )
    bulk_insert(con, "trail_files", [(f.path, f.sha256, f.abs_path, f.partial) for f in files])
    problems: list[str] = []
    if files:
        try:
            con.execute(_INSERT_BY_EVENT_ID, [[literal_path(f.abs_path) for f in files]])
        except duckdb.Error:
            con.execute("DELETE FROM trail_events")
            problems = _load_one_by_one(con, files)
        _add_records_without_event_id(con)
    _drop_duplicates(con)
    return problems + _untimed(con)


_INSERT_BY_EVENT_ID = f"INSERT INTO trail_events {_normalise(_BY_EVENT_ID)}"
_INSERT_RAW_LINES = f"INSERT INTO trail_events {_normalise(_RAW_LINES)}"
_WITHOUT_EVENT_ID = _RAW_LINES + "WHERE r.json->>'$.eventID' IS NULL"
_INSERT_WITHOUT_EVENT_ID = f"INSERT INTO trail_events {_normalise(_WITHOUT_EVENT_ID)}"


def literal_path(path: str) -> str:
    """A path DuckDB's file readers take literally: they expand `*`, `?` and `[…]` as a glob
    (a case folder named `case[1]` would read `case1`'s evidence)."""
    return _GLOB.sub(r"[\1]", path)


def _add_records_without_event_id(con: duckdb.DuckDBPyConnection) -> None:
    """Re-read, from the raw lines, the records the fast scan found without an eventID.

    Only the files holding such records are read again (usually none).
    """
    found = con.execute(
        """SELECT abs_path FROM trail_files WHERE path IN (
               SELECT DISTINCT evidence_path FROM trail_events WHERE event_id IS NULL)
           ORDER BY path"""
    ).fetchall()
    if found:
        con.execute("DELETE FROM trail_events WHERE event_id IS NULL")
        con.execute(_INSERT_WITHOUT_EVENT_ID, [[literal_path(path) for (path,) in found]])


def _untimed(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One warning per artifact holding events without a time: they are indexed (a DeleteTrail
    with a forged time is still a DeleteTrail), but no time window or baseline day has them."""
    found = con.execute(
        "SELECT evidence_path, count(*) FROM trail_events WHERE event_time IS NULL "
        "GROUP BY evidence_path ORDER BY evidence_path"
    ).fetchall()
    return [
        f"{path}: {count} event(s) without a time (eventTime missing, or not an ISO 8601 time "
        "of 1970-9999): indexed with event_time NULL"
        for path, count in found
    ]


def _drop_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    """One row per eventID: the copy from the first evidence file (by path) is kept, a
    complete listing's before a partial one's (a LookupEvents read again whole after a page
    failed holds the partial attempt's events too).

    Ties inside one file are broken by the columns' values, so a rebuild keeps the same copy
    (copies alike in all of them are alike in the table).

    Deleting the few extra copies is far cheaper than copying every row through a
    de-duplicating SELECT.
    """
    con.execute(
        """DELETE FROM trail_events WHERE rowid IN (
               SELECT rowid FROM (
                   SELECT e.rowid, row_number() OVER (PARTITION BY e.event_id
                       ORDER BY coalesce(f.partial, false), e.evidence_path, e.event_time,
                           e.event_name, e.actor_arn, e.source_ip, e.user_agent, e.error_code,
                           e.request_parameters::VARCHAR, e.response_elements::VARCHAR,
                           e.rowid) AS copy
                   FROM trail_events AS e LEFT JOIN trail_files AS f ON f.path = e.evidence_path
                   WHERE e.event_id IN (
                       SELECT event_id FROM trail_events GROUP BY event_id HAVING count(*) > 1))
               WHERE copy > 1)"""
    )


def _load_one_by_one(con: duckdb.DuckDBPyConnection, files: Sequence[TrailFile]) -> list[str]:
    """Each file alone; one the JSON reader refuses is read again from its raw lines (and
    said so), and only a file neither can read is lost."""
    problems = []
    for f in files:
        try:
            con.execute(_INSERT_BY_EVENT_ID, [[literal_path(f.abs_path)]])
            continue
        except duckdb.Error as exc:
            refused = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        try:
            con.execute(_INSERT_RAW_LINES, [[literal_path(f.abs_path)]])
            problems.append(f"{f.path}: read line by line, the JSON reader refused it: {refused}")
        except duckdb.Error as exc:
            problems.append(f"{f.path}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return problems
