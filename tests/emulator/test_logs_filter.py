"""FilterLogEvents filter patterns: CloudWatch Logs' syntax applied, invalid ones refused."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambda_ir.emulator.logs_filter import InvalidPattern, compile_pattern

LINES = [
    "START RequestId: 1 Version: $LATEST",
    "ERROR Exception occurred in handler",
    "WARN disk almost full",
    "INFO all good",
    "REPORT RequestId: 1 Duration: 12.5 ms Billed Duration: 13 ms",
    '{"level": "ERROR", "latency": 1200, "user": {"name": "mallory"}, "ok": false}',
    '{"level": "INFO", "latency": 10, "user": {"name": "alice"}, "ok": true, "tags": ["a"]}',
    '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 404 2326',
    '10.0.0.9 - bob [10/Oct/2000:13:55:37 -0700] "GET /b.gif HTTP/1.0" 200 512',
]


def _hits(pattern: str) -> list[int]:
    matches = compile_pattern(pattern)
    return [n for n, line in enumerate(LINES) if matches(line)]


@pytest.mark.parametrize(
    ("pattern", "hits"),
    [
        ("", list(range(len(LINES)))),
        ("ERROR", [1, 5]),
        ("ERROR Exception", [1]),
        ("?WARN ?Exception", [1, 2]),
        ("RequestId -REPORT", [0]),
        ('"disk almost"', [2]),
        ("%Dur[a-z]+tion: 1[0-9]%", [4]),
        ("%^INFO%", [3]),
        ("[ip, id, user, timestamp, request, status = 404, size]", [7]),
        ("[ip, ..., status = 2*, size > 500]", [8]),
        ("[ip, ..., status = 404 || status = 200, size]", [7, 8]),
        ("[..., size < 1000]", [8]),
        ('{ $.level = "ERROR" }', [5]),
        ("{ $.latency > 1000 }", [5]),
        ('{ ($.latency < 100) && ($.user.name = "ali*") }', [6]),
        ('{ $.level = "ERROR" || $.ok IS TRUE }', [5, 6]),
        ("{ $.ok IS FALSE }", [5]),
        ("{ $.tags NOT EXISTS }", [5]),
        ('{ $.tags[0] = "a" }', [6]),
        ("{ $.user.name = %mal+ory% }", [5]),
    ],
)
def test_pattern_syntax(pattern: str, hits: list[int]) -> None:
    assert _hits(pattern) == hits


@pytest.mark.parametrize(
    "pattern",
    [
        "foo.bar",  # an unquoted term with a dot
        "%some(thing)%",  # regex groups are not supported
        "%café%",  # nor multi-byte characters
        "%bad!%",
        "[a, b",
        "{ $.a = }",
        "{ $.a > abc }",
        "{ ($.a = 1 }",
        "{ level = 1 }",
        "x" * 1025,
        "{ " + "(" * 40 + "$.a = 1" + ")" * 40 + " }",
    ],
)
def test_invalid_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidPattern):
        compile_pattern(pattern)


def _logs(admin: Any, name: str) -> Any:
    logs = admin.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=name,
        logStreamName="s",
        logEvents=[{"timestamp": now - 1000 + n, "message": line} for n, line in enumerate(LINES)],
    )
    return logs


def test_filter_log_events_over_http(admin: Any, name: str) -> None:
    logs = _logs(admin, name)

    def messages(pattern: str, **extra: Any) -> list[str]:
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=name, filterPattern=pattern, **extra
        )
        return [e["message"] for page in pages for e in page["events"]]

    assert messages("?WARN ?Exception") == [LINES[1], LINES[2]]
    assert messages("[ip, ..., status = 404, size]") == [LINES[7]]
    assert messages('{ $.user.name = "mallory" }') == [LINES[5]]
    assert messages("%RequestId%", PaginationConfig={"PageSize": 2}) == [LINES[0], LINES[4]]
    assert len(messages("")) == len(LINES)
    with pytest.raises(ClientError) as refused:
        logs.filter_log_events(logGroupName=name, filterPattern="%a(b)%")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
