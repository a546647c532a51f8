"""The emulator's Athena catalog: databases and CloudTrail tables, per account and region.

`CREATE EXTERNAL TABLE` records a `TrailTable` (the location template, the projection and
when it was made); a table or database that exists already fails the statement as Hive's
`AlreadyExistsException`, unless it says `IF NOT EXISTS`, which keeps what is there untouched;
`DROP TABLE` removes the definition, never the files; `DROP DATABASE` is refused while the
database holds a table (Hive's RESTRICT, Athena's default). GetDatabase and GetTableMetadata
read the catalog; a database or table that is not there is a `MetadataException`, as Athena
answers for the AWS Glue Data Catalog. A database keeps its `WITH DBPROPERTIES`: the Glue
database's `Parameters`, which GetDatabase gives back.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lambda_ir.emulator.athena_tables import TrailTable
from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_response
from lambda_ir.emulator.identity import Caller

if TYPE_CHECKING:
    from lambda_ir.emulator.athena import AthenaState

DROP = re.compile(
    r"^\s*DROP\s+(TABLE|DATABASE|SCHEMA)\s+(?:IF\s+EXISTS\s+)?`?(\w+)`?(?:\.`?(\w+)`?)?\s*$", re.I
)
IF_NOT_EXISTS = re.compile(r"^\s*CREATE\s+(?:EXTERNAL\s+)?\w+\s+IF\s+NOT\s+EXISTS\b", re.I)
PROPERTY = re.compile(r"'([\w.]+)'\s*=\s*'([^']*)'")
LOCATION = re.compile(r"\bLOCATION\s+'([^']*)'", re.I)
DBPROPERTIES = re.compile(r"\bWITH\s+DBPROPERTIES\s*\((.*)\)\s*;?\s*$", re.I | re.S)
_JSON = "application/x-amz-json-1.1"


class QueryError(Exception):
    """A query Athena would fail, with its StateChangeReason."""


def create_table(
    state: AthenaState, where: tuple[str, str, str, str], text: str, created: float
) -> None:
    """Record a CloudTrail table with partition projection (the only kind the emulator serves)
    in (account, region, database, table), made at `created` (the query's submission)."""
    account, region, db, name = where
    with state.lock:
        if (account, region, db) not in state.databases:
            raise QueryError(f"SemanticException [Error 10072]: Database does not exist: {db}")
    properties = dict(PROPERTY.findall(text))
    template = properties.get("storage.location.template", "")
    if properties.get("projection.enabled") != "true" or "${timestamp}" not in template:
        raise QueryError(
            "NOT_SUPPORTED: the emulator serves CloudTrail tables with partition projection"
        )
    table = TrailTable(
        template=template,
        accounts=tuple(properties.get("projection.account.values", "").split(",")),
        regions=tuple(properties.get("projection.region.values", "").split(",")),
        first_day=properties.get("projection.timestamp.range", "1970/01/01,NOW").split(",")[0],
        created=created,
        location=found.group(1) if (found := LOCATION.search(text)) else "",
    )
    key = (account, region, f"{db}.{name}")
    with state.lock:
        if key in state.tables:
            if IF_NOT_EXISTS.match(text):
                return
            raise QueryError(already_exists(f"Table {name}"))
        state.tables[key] = table


def create_database(state: AthenaState, account: str, region: str, db: str, text: str) -> None:
    """CREATE DATABASE [IF NOT EXISTS] db [WITH DBPROPERTIES ('name'='value', …)]."""
    listed = DBPROPERTIES.search(text)
    parameters = dict(PROPERTY.findall(listed.group(1))) if listed else {}
    with state.lock:
        if (account, region, db) in state.databases:
            if IF_NOT_EXISTS.match(text):
                return
            raise QueryError(already_exists(f"Database {db}"))
        state.databases[(account, region, db)] = parameters


def already_exists(what: str) -> str:
    """Athena's reason for a DDL statement on something the catalog already has."""
    return (
        "FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. "
        f"AlreadyExistsException(message:{what} already exists)"
    )


def drop(state: AthenaState, account: str, region: str, found: re.Match[str]) -> None:
    """DROP TABLE [IF EXISTS] [db.]t, or DROP DATABASE [IF EXISTS] db (see the module doc)."""
    what, db, name = found.group(1).upper(), found.group(2).lower(), found.group(3)
    if what == "TABLE" and name is None:
        db, name = "default", db
    quiet = re.search(r"\bIF\s+EXISTS\b", found.group(0), re.I) is not None
    with state.lock:
        if what == "TABLE":
            key = (account, region, f"{db}.{(name or '').lower()}")
            if state.tables.pop(key, None) is None and not quiet:
                raise QueryError(
                    f"FAILED: SemanticException [Error 10001]: Table not found {db}.{name}"
                )
            return
        if (account, region, db) not in state.databases:
            if not quiet:
                raise QueryError(
                    f"FAILED: SemanticException [Error 10072]: Database does not exist: {db}"
                )
            return
        if any(k[:2] == (account, region) and k[2].startswith(f"{db}.") for k in state.tables):
            raise QueryError(
                f"FAILED: InvalidOperationException(message:Database {db} is not empty. "
                "One or more tables exist.)"
            )
        del state.databases[(account, region, db)]


def metadata(state: AthenaState, call: ApiCall, caller: Caller) -> Response:
    """GetDatabase / GetTableMetadata from the emulator's catalog (AwsDataCatalog only)."""
    params = call.params
    db = str(params.get("DatabaseName", "")).lower()
    key = (caller.account_id, call.region)
    with state.lock:
        parameters = state.databases.get((*key, db))
        table = state.tables.get((*key, f"{db}.{str(params.get('TableName', '')).lower()}"))
    if parameters is None:
        return _error("MetadataException", f"Database {db} not found.")
    if call.name == "GetDatabase":
        return json_response(
            {"Database": {"Name": db, "Parameters": dict(parameters)}}, content_type=_JSON
        )
    if table is None:
        return _error("MetadataException", f"Table {params.get('TableName')} not found.")
    document = {
        "Name": str(params.get("TableName", "")).lower(),
        "CreateTime": table.created,
        "TableType": "EXTERNAL_TABLE",
        "Columns": [],
        "PartitionKeys": [
            {"Name": n, "Type": "string"} for n in ("account", "region", "timestamp")
        ],
        "Parameters": {
            "projection.enabled": "true",
            "location": table.location,
            "storage.location.template": table.template,
            "projection.account.values": ",".join(table.accounts),
            "projection.region.values": ",".join(table.regions),
        },
    }
    return json_response({"TableMetadata": document}, content_type=_JSON)


def _error(code: str, message: str) -> Response:
    return json_response({"__type": code, "Message": message}, 400, content_type=_JSON)
