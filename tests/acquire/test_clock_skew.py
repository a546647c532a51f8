"""A responder's clock that is not AWS's: the newest events still collected, a large skew named.

The emulator plays AWS's clock ahead of this machine's (`clock_offset`): its `Date` headers,
the event times of calls and its signature check run on AWS's time, as AWS's would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.acquire.window import parse_when
from lambda_ir.aws.clock import ClockSkewError
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from tests.acquire import seed
from tests.acquire.conftest import Place

AHEAD = timedelta(minutes=3)  # AWS accepts it (within 5 minutes), yet its events run ahead


def _options(place: Place) -> CollectOptions:
    return CollectOptions(workers=4, quotas=False, endpoint_url=place.endpoint)


def _custody(case: Case, action: str) -> list[dict[str, Any]]:
    lines = (case.root / "custody.jsonl").read_text().splitlines()
    return [entry for entry in map(json.loads, lines) if entry["action"] == action]


def test_an_open_window_ends_at_aws_time_when_this_clock_is_behind(
    aws_clock: Emulator, place: Place, session: boto3.Session, case: Case
) -> None:
    aws_clock.clock_offset = AHEAD
    seed.function(session, place.endpoint, "orders", ["v1"], region=place.region)
    logs = seed.client(session, place.endpoint, "logs", place.region)
    logs.create_log_group(logGroupName="/aws/lambda/orders")
    logs.create_log_stream(logGroupName="/aws/lambda/orders", logStreamName="s")
    # What AWS stamps now lies minutes after this machine's "now".
    stamp = int((datetime.now(UTC) + AHEAD - timedelta(seconds=2)).timestamp() * 1000)
    events = [{"timestamp": stamp + n, "message": f"m{n}"} for n in range(3)]
    logs.put_log_events(logGroupName="/aws/lambda/orders", logStreamName="s", logEvents=events)

    scope = Scope((place.region,), since=parse_when("1h"))
    summary = collect(case, session, scope, _options(place))

    assert summary.ok
    [clock] = _custody(case, "clock")
    assert abs(clock["details"]["skew_seconds"] - AHEAD.total_seconds()) < 3
    assert [
        line for line in summary.advice if "clock is 2 min 5" in line or "clock is 3 min" in line
    ]
    assert all("behind AWS" in line for line in summary.advice if "clock is" in line)
    [log] = [e for e in case.entries() if e.kind == "logs"]
    assert log.params["endTime"] > stamp  # the open end is AWS's now, not this machine's
    assert log.meta["lines"] == 3
    lookups = [e for e in case.entries() if e.kind == "trail" and "EventSource=" in (e.path or "")]
    assert sum(e.meta["lines"] for e in lookups) >= 2  # CreateFunction and PublishVersion


def test_a_clock_aws_refuses_stops_the_run_with_one_line(
    aws_clock: Emulator, place: Place, session: boto3.Session, case: Case, tmp_path: Path
) -> None:
    aws_clock.clock_offset = timedelta(hours=2)
    scope = Scope((place.region,), since=parse_when("1h"))
    with pytest.raises(ClockSkewError, match=r"clock is 2 h 0 min behind AWS"):
        collect(case, session, scope, _options(place))
    assert [e for e in case.entries() if e.error] == []  # no failed call recorded for it
    env = os.environ | {
        "AWS_ENDPOINT_URL": place.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    command = ["collect", "--case", str(tmp_path / "cli"), "--region", place.region]
    done = subprocess.run(
        [sys.executable, "-m", "lambda_ir", *command], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    line = done.stderr.strip().splitlines()[-1]  # after the "Collecting …" progress line
    assert line.startswith("lambda-ir: AWS refused the request's time: this machine's clock is 2 h")
    assert "timedatectl" in line


def test_the_emulator_refuses_a_signature_aws_would_refuse(
    aws_clock: Emulator, session: boto3.Session
) -> None:
    """AWS's own words, per protocol: REST-JSON, JSON 1.1, query (XML) and S3."""
    aws_clock.clock_offset = -timedelta(minutes=20)  # this machine 20 minutes ahead
    endpoint = aws_clock.endpoint_url
    for service, call, code in (
        ("lambda", lambda c: c.list_functions(), "InvalidSignatureException"),
        ("logs", lambda c: c.describe_log_groups(), "InvalidSignatureException"),
        ("sts", lambda c: c.get_caller_identity(), "SignatureDoesNotMatch"),
        ("s3", lambda c: c.list_buckets(), "RequestTimeTooSkewed"),
    ):
        client = seed.client(session, endpoint, service)
        with pytest.raises(client.exceptions.ClientError) as refused:
            call(client)
        error = refused.value.response["Error"]
        assert error["Code"] == code, service
        if service != "s3":
            assert "Signature not yet current" in error["Message"]
    aws_clock.clock_offset = timedelta(minutes=4)  # within AWS's 5 minutes: accepted
    assert seed.client(session, endpoint, "sts").get_caller_identity()["Account"]
