"""Load CloudWatch Logs artifacts into `log_events`, and their REPORT lines into `report_lines`.

Each `logs` artifact is JSON lines of raw events as FilterLogEvents returned them
(`timestamp` in ms, `message`, `logStreamName`); the manifest entry says the account,
region and log group (`params.logGroupName`) and, when the group is not
`/aws/lambda/<name>`, the function in `meta.function_name`.
"""

from __future__ import annotations

import duckdb

from lambda_ir.evidence import logs
from lambda_ir.evidence.case import Case

MAX_EVENT = 16 << 20

_FILES = """
    CREATE TEMP TABLE log_files AS
    SELECT path, sha256, ? || '/' || path AS abs_path, account, region,
           params->>'logGroupName' AS log_group,
           coalesce(meta->>'function_name',
                    nullif(regexp_extract(params->>'logGroupName', '^/aws/lambda/(.+)$', 1), ''))
               AS function_name
    FROM manifest WHERE kind = 'logs' AND error IS NULL AND path LIKE '%.jsonl.gz'
"""

# SQL is assembled from constants only; every value is a parameter. Collections over
# overlapping windows store the same event twice: keep one per log group and eventId.
_EVENTS = f"""
    INSERT INTO log_events
    SELECT f.account, f.region, f.log_group, r.logStreamName, f.function_name,
           nullif(regexp_extract(r.logStreamName, '\\[([^\\]]+)\\]', 1), ''),
           make_timestamp(r."timestamp" * 1000), r.message,
           nullif(regexp_extract(r.message, $rid, 1), ''), f.path, f.sha256
    FROM read_json($files, format = 'newline_delimited', compression = 'gzip',
                   filename = true, ignore_errors = true, maximum_object_size = {MAX_EVENT},
                   columns = {{'timestamp': 'BIGINT', 'message': 'VARCHAR',
                              'logStreamName': 'VARCHAR', 'eventId': 'VARCHAR'}}) AS r
    JOIN log_files AS f ON f.abs_path = r.filename
    QUALIFY row_number() OVER (
        PARTITION BY f.account, f.region, f.log_group,
                     coalesce(r.eventId, r.logStreamName || ':' || r."timestamp" || ':'
                              || md5(coalesce(r.message, '')))
        ORDER BY f.path) = 1
"""  # noqa: S608


def _report_sql() -> str:
    fields = {
        name: f"nullif(regexp_extract(message, ${name}, 1), '')" for name, _ in logs.REPORT_FIELDS
    }
    return f"""
    INSERT INTO report_lines
    SELECT account, region, function_name, version, log_stream, ts,
           {fields["request_id"]} AS rid,
           TRY_CAST({fields["duration_ms"]} AS DOUBLE), TRY_CAST({fields["billed_ms"]} AS DOUBLE),
           TRY_CAST({fields["memory_mb"]} AS INTEGER),
           TRY_CAST({fields["max_memory_mb"]} AS INTEGER), TRY_CAST({fields["init_ms"]} AS DOUBLE),
           coalesce(lower({fields["status"]}),
               CASE WHEN EXISTS (SELECT 1 FROM log_events o WHERE o.request_id = rid
                                 AND o.log_stream = r.log_stream
                                 AND regexp_matches(o.message, $timeout)) THEN 'timeout'
                    WHEN EXISTS (SELECT 1 FROM log_events o WHERE o.request_id = rid
                                 AND o.log_stream = r.log_stream
                                 AND regexp_matches(o.message, $error)) THEN 'error'
                    ELSE 'success' END),
           evidence_path, evidence_sha256
    FROM log_events r WHERE starts_with(ltrim(message), $prefix)
    """  # noqa: S608


_JSON_PATHS = "[" + ", ".join(f"'{path}'" for _, path in logs.JSON_REPORT_FIELDS) + "]"

# LoggingConfig `LogFormat: JSON`: the REPORT is a `platform.report` event.
_JSON_REPORTS = f"""
    INSERT INTO report_lines
    SELECT account, region, function_name, version, log_stream, ts, j[1],
           TRY_CAST(j[2] AS DOUBLE), TRY_CAST(j[3] AS DOUBLE), TRY_CAST(j[4] AS INTEGER),
           TRY_CAST(j[5] AS INTEGER), TRY_CAST(j[6] AS DOUBLE), lower(j[7]),
           evidence_path, evidence_sha256
    FROM (SELECT *, json_extract_string(message, {_JSON_PATHS}) AS j
          FROM log_events
          WHERE starts_with(ltrim(message), '{{') AND contains(message, $type)
            AND json_valid(message) AND json_extract_string(message, '$.type') = $type)
"""  # noqa: S608


def load_logs(con: duckdb.DuckDBPyConnection, case: Case) -> list[str]:
    """Fill `log_events` and `report_lines`; returns problems (files that could not be read)."""
    con.execute(_FILES, [str(case.root)])
    rows = con.execute("SELECT abs_path, path FROM log_files").fetchall()
    readable = [absolute for absolute, _ in rows if case.path(_rel(absolute, case)).is_file()]
    problems = [f"{path}: listed in the manifest, missing" for a, path in rows if a not in readable]
    if readable:
        try:
            con.execute(_EVENTS, {"files": readable, "rid": logs.REQUEST_ID})
        except duckdb.Error as exc:
            problems.append(f"log events: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    params = dict(logs.REPORT_FIELDS)
    params.update(timeout=logs.TIMEOUT, error=logs.ERROR, prefix=logs.REPORT_PREFIX)
    con.execute(_report_sql(), params)
    con.execute(_JSON_REPORTS, {"type": logs.JSON_REPORT_TYPE})
    return problems


def _rel(absolute: str, case: Case) -> str:
    return absolute[len(str(case.root)) + 1 :]
