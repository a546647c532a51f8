"""One emulator per test process; each test seeds its own function in a region of its own."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from lambda_ir.aws import ClientFactory
from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator
from lambda_ir.evidence import Case
from lambda_ir.respond import Request, choose
from tests.acquire.seed import TRUST, package
from tests.conftest import RegionPool, admin_session


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[Emulator]:
    with running_emulator(flush_interval=3600) as emulator:
        yield emulator


@dataclass(frozen=True)
class Estate:
    """A seeded function in a region no other test uses, and how to reach it."""

    endpoint: str
    region: str
    function: str
    role: str
    session: boto3.Session

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint, region_name=self.region)

    def clients(self) -> ClientFactory:
        return ClientFactory(self.session, endpoint_url=self.endpoint)

    def request(self, *actions: str, apply: bool = False, **options: Any) -> Request:
        chosen = choose(actions, allow_config_change=options.pop("allow_config_change", False))
        return Request(
            self.function,
            self.region,
            chosen,
            datetime.now(UTC),
            apply,
            endpoint_url=self.endpoint,
            quotas=False,
            **options,
        )


@pytest.fixture
def estate(emulator_session: Emulator, region_pool: RegionPool) -> Estate:
    """A function with two published versions, an alias and its own execution role."""
    region = region_pool.take(emulator_session)
    session = admin_session(emulator_session.model_loader)
    endpoint = emulator_session.endpoint_url
    name = f"fn-{uuid.uuid4().hex[:8]}"
    iam = session.client("iam", endpoint_url=endpoint)
    role = f"{name}-role"
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam = session.client("lambda", endpoint_url=endpoint, region_name=region)
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=arn,
        Handler="handler.handler",
        Code={"ZipFile": package("def handler(event, context):\n    return 1\n")},
        Environment={"Variables": {"STAGE": "prod", "DB_PASSWORD": "hunter2-very-secret"}},
    )
    lam.publish_version(FunctionName=name)
    lam.update_function_code(
        FunctionName=name, ZipFile=package("def handler(e, c):\n    return 2\n")
    )
    lam.publish_version(FunctionName=name)
    lam.create_alias(
        FunctionName=name,
        Name="live",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.25}},
    )
    return Estate(endpoint, region, name, role, session)


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return Case.create(tmp_path / "case", {"test": True})


def cli_env(endpoint: str, region: str = "us-east-1") -> dict[str, str | None]:
    """For CliRunner: the emulator through boto3's own chain, any other AWS_ setting unset."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=region,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    return env


@contextmanager
def ctrl_c_after(session: boto3.Session, made: str, before: str) -> Iterator[None]:
    """The responder presses Ctrl-C as a `before` call (a botocore event name) is about to go
    out, once a `made` call has answered: raised in the client's own hooks, AWS unchanged."""
    changed: list[bool] = []

    def answered(**_: Any) -> None:
        changed.append(True)

    def ctrl_c(**_: Any) -> None:
        if changed:
            raise KeyboardInterrupt

    hooks = ((made, answered), (before, ctrl_c))
    for event, hook in hooks:
        session.events.register(event, hook)
    try:
        yield
    finally:
        for event, hook in hooks:
            session.events.unregister(event, hook)
