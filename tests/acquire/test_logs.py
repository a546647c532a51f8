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
from lambda_ir.acquire.logs import LogExport, collect_logs, log_export_step, log_group_of
from lambda_ir.acquire.resume import ResumeIndex
from lambda_ir.acquire.steps import FunctionTarget
from lambda_ir.acquire.work import Work, pool_sizes
from lambda_ir.aws import ClientFactory, QuotaBook, QuotaPolicy
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index

ACCOUNT = "123456789012"
RID = "0b6a3b2c-1d2e-4f50-8a9b-0c1d2e3f4a5b"
# Events must sit inside CloudWatch Logs' window (at most 14 days old, 2 hours ahead), so the
# test's clock is today's, three hours back, and the collection window a day either side of it.
EVENT_TIME = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
STREAM = f"{EVENT_TIME:%Y/%m/%d}/[3]0123456789abcdef"
SCOPE_SINCE = f"{EVENT_TIME - timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}"
SCOPE_UNTIL = f"{EVENT_TIME + timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}"


@contextmanager
def collect_context(
    case: Case, session: boto3.Session, aws: Emulator, scope: Scope
) -> Iterator[CollectContext]:
    """A CollectContext for calling one step directly, pointed at the emulator."""
    policy = QuotaPolicy(enabled=False)
    clients = ClientFactory(session, endpoint_url=aws.endpoint_url, quotas=QuotaBook(policy))
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
    fn = FunctionTarget(ACCOUNT, "us-east-1", "gone")
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
        step.run(ctx, FunctionTarget(ACCOUNT, "us-east-1", "pay"))
        assert ctx.tally.errors == []
    [entry] = [e for e in case.entries() if e.kind == "logs"]
    assert entry.api == "s3:GetObject" and entry.params["logGroupName"] == "/aws/lambda/pay"
    lines = gzip.decompress(case.path(entry.path or "").read_bytes()).splitlines()
    assert [orjson.loads(x)["message"] for x in lines] == messages
    with open_index(case) as con:
        found = con.execute("SELECT function_name, version, message FROM log_events ORDER BY ts")
        assert found.fetchall()[0] == ("pay", "3", messages[0])
