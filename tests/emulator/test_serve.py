"""`lambda-ir emulator serve` as a real subprocess, answered over HTTP by boto3."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest

from lambda_ir.emulator.client import client_config


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lambda_ir",
            "emulator",
            "serve",
            "--port",
            "0",
            "--latency-ms",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    environment: dict[str, str] = {}
    assert process.stdout is not None
    while len(environment) < 4:
        line = process.stdout.readline()
        assert line, f"serve ended early: {process.stderr.read() if process.stderr else ''}"
        key, _, value = line.strip().removeprefix("export ").partition("=")
        environment[key] = value
    try:
        yield process, environment
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_answers_boto3_and_stops_on_ctrl_c(
    served: tuple[subprocess.Popen[str], dict[str, str]],
) -> None:
    process, environment = served
    endpoint = environment["AWS_ENDPOINT_URL"]
    assert endpoint.startswith("http://127.0.0.1:")
    session = boto3.Session(
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        region_name=environment["AWS_DEFAULT_REGION"],
    )
    iam = session.client("iam", endpoint_url=endpoint, config=client_config())
    iam.create_user(UserName="someone")
    trail = session.client("cloudtrail", endpoint_url=endpoint, config=client_config())
    events = trail.lookup_events()["Events"]
    assert [e["EventName"] for e in events] == ["CreateUser"]
    assert events[0]["Username"] == "emulator-admin"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert process.stderr is not None
    assert "stopped" in process.stderr.read()


def test_serve_rejects_unknown_scenario_with_the_known_names() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambda_ir",
            "emulator",
            "serve",
            "--port",
            "0",
            "--scenario",
            "nope",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "unknown scenario(s): nope" in done.stderr
    assert "estate" in done.stderr


def test_serve_reports_a_taken_port_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "lambda_ir", "emulator", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"lambda-ir: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
