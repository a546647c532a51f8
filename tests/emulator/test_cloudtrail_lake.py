"""CloudTrail Lake in the emulator (moto has none): event data stores, imports and SQL queries.

The emulator runs each statement with DuckDB over the events its own trail recorded (and
those imported from trail files), the Trino text transpiled by sqlglot: these tests show the
API's shapes and states, not Trino's SQL engine.
"""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambda_ir.emulator.server import Emulator

REGION = "us-east-1"


def _lake(admin: Any, aws: Emulator) -> Any:
    return admin.client("cloudtrail", region_name=REGION, endpoint_url=aws.endpoint_url)


def _store(admin: Any, aws: Emulator, name: str) -> dict[str, Any]:
    return dict(_lake(admin, aws).create_event_data_store(Name=name))


def _store_id(store: dict[str, Any]) -> str:
    return str(store["EventDataStoreArn"]).rsplit("/", 1)[-1]


def _window() -> str:
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    return f"eventtime >= '{start:%Y-%m-%d %H:%M:%S}' AND eventtime <= '{end:%Y-%m-%d %H:%M:%S}'"


def test_stores_are_created_listed_and_found_by_arn_or_id(
    admin: Any, aws: Emulator, name: str
) -> None:
    lake = _lake(admin, aws)
    store = _store(admin, aws, name)
    assert store["Status"] == "ENABLED" and store["MultiRegionEnabled"] is True
    assert (
        store["BillingMode"] == "EXTENDABLE_RETENTION_PRICING" and store["RetentionPeriod"] == 366
    )
    assert store["EventDataStoreArn"].startswith(f"arn:aws:cloudtrail:{REGION}:")
    listed = lake.list_event_data_stores()["EventDataStores"]
    assert store["EventDataStoreArn"] in {s["EventDataStoreArn"] for s in listed}
    by_id = lake.get_event_data_store(EventDataStore=_store_id(store))
    assert (
        by_id["Name"]
        == name
        == lake.get_event_data_store(EventDataStore=store["EventDataStoreArn"])["Name"]
    )
    with pytest.raises(ClientError, match="EventDataStoreNotFoundException"):
        lake.get_event_data_store(EventDataStore=str(uuid.uuid4()))
    with pytest.raises(ClientError, match="EventDataStoreAlreadyExistsException"):
        lake.create_event_data_store(Name=name)


def test_a_query_is_queued_runs_finishes_and_pages(admin: Any, aws: Emulator, name: str) -> None:
    iam = admin.client("iam", endpoint_url=aws.endpoint_url)
    iam.create_user(UserName=f"{name}-before")  # before the store: not in it
    store = _store(admin, aws, name)
    for suffix in ("a", "b", "c"):
        iam.create_user(UserName=f"{name}-{suffix}")
    lake = _lake(admin, aws)
    statement = (
        f"SELECT eventid, element_at(requestparameters, 'userName') AS who, eventtime "
        f"FROM {_store_id(store)} WHERE eventname = 'CreateUser' AND {_window()} "
        f"AND element_at(requestparameters, 'userName') LIKE '{name}-%' ORDER BY who"
    )
    query_id = lake.start_query(QueryStatement=statement)["QueryId"]
    early = lake.get_query_results(QueryId=query_id)
    assert early["QueryStatus"] == "QUEUED" and early["QueryResultRows"] == []
    states = [lake.describe_query(QueryId=query_id)["QueryStatus"] for _ in range(3)]
    assert states == ["QUEUED", "RUNNING", "FINISHED"]
    described = lake.describe_query(QueryId=query_id)
    assert described["QueryStatus"] == "FINISHED" and described["QueryString"] == statement
    statistics = described["QueryStatistics"]
    assert statistics["EventsMatched"] == 3
    assert statistics["EventsScanned"] >= 3 and statistics["BytesScanned"] > 0
    seen, token = [], None
    while True:
        page = lake.get_query_results(
            QueryId=query_id, MaxQueryResults=2, **({"NextToken": token} if token else {})
        )
        seen.append(
            [
                dict(kv for cell in row for kv in cell.items())["who"]
                for row in page["QueryResultRows"]
            ]
        )
        assert page["QueryStatistics"]["TotalResultsCount"] == 3
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [[f"{name}-a", f"{name}-b"], [f"{name}-c"]]
    with pytest.raises(ClientError, match="InvalidMaxResultsException"):
        lake.get_query_results(QueryId=query_id, MaxQueryResults=1001)


def test_bad_statements_unknown_stores_failures_and_cancels(
    admin: Any, aws: Emulator, name: str
) -> None:
    store = _store(admin, aws, name)
    lake, store_id = _lake(admin, aws), _store_id(store)
    for bad in (f"SELEC eventid FROM {store_id}", f"DELETE FROM {store_id}", "SELECT 1"):
        with pytest.raises(ClientError, match="InvalidQueryStatementException"):
            lake.start_query(QueryStatement=bad)
    with pytest.raises(ClientError, match="InvalidQueryStatementException"):
        lake.start_query(QueryStatement=f"SELECT nosuchcolumn FROM {store_id}")
    with pytest.raises(ClientError, match="EventDataStoreNotFoundException"):
        lake.start_query(QueryStatement=f"SELECT eventid FROM {uuid.uuid4()}")
    admin.client("iam", endpoint_url=aws.endpoint_url).create_user(UserName=name)
    failing = lake.start_query(
        QueryStatement=f"SELECT CAST(eventname AS INTEGER) FROM {store_id} WHERE {_window()}"
    )["QueryId"]
    done = [lake.describe_query(QueryId=failing) for _ in range(3)][-1]
    assert done["QueryStatus"] == "FAILED" and "Could not convert" in done["ErrorMessage"]
    assert lake.get_query_results(QueryId=failing)["QueryResultRows"] == []
    cancelled = lake.start_query(QueryStatement=f"SELECT eventid FROM {store_id}")["QueryId"]
    assert lake.cancel_query(QueryId=cancelled)["QueryStatus"] == "CANCELLED"
    assert lake.describe_query(QueryId=cancelled)["QueryStatus"] == "CANCELLED"
    with pytest.raises(ClientError, match="InactiveQueryException"):
        lake.cancel_query(QueryId=cancelled)
    with pytest.raises(ClientError, match="QueryIdNotFoundException"):
        lake.describe_query(QueryId=str(uuid.uuid4()))


def test_start_import_copies_trail_files_within_the_window(
    admin: Any, aws: Emulator, name: str
) -> None:
    s3 = admin.client("s3", region_name=REGION, endpoint_url=aws.endpoint_url)
    s3.create_bucket(Bucket=name)
    records = [
        {
            "eventID": f"{name}-{day}",
            "eventTime": f"2024-07-{day:02d}T10:00:00Z",
            "eventName": "Invoke",
            "eventSource": "lambda.amazonaws.com",
            "awsRegion": REGION,
            "recipientAccountId": "111122223333",
            "readOnly": False,
            "requestParameters": {"functionName": "f", "memorySize": 128},
        }
        for day in (1, 2, 3)
    ]
    key = f"AWSLogs/111122223333/CloudTrail/{REGION}/2024/07/01/x.json.gz"
    s3.put_object(
        Bucket=name, Key=key, Body=gzip.compress(json.dumps({"Records": records}).encode())
    )
    store = _store(admin, aws, name)
    lake = _lake(admin, aws)
    started = lake.start_import(
        Destinations=[store["EventDataStoreArn"]],
        ImportSource={
            "S3": {
                "S3LocationUri": f"s3://{name}/AWSLogs/",
                "S3BucketRegion": REGION,
                "S3BucketAccessRoleArn": "arn:aws:iam::123456789012:role/import",
            }
        },
        StartEventTime=datetime(2024, 7, 2, tzinfo=UTC),
        EndEventTime=datetime(2024, 7, 31, tzinfo=UTC),
    )
    got = lake.get_import(ImportId=started["ImportId"])
    assert got["ImportStatus"] == "COMPLETED" and got["ImportStatistics"]["EventsCompleted"] == 2
    query_id = lake.start_query(
        QueryStatement=f"SELECT eventid, element_at(requestparameters, 'memorySize') AS m, "
        f"readonly FROM {_store_id(store)} WHERE eventtime >= '2024-07-01 00:00:00' "
        "AND eventname = 'Invoke' ORDER BY eventid"
    )["QueryId"]
    for _ in range(2):
        lake.describe_query(QueryId=query_id)
    rows = lake.get_query_results(QueryId=query_id)["QueryResultRows"]
    assert [dict(kv for c in row for kv in c.items()) for row in rows] == [
        {"eventid": f"{name}-2", "m": "128", "readonly": "false"},
        {"eventid": f"{name}-3", "m": "128", "readonly": "false"},
    ]


def test_a_store_is_not_found_from_another_region(admin: Any, aws: Emulator, name: str) -> None:
    store = _store(admin, aws, name)
    elsewhere = admin.client("cloudtrail", region_name="eu-west-1", endpoint_url=aws.endpoint_url)
    with pytest.raises(ClientError, match="EventDataStoreNotFoundException"):
        elsewhere.get_event_data_store(EventDataStore=store["EventDataStoreArn"])
    with pytest.raises(ClientError, match="EventDataStoreNotFoundException"):
        elsewhere.start_query(QueryStatement=f"SELECT eventid FROM {_store_id(store)}")
    assert _lake(admin, aws).start_query(QueryStatement=f"SELECT eventid FROM {_store_id(store)}")


def test_a_query_seen_running_can_be_cancelled(admin: Any, aws: Emulator, name: str) -> None:
    lake, store_id = _lake(admin, aws), _store_id(_store(admin, aws, name))
    query_id = lake.start_query(QueryStatement=f"SELECT eventid FROM {store_id}")["QueryId"]
    seen = [lake.describe_query(QueryId=query_id)["QueryStatus"] for _ in range(2)]
    assert seen == ["QUEUED", "RUNNING"]
    assert lake.cancel_query(QueryId=query_id)["QueryStatus"] == "CANCELLED"
    assert lake.describe_query(QueryId=query_id)["QueryStatus"] == "CANCELLED"
    with pytest.raises(ClientError, match="InactiveQueryException"):
        lake.cancel_query(QueryId=query_id)


def test_a_statement_over_10000_characters_is_refused(admin: Any, aws: Emulator, name: str) -> None:
    lake, store_id = _lake(admin, aws), _store_id(_store(admin, aws, name))
    head = f"SELECT eventid FROM {store_id} WHERE eventname = '"
    at_limit = head + "x" * (10_000 - len(head) - 1) + "'"
    assert len(at_limit) == 10_000 and lake.start_query(QueryStatement=at_limit)["QueryId"]
    with pytest.raises(ClientError, match="InvalidQueryStatementException") as refused:
        lake.start_query(QueryStatement=at_limit.replace("'x", "'xx"))
    assert "less than or equal to 10000" in str(refused.value)


def test_a_store_name_inside_a_string_is_not_a_store(admin: Any, aws: Emulator, name: str) -> None:
    """A Sigma value such as `%from aws-sdk%` is text, not a FROM: no store is looked up."""
    lake, store_id = _lake(admin, aws), _store_id(_store(admin, aws, name))
    statement = (
        f"WITH s AS (SELECT eventid, useragent FROM {store_id}) SELECT eventid FROM s "
        "WHERE useragent LIKE '%from aws-sdk%' OR useragent = 'x JOIN not-a-store'"
    )
    assert lake.start_query(QueryStatement=statement)["QueryId"]
    with pytest.raises(ClientError, match="EventDataStoreNotFoundException"):
        lake.start_query(QueryStatement=f"SELECT eventid FROM {store_id} JOIN nosuch ON true")
