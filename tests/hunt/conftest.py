"""The hunt tests' emulator (one per module) and its admin session."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator
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
