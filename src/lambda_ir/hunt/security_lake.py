"""`hunt --source security-lake`: the same rules over Amazon Security Lake's CloudTrail table.

The rules are written once over the standard CloudTrail table (`hunt.rules`); `to_ocsf`
rewrites each condition's columns to the OCSF attributes Security Lake stores them in
(`security_lake_ocsf.FIELDS`: `eventname` → `api.operation`, `useridentity.arn` →
`actor.user.uid`, `requestparameters->>'$.x'` → `json_extract_scalar(api.request.data,
'$.x')`, `readonly` → `element_at(unmapped, 'readOnly')`…); a rule reading a field with no
OCSF home is listed as not pushed down, with the reason. The query (Athena's dialect, through
`query.labelled_select`) reads `amazon_security_lake_glue_db_<region>.amazon_security_lake_
table_<region>_cloud_trail_mgmt_2_0` bounded by `time_dt`, which is how a source version 2.0
table is pruned to the window's days (AWS's Security Lake queries for version 2: "querying
time_dt will automatically yield the date partitions"; 1.0 pruned on `eventDay`), and
selects the OCSF objects as JSON so each row turns back into a CloudTrail record
(`record_of_ocsf`), ingested under `trail/<account>/security-lake/`. Athena's workflow
(`hunt.athena`) and its price apply unchanged. Reads only: athena:StartQueryExecution,
GetQueryExecution, GetQueryResults, Glue and Lake Formation read on the table, S3 read on the
lake's bucket, write on the workgroup's result location.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import boto3
import sqlglot
from sqlglot import exp

from lambda_ir.aws import ClientFactory, call
from lambda_ir.evidence import Case
from lambda_ir.hunt.athena import run_query
from lambda_ir.hunt.ingest import RESULTS_API, RowSource, ingest_rows, store_responses
from lambda_ir.hunt.query import (
    MAX_QUERY_BYTES,
    check_table,
    labelled_select,
    split_queries,
)
from lambda_ir.hunt.rules import ENGINES, SOURCE_DIALECT, HuntRule, Unsupported, rewrite_rules
from lambda_ir.hunt.run import HuntOptions, HuntSummary, merge_ingested, once_each
from lambda_ir.hunt.security_lake_ocsf import FIELDS, JSON_FIELDS, UNMAPPED, record_of_ocsf
from lambda_ir.hunt.security_lake_schema import COLUMNS, table_names

ROWS = RowSource(
    "security-lake", "athena:GetQueryExecution", RESULTS_API, "QueryExecutionId", record_of_ocsf
)


def default_table(region: str) -> str:
    """`amazon_security_lake_glue_db_<r>.amazon_security_lake_table_<r>_cloud_trail_mgmt_2_0`."""
    database, table = table_names(region)
    return f"{database}.{table}"


def _column_expressions() -> dict[str, exp.Expr]:
    """CloudTrail table column (lower-case path) → its OCSF expression, in DuckDB's dialect."""
    mapped: dict[str, exp.Expr] = {}
    for field, attribute in (*FIELDS, *JSON_FIELDS):
        mapped[field.lower()] = sqlglot.parse_one(attribute, read=SOURCE_DIALECT)
    for field in UNMAPPED:
        mapped[field.lower()] = exp.Bracket(
            this=exp.column("unmapped"),
            expressions=[exp.Literal.string(field)],
            offset=1,
            safe=True,  # element_at on Trino: NULL for a missing key, as DuckDB's m['k']
        )
    mapped["sourceipaddress"] = sqlglot.parse_one(
        "coalesce(src_endpoint.ip, src_endpoint.domain)", read=SOURCE_DIALECT
    )
    mapped["useridentity.sessioncontext.attributes.mfaauthenticated"] = sqlglot.parse_one(
        "CAST(actor.session.is_mfa AS VARCHAR)", read=SOURCE_DIALECT
    )
    return mapped


def to_ocsf(condition: exp.Expr) -> exp.Expr:
    """The condition over Security Lake's OCSF columns; ValueError for a field it lacks."""
    mapped = _column_expressions()
    rewritten = condition.copy()
    for column in list(rewritten.find_all(exp.Column)):
        path = ".".join(part.name for part in column.parts).lower()
        target = mapped.get(path)
        if target is None:
            raise ValueError(f"field {path} has no OCSF attribute in Security Lake's table")
        if column is rewritten:
            return target.copy()
        column.replace(target.copy())
    return rewritten


def ocsf_rules(rules: Sequence[HuntRule]) -> tuple[list[HuntRule], list[Unsupported]]:
    """`rules` rewritten for Security Lake; those that cannot be, with the reason."""
    return rewrite_rules(rules, to_ocsf)


def lake_select(
    table: str, rules: Sequence[HuntRule], since: datetime, until: datetime
) -> exp.Select:
    """The query's tree over OCSF rules (`ocsf_rules`), bounded by `time_dt` (what prunes a
    source version 2.0 table to the window's days, AWS documents; not 1.0's `eventday`)."""
    start, end = _utc(since), _utc(until)
    projections: list[exp.Expr] = [exp.alias_(exp.column("uid", "metadata"), "eventid")]
    for name, kind in COLUMNS:
        column = exp.column(name)
        if isinstance(kind, str) and kind != "map<string,string>":
            projections.append(column)
        else:
            projections.append(exp.alias_(exp.cast(column, "JSON"), name))
    projections += [exp.column("accountid"), exp.column("region")]
    stamp = exp.DataType.build("TIMESTAMP")
    window = exp.and_(
        exp.GTE(
            this=exp.column("time_dt"),
            expression=exp.cast(exp.Literal.string(f"{start:%Y-%m-%d %H:%M:%S}"), stamp),
        ),
        exp.LTE(
            this=exp.column("time_dt"),
            expression=exp.cast(exp.Literal.string(f"{end:%Y-%m-%d %H:%M:%S}"), stamp),
        ),
    )
    return labelled_select(rules, projections, exp.to_table(check_table(table)), window)


def lake_queries(
    table: str,
    rules: Sequence[HuntRule],
    since: datetime,
    until: datetime,
    max_bytes: int = MAX_QUERY_BYTES,
) -> list[tuple[tuple[HuntRule, ...], str]]:
    """Athena texts for OCSF rules, split under Athena's query-length limit."""
    return split_queries(
        rules,
        lambda group: lake_select(table, group, since, until).sql(dialect=ENGINES["athena"]),
        ENGINES["athena"],
        max_bytes,
        "Athena",
    )


def hunt_security_lake(case: Case, session: boto3.Session, options: HuntOptions) -> HuntSummary:
    """Run the rules against Security Lake through Athena; matches go into the case."""
    check_table(options.table)
    rules, refused = ocsf_rules(options.rules)
    unsupported = (*options.unsupported, *refused)
    if not rules:
        raise ValueError("no rule can be pushed down to Security Lake")
    clients = ClientFactory(session, endpoint_url=options.endpoint_url)
    athena = clients.client("athena", options.region)
    account = str(call(clients.client("sts", options.region), "GetCallerIdentity", {})["Account"])
    queries = lake_queries(
        options.table, rules, options.since, options.until, options.max_query_bytes
    )
    case.log(
        "hunt-started",
        {
            "source": "security-lake",
            "workgroup": options.workgroup,
            "table": options.table,
            "queries": len(queries),
            "since": options.since.isoformat(),
            "until": options.until.isoformat(),
            "rules": [r.id for r in rules],
        },
    )
    results = [
        run_query(athena, sql, options.workgroup, timeout_s=options.timeout_s) for _, sql in queries
    ]
    for result in results:
        store_responses(case, result, account, options.region, ROWS)
    ingested = merge_ingested(
        [ingest_rows(case, result, options.region, ROWS) for result in once_each(results)]
    )
    summary = HuntSummary(
        query_ids=tuple(r.query_id for r in results),
        scanned_bytes=sum(r.scanned_bytes for r in results),
        cost_usd=sum(r.cost_usd for r in results),  # each query billed on its own
        engine_ms=sum(r.engine_ms for r in results),
        rows=ingested.events,
        ingested=ingested,
        rules=len(rules),
        unsupported=tuple(unsupported),
    )
    case.log("hunted", summary.to_json() | {"source": "security-lake"})
    return summary


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
