"""Load CloudWatch Logs artifacts into `log_events`, and their REPORT lines into `report_lines`.

Each `logs` artifact is JSON lines of raw events as FilterLogEvents returned them
(`timestamp` in ms, `message`, `logStreamName`); the manifest entry says the account,
region and log group (`params.logGroupName`) and, when the group is not
`/aws/lambda/<name>`, the function in `meta.function_name`.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from lambda_ir.evidence import logs
from lambda_ir.evidence.case import Case

MAX_EVENT = 16 << 20

# The function a log group is about, on a manifest row `m`: `<name>` of `/aws/lambda/<name>`
# when that function's configuration is in the case (its own group, whoever else logs
# there), else the function whose configuration named the group when it was read
# (`meta.function_name`: a group several functions share is read once, for the first of
# them; a custom group may be named `/aws/lambda/shared-app`), else `<name>`.
_OWN_GROUP = "nullif(regexp_extract(m.params->>'logGroupName', '^/aws/lambda/(.+)$', 1), '')"
FUNCTION_SQL = f"""coalesce(
    (SELECT any_value(v.function_name) FROM versions AS v
     WHERE v.account = m.account AND v.region = m.region AND v.function_name = {_OWN_GROUP}),
    m.meta->>'function_name', {_OWN_GROUP})"""  # noqa: S608

_FILES = f"""
    CREATE TEMP TABLE log_files AS
    SELECT path, sha256, ? || '/' || path AS abs_path, account, region,
           params->>'logGroupName' AS log_group, {FUNCTION_SQL} AS function_name,
           coalesce(meta->>'complete' = 'false', false) AS partial
    FROM manifest AS m WHERE kind = 'logs' AND error IS NULL AND path LIKE '%.jsonl.gz'
"""  # noqa: S608

# The function a stream of a custom log group belongs to: Lambda names such a stream
# `YYYY/MM/DD/<function>[<version>]<id>` so that functions can share the group (docs:
# lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html); a default group's streams
# (`YYYY/MM/DD/[<version>]<id>`) name none, and the group's function stands. Anyone who may
# write to a group can name a stream so: the name counts only for a function whose collected
# configuration (some version's `LoggingConfig`) sends its logs to that group.
STREAM_FUNCTION = r"^\d{4}/\d{2}/\d{2}/([^\[\]/]+)\["

# Which group each collected version of a function logs to (`versions`, filled before logs),
# and which functions' configurations the case holds: a stream named for one of those counts
# only in a group its configuration names; one named for a function the case holds no
# configuration of (not collected, deleted, its reads denied) counts as named.
_WRITERS = """
    CREATE TEMP TABLE log_writers AS
    SELECT DISTINCT account, region, function_name,
           coalesce(logging_config->>'LogGroup', '/aws/lambda/' || function_name) AS log_group
    FROM versions WHERE function_name IS NOT NULL
"""
_CONFIGURED = """
    CREATE TEMP TABLE log_configured AS
    SELECT DISTINCT account, region, function_name FROM log_writers
"""

_PATTERNS = {"rid": logs.REQUEST_ID, "stream_function": STREAM_FUNCTION}

# Event times the index keeps, in ms: the years 1 to 9999, which every reader of `ts` (Python's
# datetime, the timeline's format) can hold. DuckDB takes more (to year 294247), and a BIGINT
# past ±9.2e15 overflows `* 1000`: either way one such event failed the whole scan.
FIRST_MS = -62_135_596_800_000
LAST_MS = 253_402_300_799_999
_IN_RANGE = f'"timestamp" BETWEEN {FIRST_MS} AND {LAST_MS}'

_READ = f"""read_json($files, format = 'newline_delimited', compression = 'gzip',
                   filename = true, ignore_errors = true, maximum_object_size = {MAX_EVENT},
                   columns = {{'timestamp': 'BIGINT', 'message': 'VARCHAR',
                              'logStreamName': 'VARCHAR', 'eventId': 'VARCHAR'}})"""
# The fast path's time: an event out of range stops the scan (then `_load_one_by_one`
# leaves it out and counts it), so a scan that succeeds has left nothing out.
_STRICT_TS = f"""CASE WHEN "timestamp" IS NULL OR {_IN_RANGE}
    THEN make_timestamp("timestamp" * 1000) ELSE error('a log event time out of range') END"""


def _events_sql(source: str, ts: str) -> str:
    """Insert the events of `source` (rows of `_READ`'s columns and `filename`) into
    `log_events`. SQL is assembled from constants only; every value is a parameter.
    Collections over overlapping windows, and a listing read again whole after a partial
    attempt (`meta.complete` false), store the same event twice: keep one per log group and
    eventId, the copy of a complete listing first (so a finding cites it)."""
    return f"""
    INSERT INTO log_events
    SELECT f.account, f.region, f.log_group, r.logStreamName,
           CASE WHEN w.function_name IS NOT NULL THEN w.function_name
                WHEN r.named <> '' AND c.function_name IS NULL THEN r.named
                ELSE f.function_name END,
           nullif(regexp_extract(r.logStreamName, '\\[([^\\]]+)\\]', 1), ''),
           {ts}, r.message,
           nullif(regexp_extract(r.message, $rid, 1), ''), f.path, f.sha256
    FROM (SELECT *, regexp_extract(logStreamName, $stream_function, 1) AS named
          FROM {source}) AS r
    JOIN log_files AS f ON f.abs_path = r.filename
    LEFT JOIN log_writers AS w
      ON w.account = f.account AND w.region = f.region AND w.log_group = f.log_group
     AND w.function_name = r.named
    LEFT JOIN log_configured AS c
      ON c.account = f.account AND c.region = f.region AND c.function_name = r.named
    QUALIFY row_number() OVER (
        PARTITION BY f.account, f.region, f.log_group,
                     -- `concat`, not `||`: a line without a timestamp or stream (NULL)
                     -- made the whole key NULL, and every such line of the group one
                     coalesce(r.eventId, concat(r.logStreamName, ':', r."timestamp", ':',
                                                md5(coalesce(r.message, ''))))
        ORDER BY f.partial, f.path) = 1
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


def load_logs(con: duckdb.DuckDBPyConnection, case: Case) -> list[tuple[str, str]]:
    """Fill `log_events` and `report_lines`; returns problems as (artifact path, reason).

    All files go in one parallel scan; if that fails (a damaged artifact, an event whose
    time no reader can hold), files are read one by one so a bad file costs only itself
    and a bad event only itself, each said in a problem naming its artifact.
    """
    con.execute(_FILES, [str(case.root)])
    con.execute(_WRITERS)
    con.execute(_CONFIGURED)
    rows = con.execute("SELECT abs_path, path FROM log_files ORDER BY path").fetchall()
    readable = [absolute for absolute, path in rows if case.path(path).is_file()]
    problems = [(path, "listed in the manifest, missing") for a, path in rows if a not in readable]
    if readable:
        try:
            con.execute(_events_sql(_READ, _STRICT_TS), {"files": readable, **_PATTERNS})
        except duckdb.Error:
            problems += _load_one_by_one(con, case, readable)
    params = dict(logs.REPORT_FIELDS)
    params.update(timeout=logs.TIMEOUT, error=logs.ERROR, prefix=logs.REPORT_PREFIX)
    con.execute(_report_sql(), params)
    con.execute(_JSON_REPORTS, {"type": logs.JSON_REPORT_TYPE})
    return problems


_STAGED = f"""INSERT INTO log_read
    SELECT "timestamp", message, logStreamName, eventId, filename FROM {_READ}"""  # noqa: S608
_OUT_OF_RANGE = f"""SELECT filename, count(*) FROM log_read
    WHERE NOT {_IN_RANGE} GROUP BY filename ORDER BY filename"""  # noqa: S608
_KEPT = f'log_read WHERE "timestamp" IS NULL OR {_IN_RANGE}'


def _load_one_by_one(
    con: duckdb.DuckDBPyConnection, case: Case, files: list[str]
) -> list[tuple[str, str]]:
    """Each file read alone into a staging table, then the events of those that could be
    read, minus those out of range, inserted as the fast path does (one copy per event)."""
    con.execute(
        'CREATE TEMP TABLE log_read ("timestamp" BIGINT, message VARCHAR, '
        "logStreamName VARCHAR, eventId VARCHAR, filename VARCHAR)"
    )
    problems = []
    for absolute in files:
        try:
            con.execute(_STAGED, {"files": [absolute]})
        except duckdb.Error as exc:
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            reason = reason.replace(absolute, _rel(absolute, case))
            problems.append(
                (_rel(absolute, case), f"not read, none of its events indexed: {reason}")
            )
    for absolute, count in con.execute(_OUT_OF_RANGE).fetchall():
        problems.append(
            (
                _rel(str(absolute), case),
                f"{count} event(s) left out: a timestamp outside the years 1 to 9999",
            )
        )
    con.execute(_events_sql(_KEPT, 'make_timestamp("timestamp" * 1000)'), _PATTERNS)
    con.execute("DROP TABLE log_read")
    return problems


@dataclass(frozen=True)
class UnreadLogs:
    """A CloudWatch Logs artifact the index could not read whole, and why: its events, or
    some, are in no table, so no detector saw them."""

    path: str
    sha256: str
    api: str
    account: str
    region: str
    log_group: str
    function_name: str  # "" when the group names no function
    reason: str


_UNREAD = f"""
    SELECT DISTINCT w.file, m.sha256, m.api, m.account, m.region, params->>'logGroupName',
           {FUNCTION_SQL}, w.reason
    FROM ingest_warnings AS w JOIN manifest AS m ON m.path = w.file
    WHERE m.kind = 'logs' AND m.error IS NULL ORDER BY 1, 8
"""  # noqa: S608


def unread_logs(con: duckdb.DuckDBPyConnection) -> list[UnreadLogs]:
    """The log artifacts an index's `ingest_warnings` names (`load_logs`' problems)."""
    return [
        UnreadLogs(*(str(value or "") for value in row)) for row in con.execute(_UNREAD).fetchall()
    ]


def _rel(absolute: str, case: Case) -> str:
    return absolute[len(str(case.root)) + 1 :]
