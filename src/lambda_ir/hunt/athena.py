"""Run one query on Amazon Athena: submit, poll until it ends, page through the results.

athena:StartQueryExecution, then athena:GetQueryExecution until the state is SUCCEEDED,
FAILED or CANCELLED (waits grow from 0.2 s to 2 s), then athena:GetQueryResults page by page
(1,000 rows each; the first row of the first page is the header). Every response is kept,
as returned, for the case. A failed or cancelled query raises `QueryFailed` with Athena's
reason. The cost estimate is Athena's price for SQL queries ($5 per TB scanned, each query
billed at least 10 MB, bytes rounded up to the MB): the API reports bytes, not dollars.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lambda_ir.aws import call, pages

DONE = ("SUCCEEDED", "FAILED", "CANCELLED")
PRICE_PER_TB = 5.0
MIN_BILLED_BYTES = 10 * 1024 * 1024


class QueryFailed(Exception):
    """The service (Athena, CloudTrail Lake) ended the query FAILED or CANCELLED, or timed out."""

    def __init__(self, query_id: str, state: str, reason: str, service: str = "Athena") -> None:
        super().__init__(f"{service} query {query_id} {state}: {reason}")
        self.service = service
        self.query_id = query_id
        self.state = state
        self.reason = reason


@dataclass(frozen=True)
class QueryResult:
    """A finished query: its id, columns and rows (text or None), statistics, raw responses."""

    query_id: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str | None, ...], ...]
    scanned_bytes: int
    engine_ms: int
    execution: dict[str, Any]
    pages: tuple[dict[str, Any], ...]

    @property
    def cost_usd(self) -> float:
        """Athena's price for this query's scan (see the module doc)."""
        return cost_usd(self.scanned_bytes)


def cost_usd(scanned_bytes: int) -> float:
    """$5 per TB scanned, at least 10 MB per query, rounded up to the MB."""
    megabytes = math.ceil(max(scanned_bytes, MIN_BILLED_BYTES) / (1024 * 1024))
    return megabytes * 1024 * 1024 / 1024**4 * PRICE_PER_TB


def run_query(
    client: Any,
    sql: str,
    workgroup: str,
    database: str | None = None,
    *,
    timeout_s: float = 1800.0,
    sleep: Callable[[float], None] = time.sleep,
) -> QueryResult:
    """Submit `sql` in `workgroup`, wait for it and return every result row."""
    params: dict[str, Any] = {"QueryString": sql, "WorkGroup": workgroup}
    if database:
        params["QueryExecutionContext"] = {"Database": database}
    query_id = str(call(client, "StartQueryExecution", params)["QueryExecutionId"])
    execution = wait(client, query_id, timeout_s=timeout_s, sleep=sleep)
    statistics = execution.get("Statistics") or {}
    raw_pages: list[dict[str, Any]] = []
    rows: list[tuple[str | None, ...]] = []
    columns: tuple[str, ...] = ()
    for page in pages(client, "GetQueryResults", {"QueryExecutionId": query_id}):
        raw_pages.append(page)
        result = page.get("ResultSet") or {}
        info = (result.get("ResultSetMetadata") or {}).get("ColumnInfo") or []
        columns = columns or tuple(str(c.get("Name", "")) for c in info)
        for row in result.get("Rows") or []:
            rows.append(tuple(cell.get("VarCharValue") for cell in row.get("Data") or []))
    if rows and execution.get("StatementType", "DML") == "DML" and rows[0] == columns:
        rows = rows[1:]  # Athena's first row repeats the column names
    return QueryResult(
        query_id,
        columns,
        tuple(rows),
        int(statistics.get("DataScannedInBytes") or 0),
        int(statistics.get("EngineExecutionTimeInMillis") or 0),
        execution,
        tuple(raw_pages),
    )


def wait(
    client: Any, query_id: str, *, timeout_s: float, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    """Poll GetQueryExecution until the query ends; its QueryExecution, or QueryFailed."""
    # The timeout counts the calls' own time too, not only the sleeps: a monotonic deadline.
    delay, deadline = 0.2, time.monotonic() + timeout_s
    while True:
        execution = call(client, "GetQueryExecution", {"QueryExecutionId": query_id})
        found: dict[str, Any] = execution["QueryExecution"]
        status = found.get("Status") or {}
        state = str(status.get("State", ""))
        if state == "SUCCEEDED":
            return found
        if state in DONE:
            raise QueryFailed(query_id, state, str(status.get("StateChangeReason") or "no reason"))
        if time.monotonic() >= deadline:
            call(client, "StopQueryExecution", {"QueryExecutionId": query_id})
            raise QueryFailed(query_id, "CANCELLED", f"still {state} after {timeout_s:.0f} s")
        sleep(delay)
        delay = min(delay * 2, 2.0)
