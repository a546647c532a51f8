"""CloudTrail records in the case as one normalised DuckDB table, `trail_events`.

Built in memory from the trail files the manifest lists (kind `trail`, one record per line,
gzip or plain). Columns match the case index's `trail_events` so detectors' SQL does not
change when the shared index is used. Values from the trail are attacker-influenced: query
them with parameters, never by building SQL from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

# Operation = eventName without Lambda's API-version suffix (AddPermission20150331v2).
_SELECT = r"""
SELECT
  json->>'$.eventID' AS event_id,
  TRY_CAST(json->>'$.eventTime' AS TIMESTAMPTZ) AS event_time,
  json->>'$.eventSource' AS event_source,
  json->>'$.eventName' AS event_name,
  regexp_replace(coalesce(json->>'$.eventName', ''), '\d{8}(v\d+)?$', '') AS operation,
  json->>'$.awsRegion' AS aws_region,
  coalesce(json->>'$.recipientAccountId', json->>'$.userIdentity.accountId') AS account,
  coalesce(json->>'$.userIdentity.arn', json->>'$.userIdentity.invokedBy', '') AS actor_arn,
  coalesce(json->>'$.userIdentity.type', '') AS actor_type,
  CASE WHEN json->>'$.userIdentity.type' = 'AssumedRole'
       THEN regexp_extract(coalesce(json->>'$.userIdentity.arn', ''), '[^/]+$')
       ELSE coalesce(json->>'$.userIdentity.userName',
                     regexp_extract(coalesce(json->>'$.userIdentity.arn', ''), '[^/:]+$'), '')
  END AS actor_name,
  coalesce(json->>'$.userIdentity.accessKeyId', '') AS access_key_id,
  coalesce(json->>'$.userIdentity.sessionContext.sessionIssuer.arn', '') AS session_issuer_arn,
  coalesce(json->>'$.sourceIPAddress', '') AS source_ip,
  coalesce(json->>'$.userAgent', '') AS user_agent,
  TRY_CAST(json->>'$.readOnly' AS BOOLEAN) AS read_only,
  json->>'$.errorCode' AS error_code,
  json->>'$.errorMessage' AS error_message,
  CASE WHEN starts_with(coalesce(json->>'$.requestParameters.functionName', ''), 'arn:')
       THEN split_part(json->>'$.requestParameters.functionName', ':', 7)
       ELSE json->>'$.requestParameters.functionName' END AS function_name,
  coalesce(json->>'$.requestParameters.qualifier',
           nullif(split_part(coalesce(json->>'$.requestParameters.functionName', ''), ':', 8), ''))
    AS qualifier,
  json->'$.requestParameters' AS request_parameters,
  json->'$.responseElements' AS response_elements,
  json AS record,
  f.rel_path AS evidence_path,
  f.sha256 AS evidence_sha256
FROM read_json_objects(?, format = 'newline_delimited', filename = true) AS r
JOIN trail_files AS f ON f.abs_path = r.filename
"""

_EMPTY = """
CREATE TABLE trail_events (
  event_id VARCHAR, event_time TIMESTAMPTZ, event_source VARCHAR, event_name VARCHAR,
  operation VARCHAR, aws_region VARCHAR, account VARCHAR, actor_arn VARCHAR, actor_type VARCHAR,
  actor_name VARCHAR, access_key_id VARCHAR, session_issuer_arn VARCHAR, source_ip VARCHAR,
  user_agent VARCHAR, read_only BOOLEAN, error_code VARCHAR, error_message VARCHAR,
  function_name VARCHAR, qualifier VARCHAR, request_parameters JSON, response_elements JSON,
  record JSON, evidence_path VARCHAR, evidence_sha256 VARCHAR)
"""


@dataclass(frozen=True)
class TrailFile:
    """One trail file of the case: where it is on disk, and how the manifest names it."""

    abs_path: Path
    rel_path: str
    sha256: str


def build_trail_table(files: Sequence[TrailFile]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection holding `trail_events` built from `files`.

    Reads only; each row keeps the path and SHA-256 of the file it came from, which is the
    evidence a finding cites.
    """
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    if not files:
        con.execute(_EMPTY)
        return con
    con.execute("CREATE TABLE trail_files (abs_path VARCHAR, rel_path VARCHAR, sha256 VARCHAR)")
    con.executemany(
        "INSERT INTO trail_files VALUES (?, ?, ?)",
        [(str(f.abs_path), f.rel_path, f.sha256) for f in files],
    )
    con.execute(
        "CREATE TABLE trail_events AS " + _SELECT,
        [[str(f.abs_path) for f in files]],
    )
    return con
