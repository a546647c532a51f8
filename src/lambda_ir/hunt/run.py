"""`hunt()`: push the CloudTrail rules down to Athena over a trail bucket, keep what matched.

1. With `create_location` (s3://bucket/prefix of a trail or organisation trail): list the
   accounts under `AWSLogs/` (s3:ListObjectsV2 with a delimiter; an organisation trail's
   `o-…` level is stepped into), then `CREATE DATABASE IF NOT EXISTS` and the standard
   CloudTrail table with partition projection (`table.create_table_sql`).
2. One query for every rule (`query.hunt_query`, Athena's dialect), pruned to the window.
3. The responses and the matching records go into the case (`ingest`); custody records the
   query id, its SQL's SHA-256, the bytes scanned and the cost estimate.
Reads only, except the table and database it creates when asked (Athena catalog writes;
never data).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import boto3

from lambda_ir.aws import ClientFactory, call, pages
from lambda_ir.evidence import Case
from lambda_ir.hunt.athena import QueryResult, run_query
from lambda_ir.hunt.ingest import Ingested, ingest_rows, store_responses
from lambda_ir.hunt.query import check_table, hunt_query
from lambda_ir.hunt.rules import HuntRule, Unsupported
from lambda_ir.hunt.table import create_table_sql


@dataclass(frozen=True)
class HuntOptions:
    """Where and what to hunt: workgroup, table, window, rules, and the table to create."""

    workgroup: str
    table: str  # DATABASE.TABLE
    since: datetime
    until: datetime
    rules: tuple[HuntRule, ...]
    region: str
    create_location: str | None = None  # s3://bucket/prefix: create the table over it first
    unsupported: tuple[Unsupported, ...] = ()
    endpoint_url: str | None = None
    timeout_s: float = 1800.0
    regions: tuple[str, ...] = field(default_factory=tuple)  # projected; default: those listed


@dataclass(frozen=True)
class HuntSummary:
    """What the hunt did: the query, what it scanned and cost, and what came into the case."""

    query_id: str
    scanned_bytes: int
    cost_usd: float
    engine_ms: int
    rows: int
    ingested: Ingested
    created_table: str | None
    rules: int
    unsupported: tuple[Unsupported, ...]

    def line(self) -> str:
        """One sentence for the person."""
        created = f"created {self.created_table}; " if self.created_table else ""
        return (
            f"{created}{self.rules} rules in one Athena query ({self.query_id}): "
            f"{self.ingested.events:,} matching events ingested from "
            f"{len(self.ingested.by_account)} account(s); scanned {self.scanned_bytes:,} bytes, "
            f"estimated cost ${self.cost_usd:.6f}"
            + (f"; {len(self.unsupported)} rule(s) not pushed down" if self.unsupported else "")
        )

    def to_json(self) -> dict[str, Any]:
        """The summary for `--json` and custody."""
        return {
            "query_id": self.query_id,
            "scanned_bytes": self.scanned_bytes,
            "cost_usd_estimate": round(self.cost_usd, 6),
            "engine_ms": self.engine_ms,
            "rows": self.rows,
            "events": self.ingested.events,
            "by_account": self.ingested.by_account,
            "by_rule": self.ingested.by_rule,
            "artifacts": list(self.ingested.paths),
            "created_table": self.created_table,
            "rules": self.rules,
            "unsupported": [
                {"rule": u.id, "title": u.title, "reason": u.reason} for u in self.unsupported
            ],
        }


def hunt(case: Case, session: boto3.Session, options: HuntOptions) -> HuntSummary:
    """Run the hunt (see the module doc); raises `QueryFailed` when Athena fails the query."""
    check_table(options.table)
    clients = ClientFactory(session, endpoint_url=options.endpoint_url)
    athena = clients.client("athena", options.region)
    account = str(call(clients.client("sts", options.region), "GetCallerIdentity", {})["Account"])
    created = None
    if options.create_location:
        created = _create_table(case, clients, athena, options)
    sql = hunt_query(options.table, options.rules, options.since, options.until, "athena")
    case.log(
        "hunt-started",
        {
            "workgroup": options.workgroup,
            "table": options.table,
            "sql_sha256": _sha(sql),
            "since": options.since.isoformat(),
            "until": options.until.isoformat(),
            "rules": [r.id for r in options.rules],
        },
    )
    result = run_query(athena, sql, options.workgroup, timeout_s=options.timeout_s)
    store_responses(case, result, account, options.region)
    ingested = ingest_rows(case, result, options.region)
    summary = _summary(result, ingested, created, options)
    case.log("hunted", summary.to_json() | {"sql_sha256": _sha(sql)})
    return summary


def _create_table(case: Case, clients: ClientFactory, athena: Any, options: HuntOptions) -> str:
    location = str(options.create_location).rstrip("/")
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    s3 = clients.client("s3", options.region)
    logs_root, accounts = trail_accounts(s3, bucket, prefix)
    root = logs_root.removeprefix(f"s3://{bucket}/")
    found = {r for a in accounts for r in _folders(s3, bucket, f"{root}/{a}/CloudTrail/")}
    found = {r for r in found if re.fullmatch(r"[a-z0-9-]{1,40}", r)}  # names from the bucket
    regions = options.regions or tuple(sorted(found))
    database = options.table.split(".")[0]
    ddl = create_table_sql(options.table, logs_root, accounts, regions, date(2013, 11, 1))
    for statement in (f"CREATE DATABASE IF NOT EXISTS {database}", ddl):
        done = run_query(athena, statement, options.workgroup, timeout_s=options.timeout_s)
        case.log("hunt-ddl", {"query_id": done.query_id, "sql": statement})
    return options.table


def trail_accounts(s3: Any, bucket: str, prefix: str) -> tuple[str, list[str]]:
    """`s3://bucket/prefix/AWSLogs[/o-org]` and its accounts, from the folder's listing."""
    root = f"{prefix.strip('/')}/AWSLogs/" if prefix.strip("/") else "AWSLogs/"
    found = _folders(s3, bucket, root)
    organisation = [f for f in found if f.startswith("o-")]
    if organisation:  # an organisation trail: AWSLogs/o-xxxx/<account>/
        root = f"{root}{organisation[0]}/"
        found = _folders(s3, bucket, root)
    accounts = sorted(f for f in found if f.isdigit() and len(f) == 12)
    if not accounts:
        raise ValueError(f"no CloudTrail account folders under s3://{bucket}/{root}")
    return f"s3://{bucket}/{root.rstrip('/')}", accounts


def _folders(s3: Any, bucket: str, prefix: str) -> list[str]:
    names: list[str] = []
    for page in pages(s3, "ListObjectsV2", {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}):
        for common in page.get("CommonPrefixes") or []:
            names.append(str(common["Prefix"])[len(prefix) :].strip("/"))
    return names


def _summary(
    result: QueryResult, ingested: Ingested, created: str | None, options: HuntOptions
) -> HuntSummary:
    return HuntSummary(
        result.query_id,
        result.scanned_bytes,
        result.cost_usd,
        result.engine_ms,
        len(result.rows),
        ingested,
        created,
        len(options.rules),
        options.unsupported,
    )


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def rule_ids(rules: Sequence[HuntRule]) -> list[str]:
    """The ids of `rules`, in order."""
    return [r.id for r in rules]
