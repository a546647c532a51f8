"""A version's own log group is read too, and a group functions share is read once, each
stream's events filed under the function Lambda named it after.

Before, only the group $LATEST's LoggingConfig named was read: an alias still serving a
version from before the logs were moved (or a version published to log where nobody looks)
had every invocation missing from the case.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from tests.acquire import seed
from tests.acquire.conftest import Place

# CloudWatch Logs takes events at most 14 days old: the test's clock is three hours back.
EVENT_TIME = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
DAY = f"{EVENT_TIME:%Y/%m/%d}"
SHARED = "/shared/app"


def _logged(session: boto3.Session, place: Place, group: str, stream: str, text: str) -> None:
    logs = seed.client(session, place.endpoint, "logs", place.region)
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    at = int(EVENT_TIME.timestamp() * 1000)
    logs.put_log_events(
        logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": at, "message": text}]
    )


def _log_to(session: boto3.Session, place: Place, name: str, group: str) -> None:
    lam = seed.client(session, place.endpoint, "lambda", place.region)
    lam.update_function_configuration(
        FunctionName=name, LoggingConfig={"LogFormat": "Text", "LogGroup": group}
    )


def _scope(place: Place, functions: tuple[str, ...] = ()) -> Scope:
    """The test's region, a day either side of its events."""
    return Scope(
        regions=(place.region,),
        functions=functions,
        since=f"{EVENT_TIME - timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}",
        until=f"{EVENT_TIME + timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}",
    )


def _options(place: Place, **more: Any) -> CollectOptions:
    return CollectOptions(workers=8, quotas=False, endpoint_url=place.endpoint, **more)


def _collect(case: Case, session: boto3.Session, place: Place) -> None:
    assert collect(case, session, _scope(place), _options(place)).functions == 3


def test_every_versions_log_group_is_read_once(
    place: Place, session: boto3.Session, case: Case
) -> None:
    # orders: version 1 (alias traffic) logs to its default group; $LATEST moved to SHARED.
    seed.function(session, place.endpoint, "orders", ["v1"], region=place.region)
    _log_to(session, place, "orders", SHARED)
    # billing: $LATEST logs to SHARED too; its version 1 logged to a group never created.
    seed.function(session, place.endpoint, "billing", ["b1"], region=place.region)
    _log_to(session, place, "billing", SHARED)
    # ghost: version 2 published to log to a hidden group, then $LATEST put back.
    seed.function(session, place.endpoint, "ghost", ["g1"], region=place.region)
    _log_to(session, place, "ghost", "/hidden/ghost")
    seed.client(session, place.endpoint, "lambda", place.region).publish_version(
        FunctionName="ghost"
    )
    _log_to(session, place, "ghost", "/aws/lambda/ghost")
    _logged(session, place, "/aws/lambda/orders", f"{DAY}/[1]aaaa", "served by version 1")
    _logged(session, place, SHARED, f"{DAY}/orders[$LATEST]bbbb", "orders latest")
    _logged(session, place, SHARED, f"{DAY}/billing[$LATEST]cccc", "billing latest")
    _logged(session, place, "/hidden/ghost", f"{DAY}/ghost[2]dddd", "hidden by version 2")
    _logged(session, place, "/aws/lambda/ghost", f"{DAY}/[$LATEST]eeee", "ghost latest")
    # a stream named for a function whose configuration does not send its logs there
    _logged(session, place, "/aws/lambda/ghost", f"{DAY}/orders[1]ffff", "forged for orders")

    _collect(case, session, place)
    read = sorted(e.params["logGroupName"] for e in case.entries() if e.kind == "logs")
    assert read == ["/aws/lambda/ghost", "/aws/lambda/orders", "/hidden/ghost", SHARED]
    gaps = [e for e in case.entries() if e.kind == "gap"]
    assert [case.read_json(e.path)["detail"].split(":")[0] for e in gaps] == ["/aws/lambda/billing"]
    assert "billing@%2Faws%2Flambda%2Fbilling." in gaps[0].path  # a version's own gap file
    with open_index(case) as con:
        rows = con.execute(
            "SELECT log_group, function_name, version, message FROM log_events ORDER BY message"
        ).fetchall()
    assert rows == [
        (SHARED, "billing", "$LATEST", "billing latest"),
        ("/aws/lambda/ghost", "ghost", "1", "forged for orders"),
        ("/aws/lambda/ghost", "ghost", "$LATEST", "ghost latest"),
        ("/hidden/ghost", "ghost", "2", "hidden by version 2"),
        (SHARED, "orders", "$LATEST", "orders latest"),
        ("/aws/lambda/orders", "orders", "1", "served by version 1"),
    ]

    before = len(list(case.entries()))
    _collect(case, session, place)  # a rerun asks nothing it already has
    again = [e for e in case.entries() if e.kind in ("logs", "gap")]
    assert len(again) == len(read) + len(gaps), len(list(case.entries())) - before


def test_a_versions_log_group_is_exported_beside_the_functions(
    place: Place, session: boto3.Session, case: Case
) -> None:
    seed.function(session, place.endpoint, "orders", ["v1"], region=place.region)
    _log_to(session, place, "orders", SHARED)
    _logged(session, place, "/aws/lambda/orders", f"{DAY}/[1]aaaa", "served by version 1")
    _logged(session, place, SHARED, f"{DAY}/orders[$LATEST]bbbb", "orders latest")
    bucket = f"ir-exports-{uuid.uuid4().hex[:8]}"  # bucket names are global: one a test
    seed.client(session, place.endpoint, "s3", place.region).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": place.region}
    )
    scope = _scope(place)
    options = _options(place, log_export_bucket=f"s3://{bucket}")
    assert collect(case, session, scope, options).ok
    with open_index(case) as con:
        rows = con.execute(
            "SELECT log_group, function_name, version, message FROM log_events ORDER BY message"
        ).fetchall()
    assert rows == [
        (SHARED, "orders", "$LATEST", "orders latest"),
        ("/aws/lambda/orders", "orders", "1", "served by version 1"),
    ]


def test_a_function_listfunctions_did_not_show_has_its_configured_group_read(
    enforcing: Emulator, place: Place, session: boto3.Session, case: Case
) -> None:
    """ListFunctions denied, the function named: its group was taken to be
    `/aws/lambda/<name>`, read and reported missing, and `LoggingConfig`'s never read."""
    seed.client(session, place.endpoint, "lambda", place.region).create_function(
        FunctionName="orders",
        Runtime="python3.12",
        Role=seed.role(session, place.endpoint),
        Handler="handler.handler",
        Code={"ZipFile": seed.package("v1")},
        LoggingConfig={"LogFormat": "Text", "LogGroup": "/custom/orders"},
    )
    _logged(session, place, "/custom/orders", f"{DAY}/orders[$LATEST]aaaa", "orders latest")
    collector = seed.collector(session, place.endpoint, "lambda:ListFunctions")
    scope = _scope(place, ("orders",))
    options = CollectOptions(workers=4, quotas=False, endpoint_url=place.endpoint)
    collect(case, collector, scope, options)
    assert [e.api for e in case.entries() if e.error and "denied" in e.error] == [
        "lambda:ListFunctions"
    ]
    read = [e.params["logGroupName"] for e in case.entries() if e.kind in ("logs", "gap")]
    assert read == ["/custom/orders"]  # and no gap for a group it never logged to
    with open_index(case) as con:
        rows = con.execute("SELECT function_name, version, message FROM log_events").fetchall()
    assert rows == [("orders", "$LATEST", "orders latest")]


def test_a_default_group_another_function_logs_to_keeps_its_own_events(
    place: Place, session: boto3.Session, case: Case
) -> None:
    """`aaa` logs to `victim`'s default group: whichever of the two read the group first,
    victim's own streams are victim's, and aaa's (named for it) are aaa's."""
    seed.function(session, place.endpoint, "victim", ["v1"], region=place.region)
    seed.function(session, place.endpoint, "aaa", ["a1"], region=place.region)
    _log_to(session, place, "aaa", "/aws/lambda/victim")
    _logged(session, place, "/aws/lambda/victim", f"{DAY}/[1]1111", "victim's own")
    _logged(session, place, "/aws/lambda/victim", f"{DAY}/aaa[$LATEST]2222", "aaa's")
    scope = _scope(place)
    collect(case, session, scope, _options(place))
    with open_index(case) as con:
        rows = con.execute(
            "SELECT function_name, version, message FROM log_events "
            "WHERE log_group = '/aws/lambda/victim' ORDER BY message"
        ).fetchall()
    assert rows == [("aaa", "$LATEST", "aaa's"), ("victim", "1", "victim's own")]


def test_each_missing_group_has_its_own_gap_file(
    place: Place, session: boto3.Session, case: Case
) -> None:
    """`orders`' version logging to `prod` and `orders-prod`'s own group, both missing: the
    two gap files had one name, and the second gap was dropped."""
    seed.function(session, place.endpoint, "orders", ["v1"], region=place.region)
    _log_to(session, place, "orders", "prod")
    seed.client(session, place.endpoint, "lambda", place.region).publish_version(
        FunctionName="orders"
    )
    _log_to(session, place, "orders", "/aws/lambda/orders")
    seed.function(session, place.endpoint, "orders-prod", ["p1"], region=place.region)
    _logged(session, place, "/aws/lambda/orders", f"{DAY}/[1]aaaa", "orders")
    scope = _scope(place)
    collect(case, session, scope, _options(place))
    gaps = [case.read_json(e.path)["detail"] for e in case.entries() if e.kind == "gap"]
    assert sorted(detail.split(":")[0] for detail in gaps) == ["/aws/lambda/orders-prod", "prod"]


def test_a_shared_group_read_for_one_function_keeps_the_others_events(
    place: Place, session: boto3.Session, case: Case
) -> None:
    """`--function orders`, whose custom group `/aws/lambda/shared-app` payments shares:
    payments' stream is payments' though the case holds none of its configuration, and the
    group's unnamed stream is orders' (who read it), not a function `shared-app`."""
    group = "/aws/lambda/shared-app"
    for name in ("orders", "payments"):
        seed.function(session, place.endpoint, name, ["v1"], region=place.region)
        _log_to(session, place, name, group)
    _logged(session, place, group, f"{DAY}/payments[$LATEST]dddd", "payments'")
    _logged(session, place, group, f"{DAY}/[$LATEST]cccc", "unnamed")
    scope = _scope(place, ("orders",))
    collect(case, session, scope, _options(place))
    with open_index(case) as con:
        rows = con.execute(
            "SELECT function_name, message FROM log_events WHERE log_group = ? ORDER BY message",
            [group],
        ).fetchall()
    assert rows == [("payments", "payments'"), ("orders", "unnamed")]
