"""The standard Athena CloudTrail table: its columns once, as Hive DDL, DuckDB types and rows.

`COLUMNS` follows AWS's documented CloudTrail table (CloudTrailInputFormat + JsonSerDe, one
row per record) with CloudTrail's own camelCase names; Athena lower-cases them. Omitted from
AWS's list: `addendum`, `edgedevicedetails`, `sessioncredentialfromconsole`, `onbehalfof`,
`webidfederationdata` (no rule reads them). The table is partitioned by `account`, `region` and
`timestamp` (`yyyy/MM/dd`) with partition projection, for an organisation trail's layout
`s3://bucket/prefix/AWSLogs/[o-org/]<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/`.
`duckdb_row` turns a record into the row Athena's SerDe would make (nested objects in string
columns become JSON text); `record_of` turns a selected row back into a CloudTrail record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Struct:
    """A STRUCT column: its fields, each a name (CloudTrail's spelling) and a type."""

    fields: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class ArrayOf:
    """An ARRAY column of one element type."""

    element: Any


STRING = "string"
_ISSUER = Struct(
    tuple((name, STRING) for name in ("type", "principalId", "arn", "accountId", "userName"))
)
USER_IDENTITY = Struct(
    (
        ("type", STRING),
        ("principalId", STRING),
        ("arn", STRING),
        ("accountId", STRING),
        ("invokedBy", STRING),
        ("accessKeyId", STRING),
        ("userName", STRING),
        (
            "sessionContext",
            Struct(
                (
                    (
                        "attributes",
                        Struct((("mfaAuthenticated", STRING), ("creationDate", STRING))),
                    ),
                    ("sessionIssuer", _ISSUER),
                    ("ec2RoleDelivery", STRING),
                    ("sourceIdentity", STRING),
                )
            ),
        ),
    )
)
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("eventVersion", STRING),
    ("userIdentity", USER_IDENTITY),
    ("eventTime", STRING),
    ("eventSource", STRING),
    ("eventName", STRING),
    ("awsRegion", STRING),
    ("sourceIPAddress", STRING),
    ("userAgent", STRING),
    ("errorCode", STRING),
    ("errorMessage", STRING),
    ("requestParameters", STRING),
    ("responseElements", STRING),
    ("additionalEventData", STRING),
    ("requestID", STRING),
    ("eventID", STRING),
    ("resources", ArrayOf(Struct((("arn", STRING), ("accountId", STRING), ("type", STRING))))),
    ("eventType", STRING),
    ("apiVersion", STRING),
    ("readOnly", STRING),
    ("recipientAccountId", STRING),
    ("serviceEventDetails", STRING),
    ("sharedEventID", STRING),
    ("vpcEndpointId", STRING),
    ("eventCategory", STRING),
    (
        "tlsDetails",
        Struct(
            (("tlsVersion", STRING), ("cipherSuite", STRING), ("clientProvidedHostHeader", STRING))
        ),
    ),
)
PARTITIONS = ("account", "region", "timestamp")
_SAFE = re.compile(r"^[A-Za-z0-9_./:=+@-]+$")  # S3 URLs, account ids, region names
# Columns whose value is an object in the record and JSON text in the table.
JSON_TEXT = frozenset(
    name.lower()
    for name, kind in COLUMNS
    if kind == STRING
    and name
    in ("requestParameters", "responseElements", "additionalEventData", "serviceEventDetails")
)
STRUCTS = {name.lower(): kind for name, kind in COLUMNS if not isinstance(kind, str)}
SCALARS = frozenset(name.lower() for name, kind in COLUMNS if kind == STRING) - JSON_TEXT


def hive_type(kind: Any) -> str:
    """The column type in Athena's DDL (`STRUCT<a:STRING,…>`)."""
    if isinstance(kind, Struct):
        return "STRUCT<" + ", ".join(f"{n.lower()}:{hive_type(k)}" for n, k in kind.fields) + ">"
    if isinstance(kind, ArrayOf):
        return f"ARRAY<{hive_type(kind.element)}>"
    return "STRING"


def duckdb_type(kind: Any) -> str:
    """The same column in DuckDB (`STRUCT(a VARCHAR, …)`, `…[]`)."""
    if isinstance(kind, Struct):
        return "STRUCT(" + ", ".join(f"{n.lower()} {duckdb_type(k)}" for n, k in kind.fields) + ")"
    if isinstance(kind, ArrayOf):
        return f"{duckdb_type(kind.element)}[]"
    return "VARCHAR"


def location_template(logs_root: str) -> str:
    """The table's `storage.location.template` over the trail under `logs_root`."""
    return logs_root.rstrip("/") + "/${account}/CloudTrail/${region}/${timestamp}"


def create_table_sql(
    table: str, logs_root: str, accounts: Iterable[str], regions: Iterable[str], start: date
) -> str:
    """CREATE EXTERNAL TABLE for the trail under `logs_root` (s3://bucket/prefix/AWSLogs, or
    …/AWSLogs/o-org for an organisation trail).

    `accounts` and `regions` become enum projections (`timestamp` a date projection from
    `start` to NOW), so queries never need MSCK REPAIR or ALTER TABLE ADD PARTITION. Without
    `IF NOT EXISTS`: a table of that name made meanwhile by someone else fails the statement,
    rather than being taken for ours (and dropped by our undo).
    """
    base = logs_root.rstrip("/")
    accounts, regions = list(accounts), list(regions)
    for value in (base, *accounts, *regions):  # each goes inside a quoted SQL string
        if not _SAFE.fullmatch(value):  # `$` alone would take a final line break
            raise ValueError(f"{value!r} cannot be part of the table definition")
    columns = ",\n  ".join(f"`{name.lower()}` {hive_type(kind)}" for name, kind in COLUMNS)
    template = location_template(base)
    properties = {
        "projection.enabled": "true",
        "projection.account.type": "enum",
        "projection.account.values": ",".join(accounts),
        "projection.region.type": "enum",
        "projection.region.values": ",".join(regions),
        "projection.timestamp.type": "date",
        "projection.timestamp.format": "yyyy/MM/dd",
        "projection.timestamp.interval": "1",
        "projection.timestamp.interval.unit": "DAYS",
        "projection.timestamp.range": f"{start:%Y/%m/%d},NOW",
        "storage.location.template": template,
    }
    listed = ",\n  ".join(f"'{key}'='{value}'" for key, value in properties.items())
    return (
        f"CREATE EXTERNAL TABLE {table} (\n  {columns}\n)\n"
        "PARTITIONED BY (`account` string, `region` string, `timestamp` string)\n"
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
        "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        f"LOCATION '{base}/'\nTBLPROPERTIES (\n  {listed}\n)"
    )


def duckdb_columns() -> dict[str, str]:
    """`read_json(columns=…)` for rows as `duckdb_row` writes them (partitions included)."""
    columns = {name.lower(): duckdb_type(kind) for name, kind in COLUMNS}
    return columns | dict.fromkeys(PARTITIONS, "VARCHAR")


def duckdb_row(record: Mapping[str, Any], partition: Mapping[str, str]) -> dict[str, Any]:
    """The table row of one CloudTrail record, lower-case names, as Athena's SerDe reads it."""
    row: dict[str, Any] = {}
    for name, kind in COLUMNS:
        value = _get(record, name)
        if value is not None:
            row[name.lower()] = _shape(value, kind)
    return row | dict(partition)


def record_of(row: Mapping[str, str | None]) -> dict[str, Any]:
    """A CloudTrail record from a selected row (struct columns selected as JSON text)."""
    record: dict[str, Any] = {}
    for name, kind in COLUMNS:
        text = row.get(name.lower())
        if text is None:
            continue
        if kind == STRING and name.lower() in JSON_TEXT:
            record[name] = _loads_or_text(text)
        elif kind == STRING:
            record[name] = (
                {"true": True, "false": False}.get(text, text) if name == "readOnly" else text
            )
        else:
            restored = _restore(_loads_or_text(text), kind)
            if restored not in (None, {}, []):
                record[name] = restored
    return record


def _get(document: Mapping[str, Any], name: str) -> Any:
    if name in document:
        return document[name]
    lowered = name.lower()
    return next((v for k, v in document.items() if k.lower() == lowered), None)


def _shape(value: Any, kind: Any) -> Any:
    if isinstance(kind, Struct):
        if not isinstance(value, Mapping):
            return None
        fields = {
            n.lower(): _shape(v, k) for n, k in kind.fields if (v := _get(value, n)) is not None
        }
        return fields or None
    if isinstance(kind, ArrayOf):
        return [_shape(v, kind.element) for v in value] if isinstance(value, list) else None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def _restore(value: Any, kind: Any) -> Any:
    if isinstance(kind, Struct) and isinstance(value, Mapping):
        out = {}
        for name, field in kind.fields:
            inner = _get(value, name)
            if inner is not None:
                out[name] = _restore(inner, field)
        return out
    if isinstance(kind, ArrayOf) and isinstance(value, list):
        return [_restore(v, kind.element) for v in value]
    return value


def _loads_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
