"""Amazon Athena's query API, answered by executing the query: moto runs no SQL.

moto's Athena stores workgroups and query strings but executes nothing (every query
"succeeds" with no rows). The emulator answers StartQueryExecution, GetQueryExecution,
GetQueryResults and StopQueryExecution itself, for workgroups moto knows:
- `CREATE DATABASE` and `CREATE EXTERNAL TABLE` (the CloudTrail table with partition
  projection, `hunt.table`) are recorded in the emulator's catalog: its location template and
  the projected accounts, regions and day range. `DROP TABLE` removes the definition (never
  the files); `DROP DATABASE` is refused while the database holds a table (Hive's RESTRICT).
  GetDatabase and GetTableMetadata read that catalog; a missing one is a MetadataException.
- A `SELECT` is transpiled from Trino to DuckDB with sqlglot and run by DuckDB over the trail
  files the emulator's S3 holds under the table's location, loaded into a table of Athena's
  shape. Partition pruning is real: only the files of the partitions the query's conditions on
  `account`, `region` and `timestamp` keep (within the projection) are read, and
  `DataScannedInBytes` is their stored (compressed) size. So the SQL is DuckDB's reading of
  the Trino text, not Trino's: functions sqlglot cannot map fail here but might run on Athena.
- A QueryString over 262,144 bytes is refused (InvalidRequestException), as Athena does.
- States move as on AWS: the first GetQueryExecution says RUNNING, the next the outcome;
  GetQueryResults pages by `MaxResults` (at most 1,000) with a header row first, refuses a
  query that has not succeeded, and a failed query carries Athena's `StateChangeReason`.
A table the emulator's catalog lacks is looked up in moto's Glue catalog: a Parquet table, as
Security Lake registers its OCSF tables, is read from its registered partitions
(`security_lake_tables`).
Query results are not written to the workgroup's S3 output location.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import duckdb
import sqlglot
from moto.athena.models import athena_backends
from sqlglot import exp

from lambda_ir.emulator.athena_catalog import (
    DROP,
    QueryError,
    create_database,
    create_table,
    drop,
    metadata,
)
from lambda_ir.emulator.athena_tables import TrailTable, load
from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_response
from lambda_ir.emulator.identity import Caller
from lambda_ir.emulator.security_lake_tables import load_glue
from lambda_ir.hunt.local import run

OPERATIONS = frozenset(
    {
        "StartQueryExecution",
        "GetQueryExecution",
        "GetQueryResults",
        "StopQueryExecution",
        "GetDatabase",
        "GetTableMetadata",
    }
)
MAX_RESULTS = 1000
# StartQueryExecution's QueryString: at most 262,144 bytes, not adjustable (Athena's service
# quotas; AWS answers InvalidRequestException "'queryString' failed to satisfy constraint:
# Member must have length less than or equal to 262144", knowledge-center article
# athena-query-string-length).
MAX_QUERY_BYTES = 262_144
_CREATE_DB = re.compile(
    r"^\s*CREATE\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+NOT\s+EXISTS\s+)?`?(\w+)`?", re.I
)
_CREATE_TABLE = re.compile(
    r"^\s*CREATE\s+EXTERNAL\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?`?(\w+)`?\.`?(\w+)`?", re.I
)
_JSON = "application/x-amz-json-1.1"


@dataclass
class Execution:
    """One query: its text, state and, once done, its result."""

    id: str
    query: str
    workgroup: str
    database: str | None
    submitted: float
    state: str = "QUEUED"
    polls: int = 0
    reason: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[str | None, ...]] = field(default_factory=list)
    scanned: int = 0
    engine_ms: int = 0


@dataclass
class AthenaState:
    """The emulator's catalog (per account and region) and every query execution."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    # (account, region, database) -> its parameters (DBPROPERTIES)
    databases: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)
    tables: dict[tuple[str, str, str], TrailTable] = field(default_factory=dict)
    executions: dict[str, Execution] = field(default_factory=dict)


def handle(state: AthenaState, call: ApiCall, caller: Caller) -> Response:
    """Answer one of `OPERATIONS`."""
    params = call.params
    if call.name == "StartQueryExecution":
        return _start(state, call, caller)
    if call.name in ("GetDatabase", "GetTableMetadata"):
        return metadata(state, call, caller)
    with state.lock:
        found = state.executions.get(str(params.get("QueryExecutionId", "")))
    if found is None:
        return _error("InvalidRequestException", "QueryExecution was not found")
    if call.name == "GetQueryExecution":
        return json_response({"QueryExecution": _describe(found, advance=True)}, content_type=_JSON)
    if call.name == "StopQueryExecution":
        if found.state in ("QUEUED", "RUNNING"):
            found.state, found.reason = "CANCELLED", "Query cancelled by user"
        return json_response({}, content_type=_JSON)
    return _results(found, params)


def _start(state: AthenaState, call: ApiCall, caller: Caller) -> Response:
    params = call.params
    workgroup = str(params.get("WorkGroup") or "primary")
    groups = athena_backends[caller.account_id][call.region].work_groups
    if workgroup not in groups:
        return _error("InvalidRequestException", f"WorkGroup {workgroup} is not found.")
    if len(str(params.get("QueryString", "")).encode()) > MAX_QUERY_BYTES:
        return _error(
            "InvalidRequestException",
            "1 validation error detected: 'queryString' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_QUERY_BYTES}",
        )
    context = params.get("QueryExecutionContext") or {}
    execution = Execution(
        str(uuid.uuid4()),
        str(params.get("QueryString", "")),
        workgroup,
        context.get("Database"),
        call.event_time.timestamp(),  # the call's time: backdated with the event-time header
    )
    started = time.monotonic()
    try:
        _execute(state, execution, caller.account_id, call.region)
        execution.state = "SUCCEEDED"
    except QueryError as exc:
        execution.state, execution.reason = "FAILED", str(exc)
    execution.engine_ms = int((time.monotonic() - started) * 1000)
    with state.lock:
        state.executions[execution.id] = execution
    return json_response({"QueryExecutionId": execution.id}, content_type=_JSON)


def _execute(state: AthenaState, execution: Execution, account: str, region: str) -> None:
    text = execution.query
    if (found := _CREATE_DB.match(text)) is not None:
        create_database(state, account, region, found.group(1).lower(), text)
        return
    if (found := _CREATE_TABLE.match(text)) is not None:
        db, name = found.group(1).lower(), found.group(2).lower()
        create_table(state, (account, region, db, name), text, execution.submitted)
        return
    if (found := DROP.match(text)) is not None:
        drop(state, account, region, found)
        return
    try:
        tree = sqlglot.parse_one(text, read="trino")
    except sqlglot.errors.ParseError as exc:
        raise QueryError(f"line 1:1: mismatched input. {str(exc).splitlines()[0]}") from exc
    if not isinstance(tree, exp.Query):
        raise QueryError(
            "NOT_SUPPORTED: the emulator runs SELECT, CREATE DATABASE, CREATE EXTERNAL TABLE "
            "and DROP TABLE / DATABASE"
        )
    con = duckdb.connect(":memory:")
    try:
        for table in tree.find_all(exp.Table):
            name = f"{table.db or execution.database or 'default'}.{table.name}".lower()
            with state.lock:
                found_table = state.tables.get((account, region, name))
            scan = table.find_ancestor(exp.Select) or tree  # the SELECT that reads the table
            if found_table is None:  # a Glue table of Parquet files (Security Lake's)?
                glue = load_glue(con, name, scan, account, region)
                if glue is None:
                    raise QueryError(
                        f"TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.{name}' does not exist"
                    )
                execution.scanned += glue
                continue
            execution.scanned += load(con, name, found_table, scan, account)
        execution.columns, execution.rows = run(con, tree.sql(dialect="duckdb"))
    except duckdb.Error as exc:
        raise QueryError(f"GENERIC_INTERNAL_ERROR: {exc}") from exc
    finally:
        con.close()


def _describe(found: Execution, *, advance: bool) -> dict[str, Any]:
    shown = found.state
    if advance and found.state in ("SUCCEEDED", "FAILED") and found.polls == 0:
        shown = "RUNNING"  # as on AWS, the first look finds the query still running
    found.polls += 1 if advance else 0
    status: dict[str, Any] = {"State": shown, "SubmissionDateTime": found.submitted}
    if shown in ("SUCCEEDED", "FAILED", "CANCELLED"):
        status["CompletionDateTime"] = found.submitted + found.engine_ms / 1000
    if shown == "FAILED":
        status["StateChangeReason"] = found.reason
        status["AthenaError"] = {
            "ErrorCategory": 2,
            "ErrorType": 1006,
            "Retryable": False,
            "ErrorMessage": found.reason,
        }
    described: dict[str, Any] = {
        "QueryExecutionId": found.id,
        "Query": found.query,
        "StatementType": "DML" if found.query.lstrip()[:6].upper() == "SELECT" else "DDL",
        "Status": status,
        "WorkGroup": found.workgroup,
        "Statistics": {
            "EngineExecutionTimeInMillis": found.engine_ms,
            "DataScannedInBytes": found.scanned,
            "TotalExecutionTimeInMillis": found.engine_ms,
            "QueryQueueTimeInMillis": 0,
        },
        "EngineVersion": {
            "SelectedEngineVersion": "AUTO",
            "EffectiveEngineVersion": "Athena engine version 3",
        },
    }
    if found.database:
        described["QueryExecutionContext"] = {"Database": found.database}
    return described


def _results(found: Execution, params: dict[str, Any]) -> Response:
    if found.state != "SUCCEEDED" or found.polls < 2:
        state = "RUNNING" if found.state == "SUCCEEDED" else found.state
        return _error(
            "InvalidRequestException", f"Query has not yet finished. Current state: {state}"
        )
    size = min(int(params.get("MaxResults") or MAX_RESULTS), MAX_RESULTS)
    token = str(params.get("NextToken") or "")
    start = int(token) if token.isdigit() else 0
    table = [tuple(found.columns), *found.rows]  # the header row comes first, as on Athena
    page = table[start : start + size]
    document: dict[str, Any] = {
        "UpdateCount": 0,
        "ResultSet": {
            "Rows": [
                {"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in page
            ],
            "ResultSetMetadata": {
                "ColumnInfo": [
                    {
                        "CatalogName": "hive",
                        "SchemaName": "",
                        "TableName": "",
                        "Name": c,
                        "Label": c,
                        "Type": "varchar",
                        "Precision": 2147483647,
                        "Scale": 0,
                        "Nullable": "UNKNOWN",
                        "CaseSensitive": True,
                    }
                    for c in found.columns
                ]
            },
        },
    }
    if start + size < len(table):
        document["NextToken"] = str(start + size)
    return json_response(document, content_type=_JSON)


def _error(code: str, message: str) -> Response:
    return json_response({"__type": code, "Message": message}, 400, content_type=_JSON)
