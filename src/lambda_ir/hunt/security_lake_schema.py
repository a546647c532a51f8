"""Security Lake's CloudTrail table (source version 2.0): its name, OCSF columns and types.

`COLUMNS` are the OCSF 1.1 API Activity attributes Security Lake fills from CloudTrail
(`security_lake_ocsf.FIELDS`), as the Glue table's columns (the types are ours, from OCSF's
attribute types: AWS does not publish the table's DDL). Security Lake writes the files in
`region=…/accountId=…/eventDay=…` folders; the emulator registers those as the partitions
`PARTITIONS`, all strings, while `hunt` bounds a query by `time_dt` only, as AWS documents for
version 2.0. `hive_type` gives a column's type as the Glue table declares it, `duckdb_type`
the same for DuckDB (Parquet written and read by the emulator, tests).
"""

from __future__ import annotations

from typing import Any

from lambda_ir.hunt.table import ArrayOf, Struct

PARTITIONS = ("region", "accountid", "eventday")
SOURCE = "cloud_trail_mgmt_2_0"
S = "string"
_ACCOUNT = Struct((("uid", S),))
COLUMNS: tuple[tuple[str, Any], ...] = (
    (
        "metadata",
        Struct(
            (
                (
                    "product",
                    Struct(
                        (
                            ("version", S),
                            ("name", S),
                            ("vendor_name", S),
                            ("feature", Struct((("name", S),))),
                        )
                    ),
                ),
                ("uid", S),
                ("event_code", S),
                ("profiles", ArrayOf(S)),
                ("version", S),
            )
        ),
    ),
    ("time", "bigint"),
    ("time_dt", "timestamp"),
    ("cloud", Struct((("region", S), ("provider", S), ("account", _ACCOUNT)))),
    (
        "api",
        Struct(
            (
                ("response", Struct((("error", S), ("message", S), ("data", S)))),
                ("operation", S),
                ("version", S),
                ("service", Struct((("name", S),))),
                ("request", Struct((("uid", S), ("data", S)))),
            )
        ),
    ),
    (
        "actor",
        Struct(
            (
                (
                    "user",
                    Struct(
                        (
                            ("type", S),
                            ("name", S),
                            ("uid", S),
                            ("uid_alt", S),
                            ("account", _ACCOUNT),
                            ("credential_uid", S),
                        )
                    ),
                ),
                (
                    "session",
                    Struct((("created_time", "bigint"), ("is_mfa", "boolean"), ("issuer", S))),
                ),
                ("invoked_by", S),
                ("idp", Struct((("name", S),))),
            )
        ),
    ),
    ("http_request", Struct((("user_agent", S),))),
    ("src_endpoint", Struct((("uid", S), ("ip", S), ("domain", S)))),
    ("tls", Struct((("version", S), ("cipher", S)))),
    (
        "resources",
        ArrayOf(Struct((("uid", S), ("type", S), ("owner", Struct((("account", _ACCOUNT),)))))),
    ),
    ("class_name", S),
    ("class_uid", "int"),
    ("category_name", S),
    ("category_uid", "int"),
    ("activity_name", S),
    ("activity_id", "int"),
    ("type_name", S),
    ("type_uid", "bigint"),
    ("severity", S),
    ("severity_id", "int"),
    ("status", S),
    ("status_id", "int"),
    ("unmapped", "map<string,string>"),
)
_DUCKDB = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "map<string,string>": "MAP(VARCHAR, VARCHAR)",
}


def hive_type(kind: Any) -> str:
    """A column's type in the Glue table (`struct<a:string,…>`, `array<…>`, `bigint`…)."""
    if isinstance(kind, Struct):
        return "struct<" + ",".join(f"{n}:{hive_type(k)}" for n, k in kind.fields) + ">"
    if isinstance(kind, ArrayOf):
        return f"array<{hive_type(kind.element)}>"
    return str(kind)


def duckdb_type(kind: Any) -> str:
    """The same type in DuckDB, for writing and reading the Parquet files."""
    if isinstance(kind, Struct):
        return "STRUCT(" + ", ".join(f'"{n}" {duckdb_type(k)}' for n, k in kind.fields) + ")"
    if isinstance(kind, ArrayOf):
        return f"{duckdb_type(kind.element)}[]"
    return _DUCKDB[str(kind)]


def table_names(region: str) -> tuple[str, str]:
    """Security Lake's Glue database and CloudTrail table for `region`."""
    suffix = region.replace("-", "_")
    return (
        f"amazon_security_lake_glue_db_{suffix}",
        f"amazon_security_lake_table_{suffix}_{SOURCE}",
    )
