"""One emulator per test process (moto's state is process-wide), reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator
from lambda_ir.evidence import Case


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[Emulator]:
    with running_emulator(flush_interval=3600) as emulator:
        yield emulator


@pytest.fixture
def aws(emulator_session: Emulator) -> Emulator:
    """The running emulator, emptied."""
    emulator_session.reset()
    return emulator_session


@pytest.fixture
def session() -> boto3.Session:
    """Credentials the emulator treats as its administrator (any unknown key)."""
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return Case.create(tmp_path / "case", {"test": True})
