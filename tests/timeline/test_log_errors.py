"""Error log lines of every runtime's format reach the timeline, and the index's statuses.

Lines are put in a case's logs artifact as FilterLogEvents returns them and read back
through the index, as `timeline` and `analyze` read them (no AWS).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.redact import REDACTED
from lambda_ir.timeline import build_timeline
from lambda_ir.timeline.logs import MESSAGE_CHARS, log_count, log_events
from tests.analyze.casebuild import CaseBuilder

STREAM = "2026/11/23/[$LATEST]0123456789abcdef"
T0 = 1_795_425_898_000  # 2026-11-23T09:24:58Z in ms: fixed, never sent to an API
AT = "2026-11-23T09:24:58.123Z"

# (name, line, is it an error): one request per line, so its REPORT's status says too.
LINES = (
    ("node", "{at}\t{rid}\tERROR\tNODE-ERROR db connection refused", True),
    (
        "json-upper",
        '{{"timestamp":"{at}","level":"ERROR","requestId":"{rid}",'
        '"message":"JSON-UPPER db connection refused"}}',
        True,
    ),
    (
        "json-lower",
        '{{"timestamp": "{at}", "level": "error", "requestId": "{rid}", '
        '"message": "JSON-LOWER db connection refused"}}',
        True,
    ),
    ("python", "[ERROR]\t{at}\t{rid}\tPY-ERROR db connection refused", True),
    ("node-info", "{at}\t{rid}\tINFO\tNODE-INFO no error found", False),
    ("python-info", "[INFO]\t{at}\t{rid}\tPY-INFO no error found", False),
    (
        "json-info",
        '{{"level":"INFO","requestId":"{rid}","message":"JSON-INFO error: none"}}',
        False,
    ),
)


def _rid(n: int) -> str:
    return f"6f1c2b3a-1111-2222-3333-{n:012d}"


@pytest.fixture
def case(tmp_path: Path) -> Case:
    events = []
    for n, (_, line, _error) in enumerate(LINES):
        rid = _rid(n)
        events.append({"timestamp": T0 + 10 * n, "message": line.format(at=AT, rid=rid)})
        report = f"REPORT RequestId: {rid}\tDuration: 5.00 ms"
        events.append({"timestamp": T0 + 10 * n + 1, "message": report})
    builder = CaseBuilder(tmp_path / "case")
    builder.logs("/aws/lambda/pay", [{**e, "logStreamName": STREAM} for e in events])
    return builder.case


def test_error_lines_of_every_format_are_timeline_events(case: Case) -> None:
    names = {_rid(n): name for n, (name, _, _) in enumerate(LINES)}
    with open_index(case) as con:
        errors = {
            names[e.summary.split(" in request ", 1)[1].split(":", 1)[0]]: e.summary
            for e in log_events(con)
            if e.kind == "log-error"
        }
        counted = log_count(con)
    assert set(errors) == {name for name, _, error in LINES if error}
    # Node's `<time>\t<request id>\t` prefix is dropped: the event says both already.
    assert (
        errors["node"] == f"log-error in request {_rid(0)}: ERROR NODE-ERROR db connection refused"
    )
    assert counted == len(LINES) + len(errors)  # every request's invocation, and its errors


def test_a_request_with_an_error_line_is_an_error_in_report_lines(case: Case) -> None:
    with open_index(case) as con:
        status = dict(con.execute("SELECT request_id, status FROM report_lines").fetchall())
    assert {name: status[_rid(n)] for n, (name, _, _) in enumerate(LINES)} == {
        name: "error" if error else "success" for name, _, error in LINES
    }


def test_a_secret_at_the_message_cut_is_redacted_whole(tmp_path: Path) -> None:
    # The first secret's stand-in is shorter than it, which brings the cut one into view.
    token = "ghp_" + "A1b2" * 9
    text = f"ERROR --session-token={'s' * 200} {'a' * 143} {token}"
    assert text.index(token) < MESSAGE_CHARS < text.index(token) + len(token)
    line = f"{AT}\t{_rid(0)}\t{text}"  # Node's format: the time and request id are dropped
    builder = CaseBuilder(tmp_path / "case")
    builder.logs("/aws/lambda/pay", [{"timestamp": T0, "message": line, "logStreamName": STREAM}])
    with open_index(builder.case) as con:
        events = list(build_timeline(builder.case, con))
    (error,) = [e for e in events if e.kind == "log-error"]
    assert token[:8] not in error.summary
    assert error.summary.count(REDACTED) == 2


def test_long_error_lines_of_an_attackers_text_reach_the_timeline_in_time(tmp_path: Path) -> None:
    # CloudWatch keeps messages up to 256 KB, and an error may echo an attacker's input: three
    # such lines of `-a-a-a…` once took 45 s, each redacted whole by a quadratic pattern.
    text = "ERROR password check failed for input " + "-a" * 128_000
    builder = CaseBuilder(tmp_path / "case")
    lines = [{"timestamp": T0 + n, "message": f"{AT}\t{_rid(n)}\t{text}"} for n in range(3)]
    builder.logs("/aws/lambda/pay", [{**line, "logStreamName": STREAM} for line in lines])
    with open_index(builder.case) as con:
        start = time.perf_counter()
        events = list(build_timeline(builder.case, con))
        took = time.perf_counter() - start
    assert [e.summary[:60] for e in events if e.kind == "log-error"] == [
        f"log-error in request {_rid(n)}: ERROR password check"[:60] for n in range(3)
    ]
    assert took < 3
