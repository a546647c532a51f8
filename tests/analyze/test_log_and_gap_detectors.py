"""Log detectors (on the index's log_events/report_lines) and evidence-gap findings."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import orjson
import pytest

from lambda_ir.analyze.detectors import (
    gap_collection,
    ioc_match,
    log_errors,
    log_extensions,
    log_outbound,
    log_outliers,
    log_timeouts,
)
from lambda_ir.model import Severity
from tests.analyze.casebuild import (
    ACCOUNT,
    LOG_T0,
    REGION,
    CaseBuilder,
    function_config,
    report_line,
    run_detector,
    trail_event,
)

FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"


def _logs(builder: CaseBuilder, events: list[dict]) -> str:
    return builder.logs("/aws/lambda/orders", events).path


def test_timeouts_fire_for_a_version_that_always_times_out(builder: CaseBuilder) -> None:
    path = _logs(
        builder,
        [report_line(i, "3", 900_000, "timeout") for i in range(12)]
        + [report_line(20 + i, "2", 120) for i in range(4)],
    )
    found = run_detector(builder, log_timeouts.DETECTOR)
    # A symptom a miner shares with a slow dependency: MEDIUM at most.
    assert [(f.resource, f.severity) for f in found] == [(FN + ":3", Severity.MEDIUM)]
    assert found[0].evidence[0].path == path


def test_timeouts_quiet_for_rare_timeouts(builder: CaseBuilder) -> None:
    _logs(
        builder,
        [report_line(0, "2", 3000, "timeout")] + [report_line(i, "2", 100) for i in range(1, 20)],
    )
    assert run_detector(builder, log_timeouts.DETECTOR) == []


def test_duration_outlier_between_versions(builder: CaseBuilder) -> None:
    path = _logs(
        builder,
        [report_line(i, "2", 100) for i in range(5)]
        + [report_line(10 + i, "3", 60_000) for i in range(5)],
    )
    found = run_detector(builder, log_outliers.DETECTOR)
    assert [f.resource for f in found] == [FN + ":3"]
    assert found[0].evidence[0].path == path and found[0].details["others_median_ms"] == 100


def test_no_outlier_when_versions_agree(builder: CaseBuilder) -> None:
    _logs(builder, [report_line(i, v, 100 + i) for v in ("1", "2") for i in range(5)])
    assert run_detector(builder, log_outliers.DETECTOR) == []


def test_error_burst(builder: CaseBuilder) -> None:
    path = _logs(builder, [report_line(i, "4", 50, "error") for i in range(12)])
    found = run_detector(builder, log_errors.DETECTOR)
    assert len(found) == 1 and found[0].details["errors"] == 12
    assert found[0].evidence[0].path == path


def test_an_error_burst_of_lines_without_a_time_says_none_has_one(builder: CaseBuilder) -> None:
    """REPORT lines without a timestamp fall in no window: their failures are counted and the
    summary says none has a time, never "from None" (the finding's `time` stays null)."""
    lines = [report_line(i, "4", 50, "error") for i in range(12)]
    untimed = [{**line, "eventId": str(n)} for n, line in enumerate(lines)]
    _logs(builder, [{k: v for k, v in line.items() if k != "timestamp"} for line in untimed])
    (burst,) = run_detector(builder, log_errors.DETECTOR)
    assert burst.details["errors"] == 12 and burst.time is None
    assert burst.summary == (
        "12 invocations of orders (version 4) failed, none at a time the index could read; "
        "check what changed just before."
    )


def test_few_errors_are_quiet(builder: CaseBuilder) -> None:
    _logs(builder, [report_line(i, "4", 50, "error") for i in range(3)])
    assert run_detector(builder, log_errors.DETECTOR) == []


def _node_lines(level: str, count: int) -> list[dict]:
    """`count` invocations of version 4 whose Node.js handler wrote one `level` line
    (console.error gives `<time>\t<request id>\tERROR\t…`) and whose REPORT has no status."""
    events = []
    for i in range(count):
        report = report_line(i, "4", 50)
        rid = report["message"].split()[2]
        line = f"2025-12-02T12:00:{i:02d}.000Z\t{rid}\t{level}\tupstream said: error 503"
        events += [{**report, "timestamp": report["timestamp"] - 1, "message": line}, report]
    return events


def test_error_burst_from_node_console_error_lines(builder: CaseBuilder) -> None:
    path = _logs(builder, _node_lines("ERROR", 12))
    found = run_detector(builder, log_errors.DETECTOR)
    assert len(found) == 1 and found[0].details["errors"] == 12
    assert found[0].evidence[0].path == path


def test_info_lines_that_mention_an_error_are_no_burst(builder: CaseBuilder) -> None:
    _logs(builder, _node_lines("INFO", 12))
    assert run_detector(builder, log_errors.DETECTOR) == []


def test_extension_init_lines(builder: CaseBuilder) -> None:
    stream = "2025/12/02/[$LATEST]abc"
    path = _logs(
        builder,
        [
            {
                "timestamp": LOG_T0,
                "message": "EXTENSION\tName: spy\tState: Ready\tEvents: [INVOKE,SHUTDOWN]",
                "logStreamName": stream,
            },
            {
                "timestamp": LOG_T0 + 5,
                "message": "START RequestId: x Version: $LATEST",
                "logStreamName": stream,
            },
        ],
    )
    found = run_detector(builder, log_extensions.DETECTOR)
    assert [(f.details["extension"], f.resource) for f in found] == [("spy", FN + ":$LATEST")]
    assert found[0].evidence[0].path == path


def test_extension_init_lines_without_a_time_say_none_has_one(builder: CaseBuilder) -> None:
    init = "EXTENSION\tName: spy\tState: Ready\tEvents: [INVOKE,SHUTDOWN]"
    _logs(builder, [{"message": init, "logStreamName": "2025/12/02/[$LATEST]abc"}])
    (found,) = run_detector(builder, log_extensions.DETECTOR)
    assert found.time is None and "None" not in found.summary
    assert found.summary.startswith(
        "Extension spy started 1 time(s) with orders (version $LATEST), none at a time the "
        "index could read; it sees every invocation"
    )


def test_no_extension_lines_is_quiet(builder: CaseBuilder) -> None:
    _logs(builder, [{"timestamp": LOG_T0, "message": "START RequestId: x", "logStreamName": "s"}])
    assert run_detector(builder, log_extensions.DETECTOR) == []


def test_outbound_indicators(builder: CaseBuilder) -> None:
    stream = "2025/12/02/[5]abc"
    path = _logs(
        builder,
        [
            {
                "timestamp": LOG_T0,
                "message": "[INFO] pool stratum+tcp://116.203.4.0:3333 connected",
                "logStreamName": stream,
            },
            {
                "timestamp": LOG_T0 + 1,
                "message": "GET https://cloudflare-dns.com/dns-query?name=gw.x",
                "logStreamName": stream,
            },
            {"timestamp": LOG_T0 + 2, "message": "db at 10.0.0.5:5432 ok", "logStreamName": stream},
        ],
    )
    found = run_detector(builder, log_outbound.DETECTOR)
    kinds = {f.details["kind"]: f for f in found}
    assert set(kinds) == {"stratum", "doh", "ip:port"}
    assert kinds["ip:port"].details["indicator"] == "116.203.4.0:3333"  # 10.0.0.5 is private
    assert kinds["stratum"].severity is Severity.HIGH
    assert kinds["ip:port"].severity is Severity.LOW  # an address in a log line is no proof
    assert all(f.evidence[0].path == path for f in found)


def test_outbound_quiet_on_ordinary_lines(builder: CaseBuilder) -> None:
    _logs(
        builder,
        [
            {
                "timestamp": LOG_T0,
                "message": "connected to 10.1.2.3:6379, took 3 ms",
                "logStreamName": "s",
            }
        ],
    )
    assert run_detector(builder, log_outbound.DETECTOR) == []


def test_gaps_denied_calls_missing_log_group_deleted_versions_no_trail(
    builder: CaseBuilder,
) -> None:
    builder.failed(
        "policy",
        "lambda:GetPolicy",
        {"FunctionName": "orders"},
        "denied: AccessDeniedException: not authorized",
    )
    builder.failed(
        "policy",
        "lambda:GetPolicy",
        {"FunctionName": "calm"},
        "not-found: ResourceNotFoundException: no policy",
    )
    gap = builder.put(
        f"raw/{ACCOUNT}/{REGION}/gaps/log-group-orders.json",
        {"gap": "log-group-missing", "detail": "/aws/lambda/orders: gone"},
        "gap",
        "logs:FilterLogEvents",
        logGroupName="/aws/lambda/orders",
    )
    builder.versions("orders", [function_config("orders", "1"), function_config("orders", "3")])
    found = run_detector(builder, gap_collection.DETECTOR)
    titles = sorted(f.title for f in found)
    assert titles == [
        "Evidence gap: lambda:GetPolicy denied",
        "Evidence gap: log-group-missing",
        "Evidence gap: no CloudTrail",
        "Evidence gap: versions deleted",
    ]
    denied = next(f for f in found if "denied" in f.title)
    assert denied.resource == FN and denied.evidence[0].path == "manifest.jsonl"
    lines = (builder.root / "manifest.jsonl").read_bytes().splitlines()
    assert denied.evidence[0].sha256 in {hashlib.sha256(line).hexdigest() for line in lines}
    assert next(f for f in found if "log-group" in f.title).evidence[0].path == gap.path
    assert next(f for f in found if "versions" in f.title).details["missing_versions"] == [2]
    assert all(f.severity.rank <= Severity.LOW.rank for f in found)


def test_a_denied_log_or_role_read_is_filed_under_the_functions_it_concerns(
    builder: CaseBuilder,
) -> None:
    """FilterLogEvents and GetRolePolicy name no function: their gaps were filed under
    `arn:aws:lambda:REGION:ACCOUNT:*`. A log group is its function's (a custom LoggingConfig
    group too); a role is every function that runs as it."""
    shared = f"arn:aws:iam::{ACCOUNT}:role/service/shared-role"
    builder.versions("orders", [function_config("orders", "1", role=shared)])
    builder.versions(
        "billing",
        [function_config("billing", "1", role=shared, LoggingConfig={"LogGroup": "/custom/b"})],
    )
    for group in ("/aws/lambda/orders", "/custom/b", "/aws/lambda/gone", "/other/x"):
        builder.failed(
            "logs",
            "logs:FilterLogEvents",
            {"logGroupName": group},
            "denied: AccessDeniedException: not authorized",
        )
    builder.failed(
        "role-policy",
        "iam:GetRolePolicy",
        {"RoleName": "shared-role", "PolicyName": "inline"},
        "denied: AccessDenied: not authorized",
        region=None,
    )
    found = [f for f in run_detector(builder, gap_collection.DETECTOR) if "denied" in f.title]
    billing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:billing"
    gone = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gone"
    logs = sorted(f.resource for f in found if "FilterLogEvents" in f.title)
    assert logs == sorted([FN, billing, gone, f"arn:aws:lambda:{REGION}:{ACCOUNT}:*"])
    roles = sorted(f.resource for f in found if "GetRolePolicy" in f.title)
    assert roles == sorted([FN, billing])


def test_a_long_denial_is_quoted_to_a_word_and_kept_whole(builder: CaseBuilder) -> None:
    """AWS's denials name the principal, the action and the resource's ARN: a summary quotes
    them to a whole word (an ARN cut short reads as another), the details keep every word."""
    role = f"arn:aws:sts::{ACCOUNT}:assumed-role/OrganizationAccountAccessRole/lambda-ir-collect"
    error = (
        f"denied: AccessDenied: User: {role} is not authorized to perform: iam:ListRoles on "
        f"resource: arn:aws:iam::{ACCOUNT}:role/ because no identity-based policy allows the "
        "iam:ListRoles action; " + "with an explicit deny in a service control policy " * 4
    )
    builder.failed("role", "iam:ListRoles", {}, error)
    (denied,) = [f for f in run_detector(builder, gap_collection.DETECTOR) if "denied" in f.title]
    assert f"on resource: arn:aws:iam::{ACCOUNT}:role/ because" in denied.summary
    assert " …); that evidence was not examined." in denied.summary
    assert denied.details["error"] == error
    assert gap_collection._clipped("x" * 295 + " arn: rest") == "x" * 295 + " arn: …"
    assert gap_collection._clipped("a" * 400) == "a" * 300 + " …"  # no space: cut at 300


def test_complete_case_has_no_gaps(builder: CaseBuilder) -> None:
    from tests.analyze.casebuild import trail_event

    builder.versions("orders", [function_config("orders", "1"), function_config("orders", "2")])
    builder.trail([trail_event("ListFunctions20150331", {})])
    assert run_detector(builder, gap_collection.DETECTOR) == []


def test_few_timeouts_are_low(builder: CaseBuilder) -> None:
    _logs(
        builder,
        [report_line(i, "3", 120_000, "timeout") for i in range(4)]
        + [report_line(20 + i, "3", 9000) for i in range(4)],
    )
    assert [f.severity for f in run_detector(builder, log_timeouts.DETECTOR)] == [Severity.LOW]


def test_trail_starting_after_the_window_is_a_gap(tmp_path: Path) -> None:
    from tests.analyze.casebuild import trail_event

    late = CaseBuilder(tmp_path / "late", {"since": "2026-10-01T00:00:00Z"})
    entry = late.trail([trail_event("ListFunctions20150331", {}, time="2026-11-02T12:00:00Z")])
    found = [f for f in run_detector(late, gap_collection.DETECTOR) if "window" in f.title]
    assert [(f.details["first_event"], f.evidence[0].path) for f in found] == [
        ("2026-11-02T12:00:00Z", entry.path)
    ]
    covered = CaseBuilder(tmp_path / "ok", {"since": "2026-11-02T00:00:00Z"})
    covered.trail([trail_event("ListFunctions20150331", {}, time="2026-11-02T12:00:00Z")])
    assert [f for f in run_detector(covered, gap_collection.DETECTOR) if "window" in f.title] == []


def test_a_snapshot_key_names_a_function_in_its_own_account_only(builder: CaseBuilder) -> None:
    """A runtime snapshot's function comes from its S3 key, which whoever may write the
    bucket chooses: an ARN there names a function of the entry's own account and region, never
    the other account's function it spells."""
    other = "arn:aws:lambda:eu-west-1:999988887777:function:payments"
    builder.case.record_error(
        kind="runtime",
        api="s3:GetObject",
        params={"Bucket": "ir-snapshots", "Key": "acme/x"},
        error="integrity: snapshot does not match its manifest",
        account=ACCOUNT,
        region=REGION,
        meta={"function": other},
    )
    (gap,) = run_detector(builder, gap_collection.DETECTOR)
    assert gap.resource.startswith(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:")
    assert "999988887777:function" not in gap.resource and gap.account == ACCOUNT


@pytest.mark.parametrize("damage", ["truncated", "not-gzip", "time-out-of-range"])
def test_a_damaged_log_artifact_is_a_gap_and_the_others_still_speak(
    builder: CaseBuilder, damage: str
) -> None:
    """One damaged artifact emptied every function's log events: LIR-LOG-* went quiet,
    LIR-IOC-001 failed on EOFError, and no finding said the logs were not read."""
    good = _logs(builder, [report_line(i, "4", 50, "error") for i in range(12)])
    ioc = builder.logs("/aws/lambda/orders", [_line("pool 116.203.4.0:3333 connected")], "ioc")
    event = _line("pool 116.203.4.0:3333 connected")
    body = {
        "truncated": gzip.compress(orjson.dumps(event) + b"\n" * 100)[:-12],
        "not-gzip": b"\x1f\x8b\x08 this is no gzip stream",
        "time-out-of-range": gzip.compress(
            orjson.dumps({**event, "timestamp": -99999999999999999}) + b"\n"
        ),
    }[damage]
    bad = builder.log_artifact("/aws/lambda/broken", body).path
    (burst,) = run_detector(builder, log_errors.DETECTOR)
    assert burst.evidence[0].path == good and burst.details["errors"] == 12
    found = run_detector(builder, ioc_match.DETECTOR)
    assert [(f.evidence[0].path, f.details["indicator"]) for f in found] == [
        (ioc.path, "116.203.4.0")
    ]
    (gap,) = run_detector(builder, gap_collection.DETECTOR)
    assert gap.title == "Evidence gap: log events not read" and gap.severity == Severity.LOW
    assert gap.resource == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:broken"
    assert (
        gap.evidence[0].path == bad and gap.evidence[0].sha256 == hashlib.sha256(body).hexdigest()
    )
    assert gap.details["log_group"] == "/aws/lambda/broken" and bad in gap.summary


def test_an_indicator_in_a_shared_log_group_names_the_function_whose_stream_held_it(
    builder: CaseBuilder,
) -> None:
    """Functions that log to one custom group (LoggingConfig) each write their own streams,
    `YYYY/MM/DD/<function>[<version>]<id>`: the finding named `function:/app/shared`, no
    function at all, where the index files the lines under billing and orders."""
    for name in ("orders", "billing"):
        config = function_config(name, LoggingConfig={"LogGroup": "/app/shared"})
        builder.versions(name, [config])
    line = _line("pool 116.203.4.0:3333 connected")
    entry = builder.logs(
        "/app/shared",
        [
            {**line, "logStreamName": "2025/12/02/billing[$LATEST]0a1b"},
            {**line, "logStreamName": "2025/12/02/billing[$LATEST]0a1b", "timestamp": LOG_T0 + 1},
            {**line, "logStreamName": "2025/12/02/orders[3]9f8e", "timestamp": LOG_T0 + 2},
        ],
    )
    found = run_detector(builder, ioc_match.DETECTOR)
    assert sorted((f.resource, f.details["lines"]) for f in found) == [
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:billing", 2),
        (FN, 1),
    ]
    assert all(f.evidence[0].path == entry.path for f in found)
    assert all(f.details["log_group"] == "/app/shared" for f in found)
    assert "of /app/shared (billing's streams) mention 116.203.4.0" in found[0].summary


def test_an_indicator_the_index_does_not_hold_names_the_function_the_logs_were_read_for(
    builder: CaseBuilder,
) -> None:
    """Lines of an artifact damaged past them are read by the scan and held by no index row,
    and a line without a stream is NULL in the index (review 23): both fell back to the
    group's name, `function:/app/shared` and "(/app/shared's streams)"."""
    builder.versions(
        "orders", [function_config("orders", LoggingConfig={"LogGroup": "/app/shared"})]
    )
    line = _line("pool 116.203.4.0:3333 connected")
    streamless = {key: value for key, value in line.items() if key != "logStreamName"}
    filler = [orjson.dumps({**line, "message": f"x{i}" * 50}) + b"\n" for i in range(3000)]
    whole = gzip.compress(orjson.dumps(line) + b"\n" + b"".join(filler))
    damaged = whole[: len(whole) // 2]  # its first lines read, the rest cut off
    for name, body, reader in (
        ("damaged", damaged, "orders"),
        (
            "streamless",
            gzip.compress(orjson.dumps({**streamless, "logStreamName": None}) + b"\n"),
            "orders",
        ),
        ("unread", damaged, ""),
    ):
        group = "/app/shared" if name != "unread" else "/app/other"
        builder.log_artifact(group, body, name, reader)
    found = run_detector(builder, ioc_match.DETECTOR)
    assert sorted((f.resource, f.details["lines"]) for f in found) == [
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders", 2),
        (f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/other", 1),
    ]
    assert all("/app/shared's" not in f.summary and "/app/other's" not in f.summary for f in found)


def test_a_stream_read_for_two_functions_is_each_artifacts_readers(builder: CaseBuilder) -> None:
    """A group two collections read, each for another function (meta), has the same stream
    in both artifacts: the index files each artifact's lines under its reader, and the
    indicator's line went to whichever name sorted first (review 23)."""
    stream = {"logStreamName": "2025/12/02/[$LATEST]0a1b"}
    for name, reader, message in (("a", "billing", "hello"), ("b", "orders", "116.203.4.0")):
        body = gzip.compress(orjson.dumps({**_line(message), **stream}) + b"\n")
        builder.log_artifact("/aws/lambda/shared-app", body, name, reader)
    (found,) = run_detector(builder, ioc_match.DETECTOR)
    assert found.resource == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"


def test_a_line_two_artifacts_hold_is_the_function_of_the_copy_the_index_keeps(
    builder: CaseBuilder,
) -> None:
    """Two collections read /app/shared, for billing (collected first, a wider window) and
    for orders: the index keeps a line's first copy by path (orders' `a`) and files the
    other line under billing. The scan gave the shared line to whichever came first in the
    manifest, and billing's finding the time of the line counted for orders (review 23b)."""
    hour = 3_600_000
    line = _line("pool 116.203.4.0:3333 connected")
    for name, reader, times in (
        ("b", "billing", (LOG_T0, LOG_T0 + hour)),
        ("a", "orders", (LOG_T0,)),
    ):
        body = gzip.compress(
            b"".join(orjson.dumps({**line, "timestamp": t}) + b"\n" for t in times)
        )
        builder.log_artifact("/app/shared", body, name, reader)
    found = {f.resource.rsplit(":", 1)[1]: f for f in run_detector(builder, ioc_match.DETECTOR)}
    assert {fn: (f.details["lines"], f.time) for fn, f in found.items()} == {
        "billing": (1, "2025-12-02T13:00:00Z"),
        "orders": (1, "2025-12-02T12:00:00Z"),
    }
    # every artifact holding a line of the finding is cited, the one collected first leading
    assert [e.path.rsplit("/", 1)[1] for e in found["orders"].evidence] == [
        "b.jsonl.gz",
        "a.jsonl.gz",
    ]


def _line(message: str) -> dict[str, object]:
    return {"timestamp": LOG_T0, "message": message, "logStreamName": "2025/12/02/[4]abc"}


def test_a_trail_that_starts_after_the_window_is_a_gap_of_its_account(tmp_path: Path) -> None:
    """The case's window begins days before its first CloudTrail event: changes before that
    cannot be attributed. The finding named the account by its id's first digit ("1")."""
    builder = CaseBuilder(
        tmp_path / "case", {"accounts": [ACCOUNT], "since": "2026-10-20T00:00:00Z"}
    )
    entry = builder.trail([trail_event("GetFunction20150331v2", {"functionName": "orders"})])
    (gap,) = [
        f
        for f in run_detector(builder, gap_collection.DETECTOR)
        if f.title == "Evidence gap: CloudTrail does not cover the window"
    ]
    assert (gap.account, gap.resource) == (ACCOUNT, "cloudtrail")
    assert gap.evidence[0].path == entry.path
    assert "its first CloudTrail event is 2026-11-02T12:00:00Z" in gap.summary


def test_a_call_a_later_run_answered_is_no_gap(builder: CaseBuilder) -> None:
    """GetPolicy throttled in one run and read by the next is no standing gap (review 21d):
    the report and LIR-GAP-001 said the policy was not read after it was."""
    for name in ("orders", "calm"):
        builder.failed(
            "policy",
            "lambda:GetPolicy",
            {"FunctionName": name},
            "throttled: TooManyRequestsException: Rate exceeded",
        )
    builder.policy("orders", [{"Sid": "s", "Effect": "Allow", "Principal": "*"}])  # the rerun
    found = [f for f in run_detector(builder, gap_collection.DETECTOR) if "GetPolicy" in f.title]
    assert [f.resource.rsplit(":", 1)[1] for f in found] == ["calm"]  # orders' was answered
