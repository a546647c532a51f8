"""AWS CloudTrail Lake in the emulator: event data stores and their SQL queries (moto has none).

Operations (JSON 1.1, CloudTrail's documented request and response shapes):
- CreateEventDataStore / GetEventDataStore / ListEventDataStores: a store per account and
  region, ARN `arn:aws:cloudtrail:<region>:<account>:eventdatastore/<uuid>`, status ENABLED,
  defaults as AWS documents (MultiRegionEnabled true, EXTENDABLE_RETENTION_PRICING, 366 days).
  A store is found only in its own account and region (elsewhere, even by its ARN, an
  EventDataStoreNotFoundException, as on AWS).
- The events a store holds: those the emulator records (the CloudTrail of every call) in the
  store's account (every account for an organisation store) from the store's creation on, in
  its region or all of them (MultiRegionEnabled), as a store collects only from its creation;
  plus the events StartImport copies in from trail files (`AWSLogs/…json.gz`) in the
  emulator's S3 under the import's S3LocationUri, within StartEventTime/EndEventTime (the
  import is COMPLETED at once; GetImport reports it). Retention is not enforced.
- StartQuery checks and runs the statement at once (`cloudtrail_lake_query`): a bad statement
  is an InvalidQueryStatementException, a store that is not there an
  EventDataStoreNotFoundException, an error while running makes the query FAILED with an
  ErrorMessage. DescribeQuery shows QUEUED, then RUNNING, then the outcome (FINISHED, FAILED
  or CANCELLED), with QueryStatistics (EventsMatched, EventsScanned, BytesScanned,
  ExecutionTimeInMillis, CreationTime). GetQueryResults pages by MaxQueryResults (1 to 1,000)
  with NextToken, each row a list of one-entry {column: text} maps (a NULL column is left
  out); before the query ends it gives the status and no rows. CancelQuery stops a QUEUED or
  RUNNING query and refuses a finished one (InactiveQueryException).
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

import duckdb

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.cloudtrail_lake_import import get_import, start_import
from lambda_ir.emulator.cloudtrail_lake_query import StatementError, execute, prepare
from lambda_ir.emulator.cloudtrail_lake_state import (
    LakeState,
    Query,
    Store,
    find_store,
    not_found,
    ok,
)
from lambda_ir.emulator.http import Response, json_error
from lambda_ir.emulator.identity import Caller
from lambda_ir.emulator.trail_log import TrailLog

OPERATIONS = frozenset(
    {
        "CreateEventDataStore",
        "GetEventDataStore",
        "ListEventDataStores",
        "StartImport",
        "GetImport",
        "StartQuery",
        "DescribeQuery",
        "GetQueryResults",
        "CancelQuery",
    }
)
MAX_RESULTS = 1000
_JSON = "application/x-amz-json-1.1"


def handle(
    state: LakeState, trail: TrailLog, call: ApiCall, caller: Caller, now: datetime
) -> Response:
    """Answer one of `OPERATIONS`."""
    params, account = call.params, caller.account_id
    if call.name == "CreateEventDataStore":
        with trail.lock:
            recorded = len(trail.entries)
        return _create(state, params, account, call.region, now, recorded)
    if call.name == "ListEventDataStores":
        with state.lock:
            mine = [
                s for s in state.stores.values() if (s.account, s.region) == (account, call.region)
            ]
        return ok({"EventDataStores": [s.describe() for s in mine]})
    if call.name == "GetEventDataStore":
        found = find_store(state, str(params.get("EventDataStore", "")), account, call.region)
        return ok(found.describe()) if found else not_found(str(params.get("EventDataStore")))
    if call.name in ("StartImport", "GetImport"):
        return (
            start_import(state, params, account, call.region, now)
            if call.name == "StartImport"
            else get_import(state, params)
        )
    if call.name == "StartQuery":
        return _start(state, trail, str(params.get("QueryStatement", "")), account, call.region)
    with state.lock:
        query = state.queries.get(str(params.get("QueryId", "")))
    if query is None or query.account != account:
        return json_error(
            "QueryIdNotFoundException", "The query ID does not exist or is not valid."
        )
    if call.name == "CancelQuery":
        if query.polls > 2:  # active until a look has shown its outcome (see `_shown`)
            return json_error("InactiveQueryException", f"The query {query.id} is not active.")
        query.state, query.polls = "CANCELLED", 3
        return ok({"QueryId": query.id, "QueryStatus": "CANCELLED"})
    if call.name == "DescribeQuery":
        return ok(_describe(query))
    return _results(query, params)


def _create(
    state: LakeState,
    params: dict[str, Any],
    account: str,
    region: str,
    now: datetime,
    recorded: int,
) -> Response:
    name = str(params.get("Name", ""))
    with state.lock:
        if any(
            s.name == name and (s.account, s.region) == (account, region)
            for s in state.stores.values()
        ):
            return json_error("EventDataStoreAlreadyExistsException", f"{name} already exists.")
        settings = {
            "AdvancedEventSelectors": params.get("AdvancedEventSelectors")
            or [
                {
                    "Name": "Default management events",
                    "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
                }
            ],
            "MultiRegionEnabled": params.get("MultiRegionEnabled", True),
            "OrganizationEnabled": params.get("OrganizationEnabled", False),
            "BillingMode": params.get("BillingMode", "EXTENDABLE_RETENTION_PRICING"),
            "RetentionPeriod": params.get("RetentionPeriod", 366),
            "TerminationProtectionEnabled": params.get("TerminationProtectionEnabled", True),
        }
        arn = f"arn:aws:cloudtrail:{region}:{account}:eventdatastore/{uuid.uuid4()}"
        store = Store(arn, name, account, region, now, settings, recorded)
        state.stores[arn] = store
    return ok(store.describe() | {"TagsList": params.get("TagsList") or []})


def _events(store: Store, trail: TrailLog) -> list[dict[str, Any]]:
    """The store's events: imported, then recorded since its creation (see module doc)."""
    with trail.lock:
        entries = trail.entries[store.first_entry :]
    recorded = [
        e.record
        for e in entries
        if (store.settings["OrganizationEnabled"] or e.account_id == store.account)
        and (store.settings["MultiRegionEnabled"] or e.region == store.region)
    ]
    return [*store.imported, *recorded]


def _start(
    state: LakeState, trail: TrailLog, statement: str, account: str, region: str
) -> Response:
    with state.lock:
        mine = {
            s.id: s for s in state.stores.values() if (s.account, s.region) == (account, region)
        }
    try:
        tree, named = prepare(statement, list(mine))
    except StatementError as exc:
        return json_error(exc.code, str(exc))
    query = Query(str(uuid.uuid4()), statement, account, time.time())
    started = time.monotonic()
    try:
        outcome = execute(tree, {name: _events(mine[name], trail) for name in named})
    except duckdb.BinderException as exc:  # an unknown column: refused as AWS refuses it
        return json_error("InvalidQueryStatementException", str(exc).splitlines()[0])
    except duckdb.Error as exc:
        query.state, query.error = "FAILED", str(exc).splitlines()[0]
    else:
        query.columns, query.rows = outcome.columns, outcome.rows
        query.events_scanned, query.bytes_scanned = outcome.events_scanned, outcome.bytes_scanned
    query.engine_ms = int((time.monotonic() - started) * 1000)
    with state.lock:
        state.queries[query.id] = query
    return ok({"QueryId": query.id, "EventDataStoreOwnerAccountId": account})


def _shown(query: Query) -> str:
    """QUEUED, RUNNING, then the outcome: one step per look, as a query moves on AWS."""
    return ("QUEUED", "RUNNING")[query.polls] if query.polls < 2 else query.state


def _describe(query: Query) -> dict[str, Any]:
    shown = _shown(query)
    query.polls += 1
    described: dict[str, Any] = {
        "QueryId": query.id,
        "QueryString": query.statement,
        "QueryStatus": shown,
        "QueryStatistics": {
            "EventsMatched": len(query.rows) if shown == "FINISHED" else 0,
            "EventsScanned": query.events_scanned if shown == "FINISHED" else 0,
            "BytesScanned": query.bytes_scanned if shown in ("FINISHED", "FAILED") else 0,
            "ExecutionTimeInMillis": query.engine_ms,
            "CreationTime": query.created,
        },
        "EventDataStoreOwnerAccountId": query.account,
    }
    if shown == "FAILED":
        described["ErrorMessage"] = query.error
    return described


def _results(query: Query, params: dict[str, Any]) -> Response:
    size = int(params.get("MaxQueryResults") or MAX_RESULTS)
    if not 1 <= size <= MAX_RESULTS:
        return json_error("InvalidMaxResultsException", "MaxQueryResults must be 1 to 1000.")
    token = str(params.get("NextToken") or "").removeprefix("rows-")
    if token and not token.isdigit():
        return json_error("InvalidNextTokenException", "The NextToken is not valid.")
    shown = _shown(query)
    document: dict[str, Any] = {"QueryStatus": shown, "QueryResultRows": []}
    if shown != "FINISHED":
        if shown == "FAILED":
            document["ErrorMessage"] = query.error
        return ok(document)
    start = int(token or 0)
    page = query.rows[start : start + size]
    document["QueryResultRows"] = [
        [{name: value} for name, value in zip(query.columns, row, strict=True) if value is not None]
        for row in page
    ]
    document["QueryStatistics"] = {
        "ResultsCount": len(page),
        "TotalResultsCount": len(query.rows),
        "BytesScanned": query.bytes_scanned,
    }
    if start + size < len(query.rows):
        document["NextToken"] = f"rows-{start + size}"  # at least 4 characters, as the API's
    return ok(document)
