"""acquire.logs against the emulator: a function's log group streamed, REPORT lines indexed."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import boto3
import orjson
import urllib3

from lambda_ir.acquire.context import CollectContext, CollectOptions, Scope
from lambda_ir.acquire.logs import collect_logs, log_group_of
from lambda_ir.acquire.logs_export import (
    EXPORT_API,
    LogExport,
    export_events,
    export_text,
    log_export_step,
)
from lambda_ir.acquire.resume import ResumeIndex
from lambda_ir.acquire.steps import FunctionTarget
from lambda_ir.acquire.work import Work, pool_sizes
from lambda_ir.aws import ClientFactory, QuotaBook, QuotaPolicy, RetryPolicy
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.evidence.custody import read_entries
from lambda_ir.evidence.index import open_index
from lambda_ir.evidence.layout import CUSTODY
from lambda_ir.evidence.trail_read import open_artifact

ACCOUNT = "123456789012"
# A function as ListFunctions listed it: an unlisted one's log groups wait for its versions.
LISTED = {"FunctionName": "pay"}
RID = "0b6a3b2c-1d2e-4f50-8a9b-0c1d2e3f4a5b"
# Events must sit inside CloudWatch Logs' window (at most 14 days old, 2 hours ahead), so the
# test's clock is today's, three hours back, and the collection window a day either side of it.
EVENT_TIME = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
STREAM = f"{EVENT_TIME:%Y/%m/%d}/[3]0123456789abcdef"
SCOPE_SINCE = f"{EVENT_TIME - timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}"
SCOPE_UNTIL = f"{EVENT_TIME + timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}"


@contextmanager
def collect_context(
    case: Case,
    session: boto3.Session,
    aws: Emulator,
    scope: Scope,
    retry: RetryPolicy | None = None,
) -> Iterator[CollectContext]:
    """A CollectContext for calling one step directly, pointed at the emulator (a new
    ResumeIndex each time, as a new run reads the case)."""
    policy = QuotaPolicy(enabled=False)
    clients = ClientFactory(session, retry, endpoint_url=aws.endpoint_url, quotas=QuotaBook(policy))
    work = Work(pool_sizes(2, policy))
    http = urllib3.PoolManager()
    try:
        yield CollectContext(
            case, clients, CollectOptions(), scope, ACCOUNT, work, ResumeIndex(case), http
        )
    finally:
        work.close()


def put_events(session: boto3.Session, aws: Emulator, group: str, messages: list[str]) -> None:
    logs = session.client("logs", endpoint_url=aws.endpoint_url)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=STREAM)
    start = int(EVENT_TIME.timestamp() * 1000)
    events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=group, logStreamName=STREAM, logEvents=events)


def test_log_group_streamed_and_report_lines_indexed(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    report = (
        f"REPORT RequestId: {RID}\tDuration: 3000.12 ms\tBilled Duration: 3000 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 88 MB\tInit Duration: 301.11 ms\tStatus: timeout"
    )
    messages = [
        f"START RequestId: {RID} Version: 3",
        f"[ERROR]\t{EVENT_TIME:%Y-%m-%dT%H:%M:%SZ}\t{RID}\tboom",
    ]
    messages += [f"line {n}" for n in range(150)] + [report]
    fn = FunctionTarget(ACCOUNT, "us-east-1", "pay", {"LoggingConfig": {"LogGroup": "/custom/pay"}})
    assert log_group_of(fn) == "/custom/pay"
    put_events(session, aws, "/custom/pay", messages)
    scope = Scope(("us-east-1",), since=SCOPE_SINCE, until=SCOPE_UNTIL)
    with collect_context(case, session, aws, scope) as ctx:
        collect_logs(ctx, fn)
        assert ctx.tally.errors == []
        assert list(map(type, ctx.tally.by_kind)) == [str]  # the summary is JSON
    [entry] = [e for e in case.entries() if e.kind == "logs"]
    assert entry.params["logGroupName"] == "/custom/pay" and entry.error is None
    assert entry.meta["lines"] == len(messages) and entry.meta["complete"] is True
    assert entry.meta["reports"] == 1 and entry.meta["timeouts"] == 1
    assert entry.meta["cold_starts"] == 1
    lines = gzip.decompress(case.path(entry.path or "").read_bytes()).splitlines()
    assert [orjson.loads(x)["message"] for x in lines] == messages
    with open_index(case) as con:
        row = con.execute(
            "SELECT function_name, version, request_id, duration_ms, init_ms, status "
            "FROM report_lines"
        ).fetchall()
        assert row == [("pay", "3", RID, 3000.12, 301.11, "timeout")]


def test_missing_log_group_is_a_gap_not_an_error(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    fn = FunctionTarget(ACCOUNT, "us-east-1", "gone", {"FunctionName": "gone"})
    with collect_context(case, session, aws, Scope(("us-east-1",))) as ctx:
        collect_logs(ctx, fn)
        assert ctx.tally.errors == []
    [entry] = list(case.entries())
    assert entry.kind == "gap" and entry.error is None
    assert case.read_json(entry.path or "")["gap"] == "log-group-missing"


def test_log_export_bucket_reads_the_export_back(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    messages = [f"START RequestId: {RID} Version: 3", "Traceback:\n  line 1\nValueError", "done"]
    put_events(session, aws, "/aws/lambda/pay", messages)
    session.client("s3", endpoint_url=aws.endpoint_url).create_bucket(Bucket="ir-exports")
    scope = Scope(("us-east-1",), since=SCOPE_SINCE, until=SCOPE_UNTIL)
    step = log_export_step(LogExport.parse("s3://ir-exports/cases"))
    with collect_context(case, session, aws, scope) as ctx:
        step.run(ctx, FunctionTarget(ACCOUNT, "us-east-1", "pay", LISTED))
        assert ctx.tally.errors == []
    [entry] = [e for e in case.entries() if e.kind == "logs"]
    assert entry.api == "s3:GetObject" and entry.params["logGroupName"] == "/aws/lambda/pay"
    lines = gzip.decompress(case.path(entry.path or "").read_bytes()).splitlines()
    assert [orjson.loads(x)["message"] for x in lines] == messages
    with open_index(case) as con:
        found = con.execute("SELECT function_name, version, message FROM log_events ORDER BY ts")
        assert found.fetchall()[0] == ("pay", "3", messages[0])


def test_a_group_exported_whole_is_not_exported_again_by_a_later_run(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    """AWS runs one export task per account at a time, minutes each: a rerun of the case
    (same window) made every task again and read every object of the prefix again. The
    task's record (kind `other`) is what a later run finds done; a missing group's gap too.
    A group two functions log to is done whichever of them reaches it (review 23b: the
    record was keyed on the first one's prefix, and the group exported on every rerun)."""
    put_events(session, aws, "/aws/lambda/pay", ["done"])
    put_events(session, aws, "/app/shared", ["shared"])
    session.client("s3", endpoint_url=aws.endpoint_url).create_bucket(Bucket="ir-exports-again")
    scope = Scope(("us-east-1",), since=SCOPE_SINCE, until=SCOPE_UNTIL)
    step = log_export_step(LogExport.parse("s3://ir-exports-again"))
    shared = {"LoggingConfig": {"LogGroup": "/app/shared"}}
    functions = [
        FunctionTarget(ACCOUNT, "us-east-1", name, {"FunctionName": name, **config})
        for name, config in (("pay", {}), ("gone", {}), ("orders", shared), ("billing", shared))
    ]
    for run in (functions, functions[::-1], functions):  # billing reaches /app/shared first
        with collect_context(case, session, aws, scope) as ctx:
            for fn in run:
                step.run(ctx, fn)
            assert ctx.tally.errors == []
    tasks = [
        e for _, _, e in read_entries(case.root / CUSTODY) if e and e.action == "log-export-task"
    ]
    assert sorted(t.details["logGroupName"] for t in tasks) == ["/app/shared", "/aws/lambda/pay"]
    records = {e.params["logGroupName"]: e for e in case.entries() if e.api == EXPORT_API}
    assert sorted(records) == ["/app/shared", "/aws/lambda/pay"]
    assert all(e.kind == "other" for e in records.values())
    task_ids = {t.details["logGroupName"]: t.details["taskId"] for t in tasks}
    assert (
        case.read_json(records["/aws/lambda/pay"].path or "")["taskId"]
        == task_ids["/aws/lambda/pay"]
    )
    assert len([e for e in case.entries() if e.kind == "gap"]) == 1
    logs = session.client("logs", endpoint_url=aws.endpoint_url)
    made = [
        t for t in logs.describe_export_tasks()["exportTasks"]
        if t.get("destination") == "ir-exports-again"
    ]  # fmt: skip
    assert len(made) == 2


# A message's second line naming a day no calendar has, and its third a time before the
# window: neither is an event an export can hold, so both continue the message.
ODD_LINES = "boom\n2026-02-30T00:00:00.000Z x\n2001-01-01T00:00:00.000Z y"


def test_an_export_line_with_an_impossible_or_outside_time_continues_the_message() -> None:
    noon = 1_764_676_800_000  # 2025-12-02T12:00:00Z
    window = (noon - 3_600_000, noon + 86_400_000)
    text = f"2025-12-02T12:00:00.000Z {ODD_LINES}\n2025-12-02T12:00:01.500Z next".encode()
    events = [orjson.loads(line) for line in export_events(text, "s", window)]
    assert [(e["timestamp"], e["message"]) for e in events] == [
        (noon, ODD_LINES),
        (noon + 1_500, "next"),
    ]
    # The limit: a message line starting with a time inside the window reads as an event.
    forged = b"2025-12-02T12:00:00.000Z a\n2025-12-02T13:00:00.000Z b"
    assert len(list(export_events(forged, "s", window))) == 2


def test_every_export_object_is_kept_as_received_whatever_it_holds(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    logs = session.client("logs", endpoint_url=aws.endpoint_url)
    logs.create_log_group(logGroupName="/aws/lambda/pay")
    start = int(EVENT_TIME.timestamp() * 1000)
    for stream, message in (("a-odd", ODD_LINES), ("b-after", "done")):
        logs.create_log_stream(logGroupName="/aws/lambda/pay", logStreamName=stream)
        event = {"timestamp": start, "message": message}
        logs.put_log_events(logGroupName="/aws/lambda/pay", logStreamName=stream, logEvents=[event])
    session.client("s3", endpoint_url=aws.endpoint_url).create_bucket(Bucket="ir-exports")
    scope = Scope(("us-east-1",), since=SCOPE_SINCE, until=SCOPE_UNTIL)
    with collect_context(case, session, aws, scope) as ctx:
        log_export_step(LogExport.parse("s3://ir-exports")).run(
            ctx, FunctionTarget(ACCOUNT, "us-east-1", "pay", LISTED)
        )
        assert ctx.tally.errors == []
    objects = [e for e in case.entries() if e.kind == "other" and e.api == "s3:GetObject"]
    received = {e.params["Key"].split("/")[-2]: e for e in objects}
    assert sorted(received) == ["a-odd", "b-after"]
    with open_artifact(case.path(received["a-odd"].path or "")) as stream:
        assert stream.read().endswith(ODD_LINES.encode())  # as the export wrote it
    read = [e for e in case.entries() if e.kind == "logs"]
    messages = [
        orjson.loads(line)["message"]
        for e in read
        for line in gzip.decompress(case.path(e.path or "").read_bytes()).splitlines()
    ]
    assert sorted(messages) == [ODD_LINES, "done"]


def test_an_export_object_read_to_its_bound_says_it_was_cut() -> None:
    """An object that inflates past the bound is read to it and said so (its events past it
    were dropped without a word); a message of many lines is one event, joined once."""
    body = gzip.compress(b"2025-12-02T12:00:00.000Z start" + b"\nmore" * 50_000)
    text, whole = export_text(body, limit=1_000)
    assert len(text) == 1_000 and not whole
    text, whole = export_text(body)
    assert whole
    (event,) = [orjson.loads(line) for line in export_events(text, "s")]
    assert event["message"] == "start" + "\nmore" * 50_000
