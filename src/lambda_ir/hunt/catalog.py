"""What the AWS Glue Data Catalog holds, read through Athena (GetDatabase, GetTableMetadata).

`hunt` reads a table the catalog names; `hunt --create-table` makes one only where none is,
and reuses one only when it is over the same trail. Athena answers `MetadataException` for a
database or table the catalog does not have: that is "not there" (None, False). Any other
error (denied, throttled) is raised for the caller to judge: it says nothing either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambda_ir.aws import call


class NotInCatalog(LookupError):
    """The table to hunt is not in the catalog: Athena would fail the query (TABLE_NOT_FOUND
    or SCHEMA_NOT_FOUND), after it was sent and logged, and say nothing of how to make it."""


@dataclass(frozen=True)
class CatalogTable:
    """A table as the catalog describes it: when it was made, where its files are read from,
    and which accounts and regions its partition projection enumerates (empty: none)."""

    created: datetime | None  # UTC; None when the catalog gives no CreateTime
    location: str  # the projection's `storage.location.template`, else the table's LOCATION
    accounts: tuple[str, ...]
    regions: tuple[str, ...]


def read_table(athena: Any, table: str) -> CatalogTable | None:
    """`table` (DB.TABLE) from the catalog, or None when the catalog has no such table."""
    database, name = table.split(".")
    found = _read(athena, "GetTableMetadata", {"DatabaseName": database, "TableName": name})
    if found is None:
        return None
    metadata = found.get("TableMetadata") or {}
    parameters = metadata.get("Parameters") or {}
    made = metadata.get("CreateTime")
    # With partition projection Athena reads the template, not LOCATION (AWS's "Custom
    # storage location" for projection): the template is where the table's data is.
    where = parameters.get("storage.location.template") or parameters.get("location") or ""
    return CatalogTable(
        made.astimezone(UTC) if isinstance(made, datetime) else None,
        str(where),
        _values(parameters.get("projection.account.values")),
        _values(parameters.get("projection.region.values")),
    )


def read_database(athena: Any, database: str) -> dict[str, str] | None:
    """The database's Parameters (its DBPROPERTIES), or None when the catalog has none."""
    found = _read(athena, "GetDatabase", {"DatabaseName": database})
    if found is None:
        return None
    parameters = (found.get("Database") or {}).get("Parameters") or {}
    return {str(k): str(v) for k, v in parameters.items()}


def check_in_catalog(athena: Any, table: str) -> None:
    """Raise NotInCatalog when the catalog has no such database or table (dropped by an undo,
    never made, a misspelt name). An error reading it (denied, throttled) tells nothing either
    way: then the query runs and Athena answers for it."""
    database, name = table.split(".")
    try:
        if not exists(athena, "GetDatabase", {"DatabaseName": database}):
            raise NotInCatalog(f"{table} is not in the catalog: there is no database {database}")
        if not exists(athena, "GetTableMetadata", {"DatabaseName": database, "TableName": name}):
            raise NotInCatalog(f"{table} is not in the catalog: {database} has no table {name}")
    except (ClientError, BotoCoreError):
        return


def exists(athena: Any, operation: str, params: dict[str, str]) -> bool:
    """Whether the catalog has it (GetDatabase or GetTableMetadata with `params`)."""
    return _read(athena, operation, params) is not None


def _read(athena: Any, operation: str, params: dict[str, str]) -> dict[str, Any] | None:
    """Athena's answer to a catalog read (GetDatabase, GetTableMetadata) of the default
    catalog, or None when it has no such database or table; any other error is raised."""
    try:
        found: dict[str, Any] = call(athena, operation, {"CatalogName": "AwsDataCatalog", **params})
    except ClientError as exc:
        if _missing(exc):
            return None
        raise
    return found


def _missing(exc: ClientError) -> bool:
    return bool(exc.response.get("Error", {}).get("Code") == "MetadataException")


def _values(listed: object) -> tuple[str, ...]:
    return tuple(v for v in str(listed or "").split(",") if v)
