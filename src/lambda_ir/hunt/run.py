"""`hunt()`: push the CloudTrail rules down to Athena over a trail bucket, keep what matched.

1. One query for every rule (`query.hunt_queries`, Athena's dialect), pruned to the window;
   several when the text would pass Athena's 262,144-byte limit, an event matched in more
   than one of them kept once, with every rule it matched.
2. The responses and the matching records go into the case (`ingest`); custody records each
   query id, its SQL's SHA-256, the bytes scanned and the cost estimate.
Reads only: the table, when it must be made first, is `respond.hunt_table`'s (planned, and
created only with `--apply`); one the catalog lacks raises `catalog.NotInCatalog` before any
query is sent. Athena writes each query's result object to the workgroup's S3
output location; that is Athena's bookkeeping, not a change to the investigated resources.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import boto3

from lambda_ir.aws import ClientFactory, call
from lambda_ir.evidence import Case
from lambda_ir.hunt.athena import QueryResult, run_query
from lambda_ir.hunt.catalog import check_in_catalog
from lambda_ir.hunt.ingest import Ingested, ingest_rows, store_responses
from lambda_ir.hunt.query import MAX_QUERY_BYTES, RULES_COLUMN, check_table, hunt_queries
from lambda_ir.hunt.rules import HuntRule, Unsupported


@dataclass(frozen=True)
class HuntOptions:
    """Where and what to hunt: workgroup, table, window and rules."""

    workgroup: str
    table: str  # DATABASE.TABLE
    since: datetime
    until: datetime
    rules: tuple[HuntRule, ...]
    region: str
    unsupported: tuple[Unsupported, ...] = ()
    endpoint_url: str | None = None
    timeout_s: float = 1800.0
    max_query_bytes: int = MAX_QUERY_BYTES  # Athena's limit; smaller only in tests


@dataclass(frozen=True)
class HuntSummary:
    """What the hunt did: the query, what it scanned and cost, and what came into the case."""

    query_ids: tuple[str, ...]
    scanned_bytes: int
    cost_usd: float
    engine_ms: int
    rows: int
    ingested: Ingested
    rules: int
    unsupported: tuple[Unsupported, ...]

    def line(self) -> str:
        """One sentence for the person."""
        queries = (
            f"one Athena query ({self.query_ids[0]})"
            if len(self.query_ids) == 1
            else f"{len(self.query_ids)} Athena queries"
        )
        return (
            f"{self.rules} rules in {queries}: "
            f"{self.ingested.events:,} matching events ingested from "
            f"{len(self.ingested.by_account)} account(s); scanned {self.scanned_bytes:,} bytes, "
            f"estimated cost ${self.cost_usd:.6f}"
            + (f"; {len(self.unsupported)} rule(s) not pushed down" if self.unsupported else "")
        )

    def to_json(self) -> dict[str, Any]:
        """The summary for `--json` and custody."""
        return {
            "query_id": self.query_ids[0],
            "query_ids": list(self.query_ids),
            "scanned_bytes": self.scanned_bytes,
            "cost_usd_estimate": round(self.cost_usd, 6),
            "engine_ms": self.engine_ms,
            "rows": self.rows,
            "events": self.ingested.events,
            "by_account": self.ingested.by_account,
            "by_rule": self.ingested.by_rule,
            "artifacts": list(self.ingested.paths),
            "rules": self.rules,
            "unsupported": [
                {"rule": u.id, "title": u.title, "reason": u.reason} for u in self.unsupported
            ],
        }


def hunt(case: Case, session: boto3.Session, options: HuntOptions) -> HuntSummary:
    """Run the hunt (see the module doc); raises `NotInCatalog` when the table is not there
    and `QueryFailed` when Athena fails the query."""
    check_table(options.table)
    clients = ClientFactory(session, endpoint_url=options.endpoint_url)
    athena = clients.client("athena", options.region)
    check_in_catalog(athena, options.table)
    account = str(call(clients.client("sts", options.region), "GetCallerIdentity", {})["Account"])
    queries = hunt_queries(
        options.table,
        options.rules,
        options.since,
        options.until,
        "athena",
        max_bytes=options.max_query_bytes,
    )
    case.log(
        "hunt-started",
        {
            "workgroup": options.workgroup,
            "table": options.table,
            "sql_sha256": [_sha(sql) for _, sql in queries],
            "since": options.since.isoformat(),
            "until": options.until.isoformat(),
            "rules": [r.id for r in options.rules],
        },
    )
    results = [
        run_query(athena, sql, options.workgroup, timeout_s=options.timeout_s) for _, sql in queries
    ]
    for result in results:
        store_responses(case, result, account, options.region)
    ingested = [ingest_rows(case, result, options.region) for result in once_each(results)]
    summary = _summary(results, merge_ingested(ingested), options)
    case.log("hunted", summary.to_json() | {"sql_sha256": [_sha(sql) for _, sql in queries]})
    return summary


def once_each(results: Sequence[QueryResult]) -> list[QueryResult]:
    """Each event only in the first query that returned it, with every rule any query matched.

    Rows repeated within one query (CloudTrail may deliver an event twice) are left as they
    are, as with a single query: `index` de-duplicates by eventID.
    """
    first: dict[str, tuple[int, list[str | None]]] = {}
    kept: list[list[list[str | None]]] = []
    for number, result in enumerate(results):
        at_rules, at_id = result.columns.index(RULES_COLUMN), result.columns.index("eventid")
        rows: list[list[str | None]] = []
        for row in result.rows:
            seen = first.get(str(row[at_id]))
            if seen is not None and seen[0] != number:
                # the earlier row's rules cell, by its own query's columns
                earlier = results[seen[0]].columns.index(RULES_COLUMN)
                seen[1][earlier] = (seen[1][earlier] or "") + (row[at_rules] or "")
                continue
            values = list(row)
            first.setdefault(str(row[at_id]), (number, values))
            rows.append(values)
        kept.append(rows)
    return [
        replace(result, rows=tuple(tuple(row) for row in rows))
        for result, rows in zip(results, kept, strict=True)
    ]


def merge_ingested(parts: Sequence[Ingested]) -> Ingested:
    """What several queries' ingests wrote, added up."""
    by_account: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    for part in parts:
        for account, count in part.by_account.items():
            by_account[account] = by_account.get(account, 0) + count
        for rule, count in part.by_rule.items():
            by_rule[rule] = by_rule.get(rule, 0) + count
    return Ingested(
        sum(p.events for p in parts),
        dict(sorted(by_account.items())),
        dict(sorted(by_rule.items())),
        tuple(path for p in parts for path in p.paths),
    )


def _summary(
    results: Sequence[QueryResult], ingested: Ingested, options: HuntOptions
) -> HuntSummary:
    return HuntSummary(
        tuple(r.query_id for r in results),
        sum(r.scanned_bytes for r in results),
        sum(r.cost_usd for r in results),  # each query is billed on its own (10 MB minimum)
        sum(r.engine_ms for r in results),
        ingested.events,
        ingested,
        len(options.rules),
        options.unsupported,
    )


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def rule_ids(rules: Sequence[HuntRule]) -> list[str]:
    """The ids of `rules`, in order."""
    return [r.id for r in rules]
