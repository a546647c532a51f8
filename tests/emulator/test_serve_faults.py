"""`serve --scenario ... --fault-rate`: faults start after the seeding, drawn from a seed."""

from __future__ import annotations

import subprocess
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from lambda_ir.emulator.quotas import FaultSpec
from lambda_ir.emulator.testing import running_emulator


def _serve(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "lambda_ir", "emulator", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    environment: dict[str, str] = {}
    assert process.stdout is not None
    while len(environment) < 4:
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=30)
            raise AssertionError(f"serve ended early: {process.stderr.read()}")  # type: ignore[union-attr]
        key, _, value = line.strip().removeprefix("export ").partition("=")
        environment[key] = value
    return process, environment


def _outcomes(environment: dict[str, str], calls: int) -> list[str]:
    """What `calls` ListFunctions calls got, with retries off: ok or the error code."""
    lam = boto3.Session(
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    ).client(
        "lambda",
        endpoint_url=environment["AWS_ENDPOINT_URL"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=5),
    )
    seen = []
    for _ in range(calls):
        try:
            lam.list_functions()
            seen.append("ok")
        except ClientError as exc:
            seen.append(str(exc.response["Error"]["Code"]))
        except Exception as exc:  # an injected connection reset
            seen.append(type(exc).__name__)
    return seen


def test_a_scenario_seeds_under_fault_rate_then_faults_are_served() -> None:
    process, environment = _serve(
        "--scenario", "stratus", "--fault-rate", "0.3", "--fault-seed", "7"
    )
    try:
        outcomes = _outcomes(environment, 30)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert 0 < outcomes.count("ok") < 30


def test_the_same_fault_seed_gives_the_same_faults() -> None:
    runs = []
    with running_emulator(flush_interval=3600) as emulator:
        environment = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": emulator.endpoint_url,
        }
        _outcomes(environment, 1)  # moto loads Lambda on its first call
        for _ in range(2):
            emulator.set_limits(faults=FaultSpec(0.3, seed=7))
            runs.append(_outcomes(environment, 20))
    assert runs[0] == runs[1]
    assert 0 < runs[0].count("ok") < 20
