"""The hunt tests' emulator (one per module), its admin session, and `lambda-ir hunt` run
against it as a person would (a subprocess)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest

from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator
from tests.conftest import aws_env
from tests.hunt.trail_files import REGION


@pytest.fixture(scope="module")
def aws() -> Iterator[Emulator]:
    with running_emulator(flush_interval=3600) as emulator:
        # moto's state is one per process: a scenario an earlier module seeded (stratus's
        # global IAM users) would collide with this module's seeds
        emulator.reset()
        yield emulator


@pytest.fixture(scope="module")
def admin(aws: Emulator) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )


def hunt_cli(aws: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    """`lambda-ir --json hunt ARGS` against the emulator, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "lambda_ir", "--json", "hunt", *args],
        env=aws_env(aws.endpoint_url, REGION),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
