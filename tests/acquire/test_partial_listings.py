"""A log or LookupEvents listing that fails partway: what was read is kept, a rerun reads the
whole listing again into an artifact beside it, and the index counts each event once, from
the complete one. The failure is the emulator's own (`PageFault`: every later page of the
listing throttled), never a mock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from lambda_ir.acquire.cloudtrail import collect_lambda_trail
from lambda_ir.acquire.context import Scope
from lambda_ir.acquire.logs import collect_logs
from lambda_ir.acquire.steps import FunctionTarget
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import gap_collection
from lambda_ir.aws import RetryPolicy
from lambda_ir.emulator.quotas import PageFault
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case, ManifestEntry
from lambda_ir.evidence.index import open_index
from lambda_ir.model import Severity
from lambda_ir.timeline.documents import gaps
from tests.acquire import seed
from tests.acquire.test_logs import (
    ACCOUNT,
    EVENT_TIME,
    LISTED,
    SCOPE_SINCE,
    SCOPE_UNTIL,
    STREAM,
    collect_context,
)

SCOPE = Scope(("us-east-1",), since=SCOPE_SINCE, until=SCOPE_UNTIL)
ONCE = RetryPolicy(max_attempts=1)  # botocore's retries run out at once: no waiting
PAGE = 10_000  # FilterLogEvents' page


@contextmanager
def failing_after_first_page(aws: Emulator, *faults: PageFault) -> Iterator[None]:
    aws.set_limits(page_faults=faults)
    try:
        yield
    finally:
        aws.set_limits()


def put_many(session: boto3.Session, aws: Emulator, group: str, count: int) -> None:
    """`count` events in one stream, a millisecond apart (more than a page)."""
    logs = session.client("logs", endpoint_url=aws.endpoint_url)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=STREAM)
    start = int(EVENT_TIME.timestamp() * 1000)
    for first in range(0, count, PAGE):
        events = [
            {"timestamp": start + i, "message": f"line {i}"}
            for i in range(first, min(count, first + PAGE))
        ]
        logs.put_log_events(logGroupName=group, logStreamName=STREAM, logEvents=events)


def listings(case: Case, kind: str) -> list[ManifestEntry]:
    return [e for e in case.entries() if e.kind == kind and e.path]


def test_a_log_listing_cut_short_is_read_whole_again_beside_the_partial_one(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    put_many(session, aws, "/aws/lambda/pay", PAGE + 25)
    fn = FunctionTarget(ACCOUNT, "us-east-1", "pay", LISTED)
    with failing_after_first_page(aws, PageFault("logs", "FilterLogEvents")):
        for _run in range(2):  # cut short twice: each attempt kept, each a new artifact
            with collect_context(case, session, aws, SCOPE, ONCE) as ctx:
                collect_logs(ctx, fn)
    partial, again = listings(case, "logs")
    assert [(e.meta["complete"], e.meta["lines"]) for e in (partial, again)] == [
        (False, PAGE),
        (False, PAGE),
    ]
    assert [e.error.split(":")[0] for e in case.entries() if e.error] == ["throttled"] * 2

    for _run in range(2):  # the rerun reads it whole; a run after it finds it done
        with collect_context(case, session, aws, SCOPE) as ctx:
            collect_logs(ctx, fn)
    assert listings(case, "logs")[:2] == [partial, again]  # kept as they were
    (whole,) = listings(case, "logs")[2:]
    assert [e.path for e in (again, whole)] == [
        (partial.path or "").replace(".jsonl.gz", f".attempt-{n}.jsonl.gz") for n in (2, 3)
    ]
    assert (whole.meta["complete"], whole.meta["lines"]) == (True, PAGE + 25)
    assert whole.params == partial.params

    rows = open_index(case).execute(
        "SELECT evidence_path, count(*), count(DISTINCT message) FROM log_events GROUP BY 1"
    )
    assert rows.fetchall() == [(whole.path, PAGE + 25, PAGE + 25)]
    # the throttled attempts were answered by the whole read: no gap stands, in the report's
    # gaps or in LIR-GAP-001 (they said the logs were not read after they were)
    assert [e.error for e in gaps(case)] == []
    assert not [f for f in gap_collection.DETECTOR.detect(CaseView(case)) if "Filter" in f.title]


def test_a_lookup_cut_short_is_read_whole_again_and_each_event_counted_once(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    seed.function(session, aws.endpoint_url, "pay", ["print('v1')"])
    lam = seed.client(session, aws.endpoint_url, "lambda")
    for _ in range(60):  # LookupEvents answers 50 a page: two pages
        lam.get_function(FunctionName="pay")
    cut = failing_after_first_page(aws, PageFault("cloudtrail", "LookupEvents"))
    with cut, collect_context(case, session, aws, SCOPE, ONCE) as ctx:
        collect_lambda_trail(ctx, "us-east-1")
    (partial,) = listings(case, "trail")
    assert (partial.meta["complete"], partial.meta["lines"]) == (False, 50)

    with collect_context(case, session, aws, SCOPE) as ctx:
        collect_lambda_trail(ctx, "us-east-1")
    first, whole = listings(case, "trail")
    assert first == partial and whole.meta["complete"] is True
    assert whole.path == (partial.path or "").replace(".jsonl.gz", ".attempt-2.jsonl.gz")
    rows = open_index(case).execute(
        "SELECT evidence_path, count(*), count(DISTINCT event_id) FROM trail_events GROUP BY 1"
    )
    assert rows.fetchall() == [(whole.path, whole.meta["lines"], whole.meta["lines"])]


def test_a_log_group_deleted_partway_is_a_gap_naming_what_was_kept_never_absent(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    put_many(session, aws, "/aws/lambda/pay", PAGE + 25)
    fn = FunctionTarget(ACCOUNT, "us-east-1", "pay", LISTED)
    deleted = failing_after_first_page(aws, PageFault("logs", "FilterLogEvents", "deleted"))
    with deleted, collect_context(case, session, aws, SCOPE) as ctx:
        collect_logs(ctx, fn)
    # gone by now: a rerun, answered not-found on the first page, says the same (once)
    session.client("logs", endpoint_url=aws.endpoint_url).delete_log_group(
        logGroupName="/aws/lambda/pay"
    )
    with collect_context(case, session, aws, SCOPE) as ctx:
        collect_logs(ctx, fn)
    (kept,) = listings(case, "logs")
    assert kept.meta["complete"] is False
    assert [e.error for e in case.entries() if e.error] == []  # no final `not-found`
    (gap,) = listings(case, "gap")
    document = case.read_json(gap.path or "")
    assert document["gap"] == "log-group-deleted-during-collection"
    assert document["kept"] == [{"path": kept.path, "sha256": kept.sha256}]
    assert f"{kept.path} ({PAGE} events, 1 pages)" in document["detail"]
    # a group deleted mid-incident is worth a look, as a missing one is (LOW, not INFO)
    (finding,) = [f for f in gap_collection.DETECTOR.detect(CaseView(case)) if "deleted" in f.title]
    assert finding.severity is Severity.LOW


def test_a_lookup_answering_not_found_partway_is_a_failure_to_retry(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    seed.function(session, aws.endpoint_url, "pay", ["print('v1')"])
    lam = seed.client(session, aws.endpoint_url, "lambda")
    for _ in range(60):
        lam.get_function(FunctionName="pay")
    cut = failing_after_first_page(aws, PageFault("cloudtrail", "LookupEvents", "deleted"))
    with cut, collect_context(case, session, aws, SCOPE) as ctx:
        collect_lambda_trail(ctx, "us-east-1")
    (kept,) = listings(case, "trail")
    (failed,) = [e for e in case.entries() if e.error]
    assert failed.error is not None and failed.error.startswith("error: ")
    assert f"kept in {kept.path}" in failed.error
