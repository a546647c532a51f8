"""Load CloudTrail artifacts (JSON lines, zstd or gzip) into `trail_events`, de-duplicated.

DuckDB reads the files itself (C++ JSON parser, all threads) and the columns are pulled out
with one multi-path `json_extract_string`, so no inferred struct can break on a new
`requestParameters` shape. Events seen twice (LookupEvents and the trail bucket, or an
import) keep one row per `eventID`. The raw record is not stored twice: `RECORDS` reads each
indexed event's record back from its evidence artifact, in one parallel scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lambda_ir.evidence.index_values import bulk_insert
from lambda_ir.evidence.trail_read import MAX_RECORD

# DuckDB sizes its read buffers by the largest record the import keeps (64 MB cost ~10% more).

# (column, JSON path) pulled out of each record in one pass; the order is the list index.
FIELDS: tuple[tuple[str, str], ...] = (
    ("event_id", "$.eventID"),
    ("event_time", "$.eventTime"),
    ("event_source", "$.eventSource"),
    ("event_name", "$.eventName"),
    ("aws_region", "$.awsRegion"),
    ("account", "$.recipientAccountId"),
    ("actor_arn", "$.userIdentity.arn"),
    ("actor_type", "$.userIdentity.type"),
    ("user_name", "$.userIdentity.userName"),
    ("invoked_by", "$.userIdentity.invokedBy"),
    ("access_key_id", "$.userIdentity.accessKeyId"),
    ("session_issuer_arn", "$.userIdentity.sessionContext.sessionIssuer.arn"),
    ("source_ip", "$.sourceIPAddress"),
    ("user_agent", "$.userAgent"),
    ("read_only", "$.readOnly"),
    ("error_code", "$.errorCode"),
    ("error_message", "$.errorMessage"),
    ("fn_param", "$.requestParameters.functionName"),
    ("fn_response", "$.responseElements.functionName"),
    ("fn_response_arn", "$.responseElements.functionArn"),
    ("qualifier_param", "$.requestParameters.qualifier"),
    ("resources", "$.resources"),
    # Objects come back as their JSON text: one parse of the record serves these too.
    ("request_parameters", "$.requestParameters"),
    ("response_elements", "$.responseElements"),
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
)

_PATHS = "[" + ", ".join(f"'{path}'" for _, path in FIELDS) + "]"
_AT = {name: i + 1 for i, (name, _) in enumerate(FIELDS)}

# One parse per record: every column comes out of one multi-path json_extract_string
# ('v', a list in FIELDS order; objects such as requestParameters come back as JSON text).
_EXTRACT = f"""
    SELECT f.path AS evidence_path, f.sha256 AS evidence_sha256, r.json AS record,
           json_extract_string(r.json, {_PATHS}) AS v
    FROM read_ndjson_objects(?, compression = 'auto_detect', filename = true,
                             maximum_object_size = {MAX_RECORD}) AS r
    JOIN trail_files AS f ON f.abs_path = r.filename
"""  # noqa: S608


def _col(name: str) -> str:
    return f"v[{_AT[name]}]"


# The function touched: request parameters, then response, then a Lambda ARN in `resources`
# (data events such as Invoke name the function only there).
_WITH_FUNCTION = f"""
    SELECT *, coalesce({_col("fn_param")}, {_col("fn_response")}, {_col("fn_response_arn")},
        CASE WHEN {_col("resources")} IS NOT NULL THEN list_filter(
            json_extract_string({_col("resources")}, '$[*].ARN'),
            lambda a: a LIKE '%:function:%')[1] END) AS fn_ref
    FROM ({_EXTRACT})
"""  # noqa: S608

_NORMALISE = f"""
    SELECT
        CASE WHEN {_col("event_id")} IS NULL THEN 'md5:' || md5(record::VARCHAR)
             ELSE {_col("event_id")} END AS event_id,
        -- A TIMESTAMP cast would drop an offset; go through TIMESTAMPTZ to get UTC.
        timezone('UTC', TRY_CAST({_col("event_time")} AS TIMESTAMPTZ)) AS event_time,
        {_col("event_source")} AS event_source,
        {_col("event_name")} AS event_name,
        regexp_replace({_col("event_name")}, '\\d{{4}}_?\\d{{2}}_?\\d{{2}}(v\\d+)?$', '')
            AS operation,
        {_col("aws_region")} AS aws_region,
        {_col("account")} AS account,
        {_col("actor_arn")} AS actor_arn,
        {_col("actor_type")} AS actor_type,
        coalesce({_col("user_name")},
                 CASE WHEN {_col("actor_arn")} LIKE '%:assumed-role/%'
                      THEN regexp_extract({_col("actor_arn")}, '/([^/]+)$', 1) END,
                 {_col("invoked_by")}) AS actor_name,
        {_col("access_key_id")} AS access_key_id,
        {_col("session_issuer_arn")} AS session_issuer_arn,
        {_col("source_ip")} AS source_ip,
        {_col("user_agent")} AS user_agent,
        TRY_CAST({_col("read_only")} AS BOOLEAN) AS read_only,
        {_col("error_code")} AS error_code,
        {_col("error_message")} AS error_message,
        lir_fn_name(fn_ref) AS function_name,
        coalesce({_col("qualifier_param")}, lir_fn_qualifier(fn_ref)) AS qualifier,
        TRY_CAST({_col("request_parameters")} AS JSON) AS request_parameters,
        TRY_CAST({_col("response_elements")} AS JSON) AS response_elements,
        evidence_path,
        evidence_sha256
    FROM ({_WITH_FUNCTION})
"""  # noqa: S608


# Every indexed event (all `trail_events` columns) with its raw `record`, read back from the
# artifact it was indexed from, so a duplicate elsewhere never doubles it. Bind `record_files`
# as the one parameter; add WHERE, ORDER BY and more parameters after it.
RECORDS = f"""
    SELECT e.*, r.json AS record
    FROM read_ndjson_objects(?, compression = 'auto_detect', filename = true,
                             maximum_object_size = {MAX_RECORD}) AS r
    JOIN trail_events AS e
      ON e.event_id = CASE WHEN r.json->>'$.eventID' IS NULL
                           THEN 'md5:' || md5(r.json::VARCHAR) ELSE r.json->>'$.eventID' END
     AND ends_with(r.filename, '/' || e.evidence_path)
"""  # noqa: S608


def record_files(con: duckdb.DuckDBPyConnection, root: Path) -> list[str]:
    """The artifacts `trail_events` rows come from, as absolute paths (for `RECORDS`).

    Empty when nothing is indexed; `read_ndjson_objects` refuses an empty list, so callers
    skip the query then.
    """
    rows = con.execute("SELECT DISTINCT evidence_path FROM trail_events ORDER BY 1").fetchall()
    return [str(root / path) for (path,) in rows]


@dataclass(frozen=True)
class TrailFile:
    """One CloudTrail artifact to load: its case path, hash and absolute path on disk."""

    path: str
    sha256: str
    abs_path: str


def load_trail(con: duckdb.DuckDBPyConnection, files: Sequence[TrailFile]) -> list[str]:
    """Fill `trail_events` from `files`; returns one problem string per file that failed.

    All files go in one parallel scan; if that fails (a damaged artifact), files are
    retried one by one so one bad file costs only itself.
    """
    for macro in MACROS:
        con.execute(macro)
    con.execute("CREATE TEMP TABLE trail_files (path VARCHAR, sha256 VARCHAR, abs_path VARCHAR)")
    bulk_insert(con, "trail_files", [(f.path, f.sha256, f.abs_path) for f in files])
    problems: list[str] = []
    if files:
        try:
            con.execute(f"INSERT INTO trail_events {_NORMALISE}", [[f.abs_path for f in files]])
        except duckdb.Error:
            con.execute("DELETE FROM trail_events")
            problems = _load_one_by_one(con, files)
    _drop_duplicates(con)
    return problems


def _drop_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    """One row per eventID: the copy from the first evidence file (by path) is kept.

    Ties inside one file are broken by the columns' values, so a rebuild keeps the same copy
    (copies alike in all of them are alike in the table).

    Deleting the few extra copies is far cheaper than copying every row through a
    de-duplicating SELECT.
    """
    con.execute(
        """DELETE FROM trail_events WHERE rowid IN (
               SELECT rowid FROM (
                   SELECT rowid, row_number() OVER (PARTITION BY event_id
                       ORDER BY evidence_path, event_time, event_name, actor_arn, source_ip,
                           user_agent, error_code, request_parameters::VARCHAR,
                           response_elements::VARCHAR, rowid) AS copy
                   FROM trail_events WHERE event_id IN (
                       SELECT event_id FROM trail_events GROUP BY event_id HAVING count(*) > 1))
               WHERE copy > 1)"""
    )


def _load_one_by_one(con: duckdb.DuckDBPyConnection, files: Sequence[TrailFile]) -> list[str]:
    problems = []
    for f in files:
        try:
            con.execute(f"INSERT INTO trail_events {_NORMALISE}", [[f.abs_path]])
        except duckdb.Error as exc:
            problems.append(f"{f.path}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return problems
