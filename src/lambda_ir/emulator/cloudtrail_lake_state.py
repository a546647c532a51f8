"""The emulator's CloudTrail Lake state: event data stores, queries and imports."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lambda_ir.emulator.http import Response, json_error, json_response

_JSON = "application/x-amz-json-1.1"


@dataclass
class Store:
    """One event data store and the events imported into it."""

    arn: str
    name: str
    account: str
    region: str
    created: datetime
    settings: dict[str, Any]
    first_entry: int  # the trail's length at creation: the store collects what comes after
    imported: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The id part of the ARN: what a query's FROM names."""
        return self.arn.rsplit("/", 1)[-1]

    def describe(self) -> dict[str, Any]:
        """The store as GetEventDataStore returns it."""
        stamp = self.created.timestamp()
        return {
            "EventDataStoreArn": self.arn,
            "Name": self.name,
            "Status": "ENABLED",
            "CreatedTimestamp": stamp,
            "UpdatedTimestamp": stamp,
        } | self.settings


@dataclass
class Query:
    """One query: its statement, state and result."""

    id: str
    statement: str
    account: str
    created: float
    state: str = "FINISHED"
    polls: int = 0
    error: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[str | None, ...]] = field(default_factory=list)
    events_scanned: int = 0
    bytes_scanned: int = 0
    engine_ms: int = 0


@dataclass
class LakeState:
    """Every store, query and import the emulator holds."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    stores: dict[str, Store] = field(default_factory=dict)
    queries: dict[str, Query] = field(default_factory=dict)
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)


def find_store(state: LakeState, given: str, account: str, region: str) -> Store | None:
    """The caller's store named by ARN or id, or None.

    A store is found only in its own account and region: on AWS a call sent to another region
    fails with EventDataStoreNotFoundException, even given the store's full ARN.
    """
    with state.lock:
        return next(
            (
                s
                for s in state.stores.values()
                if given in (s.arn, s.id) and (s.account, s.region) == (account, region)
            ),
            None,
        )


def not_found(given: str) -> Response:
    return json_error(
        "EventDataStoreNotFoundException", f"The event data store {given} was not found."
    )


def ok(document: dict[str, Any]) -> Response:
    return json_response(document, content_type=_JSON)
