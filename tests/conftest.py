"""What every test package shares: regions a test may take as an empty account of its own."""

from __future__ import annotations

import os
import signal
import weakref
from collections.abc import Iterator

import boto3
import botocore.session
import pytest
from botocore.loaders import Loader

from lambda_ir.emulator.scenarios.catalogue import REGIONS as SCENARIO_REGIONS
from lambda_ir.emulator.server import Emulator

# A suite started in the background of a shell without job control inherits SIGINT ignored,
# and so would every `lambda-ir` it starts: the tests that press Ctrl-C on one would see it
# finish instead. An exec'd child gets a handled signal back as default, an ignored one not.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def admin_session(loader: Loader | None = None, region: str = "us-east-1") -> boto3.Session:
    """Credentials the emulator treats as its administrator (any unknown key); with `loader`
    (the emulator's `model_loader`) each botocore service model is read once per process, not
    once per test (a fresh session spends about 35 ms of CPU per service it makes a client for).
    """
    core = botocore.session.Session()
    if loader is not None:
        core.register_component("data_loader", loader)
    return boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name=region,
        botocore_session=core,
    )


def aws_env(
    endpoint: str, region: str, access_key: str = "testing", secret_key: str = "testing"
) -> dict[str, str]:
    """The environment of a `lambda-ir` subprocess: this one's without any AWS_ setting, plus
    the emulator through boto3's own chain (endpoint, keys, region; no config files)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID=access_key,
        AWS_SECRET_ACCESS_KEY=secret_key,
        AWS_DEFAULT_REGION=region,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    return env


# The most regions one test module may take; a module starting with fewer left gets a reset.
REGIONS_PER_MODULE = 12


class RegionPool:
    """Regions no test in this process has touched, each handed out once.

    moto keeps one state per process, shared by every emulator the process runs, so a region is
    empty only while no test package has used it. The scenarios' regions are never handed out.
    When a module starts with the pool low, its first `take` resets every emulator a region
    went to (moto's state and each one's CloudTrail history), emptying every region again:
    between modules, so no module-scoped seed is wiped under its tests.
    """

    def __init__(self) -> None:
        # every emulator a region went to: a reset empties all their CloudTrail histories, or
        # a region handed out again would still show an earlier module's calls in another's
        self._emulators: weakref.WeakSet[Emulator] = weakref.WeakSet()
        self._regions = [
            r for r in boto3.Session().get_available_regions("lambda") if r not in SCENARIO_REGIONS
        ]
        self._left = list(self._regions)
        self._reset_due = False

    def module_starts(self) -> None:
        self._reset_due = len(self._left) < REGIONS_PER_MODULE

    def take(self, emulator: Emulator) -> str:
        self._emulators.add(emulator)
        if self._reset_due:
            for each in list(self._emulators):
                each.reset()
            self._left = list(self._regions)
            self._reset_due = False
        if not self._left:
            raise RuntimeError(f"a test module took more than {REGIONS_PER_MODULE} regions")
        return self._left.pop(0)


@pytest.fixture
def enforcing(emulator_session: Emulator) -> Iterator[Emulator]:
    """The package's emulator answering as IAM would for each caller's own policies."""
    emulator_session.enforce_iam = True
    try:
        yield emulator_session
    finally:
        emulator_session.enforce_iam = False


@pytest.fixture(scope="session")
def region_pool() -> RegionPool:
    return RegionPool()


@pytest.fixture(scope="module", autouse=True)
def _region_pool_between_modules(region_pool: RegionPool) -> Iterator[None]:
    region_pool.module_starts()
    yield
