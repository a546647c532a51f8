"""`serve --scenario ... --fault-rate`: faults start after the seeding, drawn from a seed."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from lambda_ir.emulator.quotas import FaultSpec, Limiter


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
    call = SimpleNamespace(service="lambda", name="ListFunctions")

    def draws(seed: int) -> list[int]:
        """HTTP status of 50 calls' injected answers (200: let through, 0: reset)."""
        limiter = Limiter(faults=FaultSpec(0.3, seed=seed))
        outcomes = []
        for _ in range(50):
            answer = limiter.admit(call, "123456789012")  # type: ignore[arg-type]
            outcomes.append(200 if answer is None else answer.status)
        return outcomes

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert {0, 429, 500} <= set(draws(7))
