"""One emulator for the runtime tests (moto's state is process-wide) and a bucket per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest

from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[Emulator]:
    with running_emulator(flush_interval=3600) as emulator:
        yield emulator


@dataclass(frozen=True)
class Bucket:
    """A fresh responder bucket in the emulator and the environment a function would have."""

    name: str
    endpoint: str

    @property
    def url(self) -> str:
        return f"s3://{self.name}/snapshots"

    def env(self) -> dict[str, str]:
        """What the collector reads inside a function (role credentials, region, endpoint)."""
        return {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "session-token-never-in-snapshots",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_LAMBDA_FUNCTION_NAME": "orders",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "LAMBDA_IR_BUCKET": self.url,
        }

    def client(self) -> object:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture
def bucket(emulator_session: Emulator) -> Bucket:
    name = f"ir-snapshots-{uuid.uuid4().hex[:12]}"
    found = Bucket(name, emulator_session.endpoint_url)
    found.client().create_bucket(Bucket=name)  # type: ignore[attr-defined]
    return found
