"""`hunt --source cloudtrail-lake`: the same rules as CloudTrail Lake SQL over an event data store.

CloudTrail Lake's columns are CloudTrail's own names in lower case, as in the Athena table
the rules are written for (`hunt.rules`), so `to_lake` changes only what differs
(`cloudtrail_lake_schema`): `requestparameters->>'$.key'` → `element_at(requestparameters,
'key')` (a map<string,string> there; a deeper path cannot be read reliably and the rule is
listed as not pushed down), `readonly` → `CAST(readonly AS VARCHAR)`, a whole map →
`json_format(CAST(… AS JSON))`. The query reads `FROM <event data store id>` (the form AWS
documents), bounded by `eventtime` (CloudTrail Lake has no partitions to prune: the time range
is what limits the bytes scanned), and selects the record's columns as JSON text, so each
row turns back into a CloudTrail record (`record_of_lake`), ingested under
`trail/<account>/cloudtrail-lake/`. A query statement may not pass 10,000 characters
(StartQuery's `QueryStatement`): the rules are split into as many queries as need be.

The workflow: cloudtrail:StartQuery, DescribeQuery until FINISHED (QUEUED and RUNNING before;
FAILED, CANCELLED or TIMED_OUT raise `QueryFailed` with the ErrorMessage; past the timeout
CancelQuery), then GetQueryResults page by page (NextToken, MaxQueryResults up to 1,000 rows
each). A row leaves its NULL columns out, so the result's columns are those selected, in order,
not the rows' keys. A store answers only in its own region: given an ARN, the calls go to the
region it names. Every response is kept for the case. Cost: CloudTrail Lake bills queries by
bytes scanned, $0.005 per GB (AWS CloudTrail pricing, "Lake" query charges); DescribeQuery
reports the bytes, the dollars are our arithmetic. Reads only: cloudtrail:GetEventDataStore,
StartQuery, DescribeQuery, GetQueryResults, CancelQuery (on timeout).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import sqlglot
from sqlglot import exp

from lambda_ir.aws import ClientFactory, call
from lambda_ir.evidence import Case
from lambda_ir.hunt.athena import QueryFailed, QueryResult
from lambda_ir.hunt.cloudtrail_lake_schema import COLUMNS, MAPS, record_of_lake
from lambda_ir.hunt.ingest import RowSource, ingest_rows, store_responses
from lambda_ir.hunt.query import RULES_COLUMN, labelled_select, split_queries
from lambda_ir.hunt.rules import ENGINES, HuntRule, Unsupported, rewrite_rules
from lambda_ir.hunt.run import HuntSummary, merge_ingested, once_each

MAX_STATEMENT = 10_000  # StartQuery QueryStatement, characters (the API's documented maximum)
MAX_PAGE = 1000  # GetQueryResults MaxQueryResults: 1 to 1,000 rows a page
PRICE_PER_GB = 0.005
SERVICE = "CloudTrail Lake"
DONE = ("FINISHED", "FAILED", "CANCELLED", "TIMED_OUT")
ROWS = RowSource(
    "cloudtrail-lake",
    "cloudtrail:DescribeQuery",
    "cloudtrail:GetQueryResults",
    "QueryId",
    record_of_lake,
)
SELECTED = tuple(n for n, _ in COLUMNS if n not in ("eventjson", "eventjsonchecksum", "annotation"))
_STORE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,127}$")
_PLACEHOLDER = "lir_event_data_store"


@dataclass(frozen=True)
class LakeQueryOptions:
    """Which event data store, window and rules; where to call CloudTrail."""

    event_data_store: str  # ARN or id
    since: datetime
    until: datetime
    rules: tuple[HuntRule, ...]
    region: str
    unsupported: tuple[Unsupported, ...] = ()
    endpoint_url: str | None = None
    timeout_s: float = 1800.0
    max_statement: int = MAX_STATEMENT
    page_size: int = MAX_PAGE


@dataclass(frozen=True)
class LakeSummary(HuntSummary):
    """A `HuntSummary` whose queries ran on CloudTrail Lake (its own price and wording)."""

    def line(self) -> str:
        """One sentence for the person."""
        return (
            super()
            .line()
            .replace("one Athena query", "one CloudTrail Lake query")
            .replace("Athena queries", "CloudTrail Lake queries")
        )


def store_id(event_data_store: str) -> str:
    """The id a query's FROM names: the ARN's last part, or the id as given."""
    found = event_data_store.rsplit("/", 1)[-1]
    if not _STORE_ID.fullmatch(found):
        raise ValueError(f"{event_data_store!r} is not an event data store ARN or id")
    return found


def store_region(event_data_store: str, default: str) -> str:
    """The region an event data store ARN names, else `default`: a store answers only there."""
    parts = event_data_store.split(":")
    return (
        parts[3] if event_data_store.startswith("arn:") and len(parts) > 5 and parts[3] else default
    )


def cost_usd(scanned_bytes: int) -> float:
    """CloudTrail Lake's query price: $0.005 per GB scanned."""
    return scanned_bytes / 1e9 * PRICE_PER_GB


def to_lake(condition: exp.Expr) -> exp.Expr:
    """The condition over CloudTrail Lake's columns; ValueError for what it cannot read."""
    rewritten = condition.copy()
    for node in list(rewritten.find_all(exp.JSONExtractScalar)):
        column = node.this
        if not (isinstance(column, exp.Column) and column.name.lower() in MAPS):
            continue
        keys = [str(k.this) for k in node.expression.expressions if isinstance(k, exp.JSONPathKey)]
        if len(keys) != 1:
            raise ValueError(
                f"{node.sql()} reads inside a value of {column.name}, a map<string,string> "
                "in CloudTrail Lake"
            )
        bracket = exp.Bracket(
            this=exp.column(column.name.lower()),
            expressions=[exp.Literal.string(keys[0])],
            offset=1,
            safe=True,  # element_at: NULL for a missing key
        )
        node.replace(bracket)
    for column in list(rewritten.find_all(exp.Column)):
        path = ".".join(part.name for part in column.parts).lower()
        if isinstance(column.parent, exp.Bracket) and column.arg_key == "this":
            continue
        if path == "readonly":
            column.replace(exp.cast(exp.column("readonly"), "VARCHAR"))
        elif path in MAPS:
            column.replace(_json_text(exp.column(path)))
        elif path in ("eventtime", "useridentity.sessioncontext.attributes.creationdate"):
            raise ValueError(f"{path} is a TIMESTAMP in CloudTrail Lake, text in the rule")
    return rewritten


def lake_rules(rules: Sequence[HuntRule]) -> tuple[list[HuntRule], list[Unsupported]]:
    """`rules` rewritten for CloudTrail Lake; those that cannot be, with the reason."""
    return rewrite_rules(rules, to_lake)


def lake_query(store: str, rules: Sequence[HuntRule], since: datetime, until: datetime) -> str:
    """The CloudTrail Lake SQL for (rewritten) `rules` over `store`, within the window."""
    projections: list[exp.Expr] = []
    for name, kind in COLUMNS:
        if name not in SELECTED:
            continue
        column = exp.column(name)
        if name == "eventtime":
            iso = sqlglot.parse_one("date_format(eventtime, '%Y-%m-%dT%H:%i:%sZ')", read="trino")
            projections.append(exp.alias_(iso, name))
        elif kind in ("boolean",):
            projections.append(exp.alias_(exp.cast(column, "VARCHAR"), name))
        elif isinstance(kind, str) and kind != "map<string,string>":
            projections.append(column)
        else:
            projections.append(exp.alias_(_json_text(column), name))
    start, end = _utc(since), _utc(until)
    window = exp.and_(
        exp.GTE(this=exp.column("eventtime"), expression=exp.Literal.string(_lake_time(start))),
        exp.LTE(this=exp.column("eventtime"), expression=exp.Literal.string(_lake_time(end))),
    )
    select = labelled_select(rules, projections, exp.to_table(_PLACEHOLDER), window)
    text = select.sql(dialect=ENGINES["athena"])
    return text.replace(f"FROM {_PLACEHOLDER}", f"FROM {store_id(store)}")


def lake_queries(
    store: str, rules: Sequence[HuntRule], since: datetime, until: datetime, max_chars: int
) -> list[tuple[tuple[HuntRule, ...], str]]:
    """The statements for `rules`, split under StartQuery's length limit."""
    return split_queries(
        rules,
        lambda group: lake_query(store, group, since, until),
        ENGINES["athena"],
        max_chars,
        "CloudTrail Lake",
    )


def run_lake_query(
    client: Any,
    statement: str,
    *,
    columns: Sequence[str] = (),
    page_size: int = MAX_PAGE,
    timeout_s: float = 1800.0,
    sleep: Callable[[float], None] = time.sleep,
) -> QueryResult:
    """StartQuery, DescribeQuery until it ends, every GetQueryResults page (module doc).

    `columns` are the result's columns in order: a row leaves its nulls out, so the rows'
    own keys say neither all the columns nor their order. Without them, the keys as seen.
    """
    query_id = str(call(client, "StartQuery", {"QueryStatement": statement})["QueryId"])
    delay, deadline = 0.2, time.monotonic() + timeout_s  # the calls' time counts too
    while True:
        described = call(client, "DescribeQuery", {"QueryId": query_id})
        status = str(described.get("QueryStatus", ""))
        if status == "FINISHED":
            break
        if status in DONE:
            reason = str(described.get("ErrorMessage") or "no reason")
            raise QueryFailed(query_id, status, reason, SERVICE)
        if time.monotonic() >= deadline:
            call(client, "CancelQuery", {"QueryId": query_id})
            reason = f"still {status} after {timeout_s:.0f} s"
            raise QueryFailed(query_id, "CANCELLED", reason, SERVICE)
        sleep(delay)
        delay = min(delay * 2, 2.0)
    raw_pages: list[dict[str, Any]] = []
    found: list[dict[str, str]] = []
    params: dict[str, Any] = {"QueryId": query_id, "MaxQueryResults": page_size}
    while True:
        page = call(client, "GetQueryResults", params)
        raw_pages.append(page)
        for row in page.get("QueryResultRows") or []:
            found.append({k: v for cell in row for k, v in cell.items()})
        if not page.get("NextToken"):
            break
        params |= {"NextToken": page["NextToken"]}
    columns = tuple(columns) or tuple(dict.fromkeys(name for row in found for name in row))
    statistics = described.get("QueryStatistics") or {}
    return QueryResult(
        query_id,
        columns,
        tuple(tuple(row.get(name) for name in columns) for row in found),
        int(statistics.get("BytesScanned") or 0),
        int(statistics.get("ExecutionTimeInMillis") or 0),
        described,
        tuple(raw_pages),
    )


def hunt_cloudtrail_lake(
    case: Case, session: boto3.Session, options: LakeQueryOptions
) -> LakeSummary:
    """Run the rules on a CloudTrail Lake event data store; matches go into the case."""
    store = store_id(options.event_data_store)
    rules, refused = lake_rules(options.rules)
    if not rules:
        raise ValueError("no rule can be pushed down to CloudTrail Lake")
    region = store_region(options.event_data_store, options.region)
    clients = ClientFactory(session, endpoint_url=options.endpoint_url)
    cloudtrail = clients.client("cloudtrail", region)
    account = str(call(clients.client("sts", region), "GetCallerIdentity", {})["Account"])
    described = call(cloudtrail, "GetEventDataStore", {"EventDataStore": options.event_data_store})
    queries = lake_queries(store, rules, options.since, options.until, options.max_statement)
    case.log(
        "hunt-started",
        {
            "source": "cloudtrail-lake",
            "event_data_store": str(described.get("EventDataStoreArn", store)),
            "queries": len(queries),
            "since": options.since.isoformat(),
            "until": options.until.isoformat(),
            "rules": [r.id for r in rules],
        },
    )
    results = [
        run_lake_query(
            cloudtrail,
            sql,
            columns=(RULES_COLUMN, *SELECTED),
            page_size=options.page_size,
            timeout_s=options.timeout_s,
        )
        for _, sql in queries
    ]
    for result in results:
        store_responses(case, result, account, region, ROWS)
    ingested = merge_ingested(
        [ingest_rows(case, result, region, ROWS) for result in once_each(results)]
    )
    summary = LakeSummary(
        query_ids=tuple(r.query_id for r in results),
        scanned_bytes=sum(r.scanned_bytes for r in results),
        cost_usd=sum(cost_usd(r.scanned_bytes) for r in results),
        engine_ms=sum(r.engine_ms for r in results),
        rows=ingested.events,
        ingested=ingested,
        rules=len(rules),
        unsupported=(*options.unsupported, *refused),
    )
    case.log("hunted", summary.to_json() | {"source": "cloudtrail-lake"})
    return summary


def _json_text(column: exp.Expr) -> exp.Expr:
    """`json_format(CAST(column AS JSON))`: a struct, array or map as JSON text."""
    return exp.JSONFormat(this=exp.cast(column, "JSON"))


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _lake_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")
