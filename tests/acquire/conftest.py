"""One emulator per test process (moto's state is process-wide), reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator
from lambda_ir.evidence import Case
from tests.conftest import RegionPool, admin_session


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[Emulator]:
    with running_emulator(flush_interval=3600) as emulator:
        yield emulator


@pytest.fixture
def aws(emulator_session: Emulator) -> Emulator:
    """The running emulator, emptied."""
    emulator_session.reset()
    return emulator_session


@dataclass(frozen=True)
class Place:
    """Where a test seeds and collects: the emulator's endpoint and a region of its own."""

    endpoint: str
    region: str


@pytest.fixture
def place(emulator_session: Emulator, region_pool: RegionPool) -> Place:
    """A region no other test in this process used: an empty account there, no reset needed.

    Resetting the emulator reloads AWS's managed policies (seconds per test); a fresh region
    is as empty for everything regional. IAM is global, so seeds reuse roles by name.
    """
    return Place(emulator_session.endpoint_url, region_pool.take(emulator_session))


@pytest.fixture
def aws_clock(emulator_session: Emulator) -> Iterator[Emulator]:
    """The session's emulator; a test sets `clock_offset`, put back to 0 afterwards."""
    try:
        yield emulator_session
    finally:
        emulator_session.clock_offset = timedelta()


@pytest.fixture
def session(emulator_session: Emulator) -> boto3.Session:
    """Credentials the emulator treats as its administrator (any unknown key)."""
    return admin_session(emulator_session.model_loader)


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return Case.create(tmp_path / "case", {"test": True})
