"""Amazon Security Lake's CloudTrail source, laid down in the emulator as Security Lake lays it.

moto has no Security Lake. `seed_security_lake` does, through boto3 over HTTP, what Security
Lake does for the CloudTrail management events source (AWS source version 2.0):
- converts the records to OCSF 1.1 API Activity (`hunt.security_lake_ocsf.ocsf_event`) and
  writes them as Parquet (gzip) to its bucket `aws-security-data-lake-<region>-<id>` under
  `aws/CLOUD_TRAIL_MGMT/2.0/region=<region>/accountId=<account>/eventDay=<yyyyMMdd>/`;
- registers the Glue database `amazon_security_lake_glue_db_<region>` and the external table
  `amazon_security_lake_table_<region>_cloud_trail_mgmt_2_0` (the OCSF columns, Parquet
  SerDe, partition keys `region`, `accountid`, `eventday`) with glue:CreateDatabase and
  glue:CreateTable, then adds one partition per folder with glue:BatchCreatePartition, as
  Security Lake's metastore manager does when data arrives.
The emulator's Athena then serves the table from the Glue catalog (`security_lake_tables`).
Records keep their own times: S3 and Glue check no dates.
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import duckdb
import orjson

from lambda_ir.hunt.security_lake_ocsf import ocsf_event
from lambda_ir.hunt.security_lake_schema import (
    COLUMNS,
    PARTITIONS,
    duckdb_type,
    hive_type,
    table_names,
)

SOURCE_PREFIX = "aws/CLOUD_TRAIL_MGMT/2.0/"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"


@dataclass(frozen=True)
class SeededLake:
    """Where the lake is: its bucket, Glue database and table, and the partitions written."""

    bucket: str
    database: str
    table: str
    partitions: tuple[tuple[str, str, str], ...]  # (region, account, yyyyMMdd)
    objects: dict[str, int]  # S3 key -> bytes

    @property
    def qualified(self) -> str:
        """`database.table`, as `hunt --trail-table` takes it."""
        return f"{self.database}.{self.table}"


def seed_security_lake(
    session: boto3.Session,
    endpoint_url: str,
    records: Iterable[Mapping[str, Any]],
    region: str,
) -> SeededLake:
    """Lay `records` down as Security Lake's CloudTrail source in `region` (see module doc).

    A lake already there (its Glue table) gets the new files in its bucket and their
    partitions added, as Security Lake adds data as it arrives.
    """
    s3 = session.client("s3", region_name=region, endpoint_url=endpoint_url)
    glue = session.client("glue", region_name=region, endpoint_url=endpoint_url)
    database, table = table_names(region)
    name = _existing_bucket(glue, database, table)
    if name is None:
        name = f"aws-security-data-lake-{region}-{uuid.uuid4().hex[:30]}"
        location = {} if region == "us-east-1" else {"LocationConstraint": region}
        s3.create_bucket(
            Bucket=name, **({"CreateBucketConfiguration": location} if location else {})
        )
        _register(glue, database, table, f"s3://{name}/{SOURCE_PREFIX}")
    events = []
    for record in records:
        keys = {
            "region": str(record.get("awsRegion")),
            "accountid": str(record.get("recipientAccountId")),
            "eventday": _day(str(record.get("eventTime") or "")),
        }
        events.append(ocsf_event(record) | keys)
    objects: dict[str, int] = {}
    files = parquet_files(events)
    for values, body in sorted(files.items()):
        key = f"{_folder(*values)}{uuid.uuid4().hex}.gz.parquet"
        s3.put_object(Bucket=name, Key=key, Body=body)
        objects[key] = len(body)
    partitions = tuple(sorted(files))
    for start in range(0, len(partitions), 100):  # BatchCreatePartition takes 100 at a time
        glue.batch_create_partition(
            DatabaseName=database,
            TableName=table,
            PartitionInputList=[
                {
                    "Values": list(values),
                    "StorageDescriptor": _storage(f"s3://{name}/{_folder(*values)}"),
                }
                for values in partitions[start : start + 100]
            ],
        )
    return SeededLake(name, database, table, partitions, objects)


def parquet_files(events: list[dict[str, Any]]) -> dict[tuple[str, str, str], bytes]:
    """OCSF rows (with `region`, `accountid`, `eventday`) as one Parquet file (gzip) per
    partition, typed as the Glue table's columns; the partition values are not in the files."""
    columns = {n: duckdb_type(k) for n, k in COLUMNS} | dict.fromkeys(PARTITIONS, "VARCHAR")
    spec = "{" + ", ".join(f"'{n}': '{t}'" for n, t in columns.items()) + "}"
    with tempfile.TemporaryDirectory(prefix="lir-lake-") as folder:
        rows, out = Path(folder) / "rows.jsonl", Path(folder) / "out"
        rows.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))
        con = duckdb.connect(":memory:")
        try:
            con.execute(
                "COPY (SELECT * FROM read_json(?, format = 'newline_delimited', "  # noqa: S608
                f"columns = {spec})) TO '{out}' (FORMAT parquet, COMPRESSION gzip, "
                f"PARTITION_BY ({', '.join(PARTITIONS)}))",
                [str(rows)],
            )
        finally:
            con.close()
        files = {}
        for path in sorted(out.rglob("*.parquet")):
            values = dict(part.split("=", 1) for part in path.relative_to(out).parts[:-1])
            files[(values["region"], values["accountid"], values["eventday"])] = path.read_bytes()
        return files


def _existing_bucket(glue: Any, database: str, table: str) -> str | None:
    try:
        found = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except glue.exceptions.EntityNotFoundException:
        return None
    location = str(found["StorageDescriptor"]["Location"])
    return location.removeprefix("s3://").split("/", 1)[0]


def _register(glue: Any, database: str, table: str, location: str) -> None:
    with contextlib.suppress(glue.exceptions.AlreadyExistsException):
        glue.create_database(
            DatabaseInput={"Name": database, "Description": "Amazon Security Lake"}
        )
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": table,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
            "StorageDescriptor": _storage(location)
            | {"Columns": [{"Name": n, "Type": hive_type(k)} for n, k in COLUMNS]},
            "PartitionKeys": [{"Name": key, "Type": "string"} for key in PARTITIONS],
        },
    )


def _storage(location: str) -> dict[str, Any]:
    return {
        "Location": location,
        "InputFormat": PARQUET_INPUT,
        "OutputFormat": PARQUET_OUTPUT,
        "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE},
    }


def _folder(region: str, account: str, day: str) -> str:
    return f"{SOURCE_PREFIX}region={region}/accountId={account}/eventDay={day}/"


def _day(event_time: str) -> str:
    try:
        moment = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    except ValueError:
        moment = datetime.fromtimestamp(0, UTC)
    return moment.strftime("%Y%m%d")
