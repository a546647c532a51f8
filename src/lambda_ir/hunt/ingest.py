"""Bring a hunt's matching events into the case: the responses as returned, and the records.

Athena's responses (GetQueryExecution, every GetQueryResults page) are stored as returned
under `raw/<account>/<region>/athena/<query id>/` (kind `response`). Each matching row is
turned back into its CloudTrail record (`table.record_of`) and written, per account the event
was recorded in, to `trail/<account>/athena/<query id>.jsonl.zst` (kind `trail`, api
`athena:GetQueryResults`): `index` loads them into the normalised trail table and the
timeline like any other CloudTrail, de-duplicated by eventID. Other sources (`RowSource`:
Security Lake's OCSF rows, CloudTrail Lake's query results) go to `raw/…/<source>/` and
`trail/<account>/<source>/` the same way, with their own APIs and row-to-record mapping.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from lambda_ir.evidence import Case
from lambda_ir.evidence.layout import path_segment
from lambda_ir.evidence.trail import ARTIFACT_SUFFIX, compress_lines
from lambda_ir.hunt.athena import QueryResult
from lambda_ir.hunt.query import RULES_COLUMN
from lambda_ir.hunt.table import record_of
from lambda_ir.model import Kind

RESULTS_API = "athena:GetQueryResults"


@dataclass(frozen=True)
class Ingested:
    """What went into the case: events per account, matches per rule, artifacts written."""

    events: int
    by_account: dict[str, int]
    by_rule: dict[str, int]
    paths: tuple[str, ...]


@dataclass(frozen=True)
class RowSource:
    """Where result rows come from: the folder name under `trail/<account>/` and `raw/…/`,
    the describe and results APIs, the query id's parameter name, and how a row becomes
    a CloudTrail record."""

    name: str
    describe_api: str
    results_api: str
    id_param: str
    to_record: Callable[[Mapping[str, str | None]], dict[str, Any]]


ATHENA_ROWS = RowSource(
    "athena", "athena:GetQueryExecution", RESULTS_API, "QueryExecutionId", record_of
)


def store_responses(
    case: Case, result: QueryResult, account: str, region: str, source: RowSource = ATHENA_ROWS
) -> None:
    """Keep the query's execution and every results page, as the service returned them."""
    query = path_segment(result.query_id)
    folder = f"raw/{path_segment(account)}/{path_segment(region)}/{source.name}/{query}"
    params = {source.id_param: result.query_id}
    case.put_json(
        f"{folder}/query-execution.json",
        result.execution,
        kind=Kind.RESPONSE,
        api=source.describe_api,
        params=params,
        account=account,
        region=region,
    )
    for number, page in enumerate(result.pages, start=1):
        case.put_json(
            f"{folder}/results-{number:04d}.json",
            page,
            kind=Kind.RESPONSE,
            api=source.results_api,
            params={**params, "page": number},
            account=account,
            region=region,
        )


def ingest_rows(
    case: Case, result: QueryResult, region: str, source: RowSource = ATHENA_ROWS
) -> Ingested:
    """Write each matching row's record into the case, one artifact per event account."""
    by_account: dict[str, list[bytes]] = defaultdict(list)
    by_rule: dict[str, int] = defaultdict(int)
    for row in result.rows:
        values = dict(zip(result.columns, row, strict=False))
        for rule in (values.get(RULES_COLUMN) or "").split(","):
            if rule:
                by_rule[rule] += 1
        record = source.to_record(values)
        account = str(record.get("recipientAccountId") or "unknown")
        by_account[account].append(orjson.dumps(record) + b"\n")
    paths = []
    for account, lines in sorted(by_account.items()):
        query = path_segment(result.query_id)
        path = f"trail/{path_segment(account)}/{source.name}/{query}{ARTIFACT_SUFFIX}"
        case.put_stream(
            compress_lines(iter(lines)),
            path,
            kind=Kind.TRAIL,
            api=source.results_api,
            params={source.id_param: result.query_id},
            account=account,
            region=region,
        )
        paths.append(path)
    return Ingested(
        sum(len(v) for v in by_account.values()),
        {a: len(v) for a, v in sorted(by_account.items())},
        dict(sorted(by_rule.items())),
        tuple(paths),
    )


def rules_text(ids: Sequence[str]) -> str:
    """A short list of rule ids for a summary line."""
    return ", ".join(ids[:5]) + (", …" if len(ids) > 5 else "")
