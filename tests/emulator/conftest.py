"""One emulator for the whole emulator test session; tests use unique names instead of resets."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from lambda_ir.emulator.client import client_config, session_for
from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator


@pytest.fixture(scope="session")
def aws() -> Iterator[Emulator]:
    with running_emulator(flush_interval=3600) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def emulator_session(aws: Emulator) -> Emulator:
    """The same emulator under the name the shared fixtures use (`enforcing`, tests/conftest)."""
    return aws


@pytest.fixture
def admin(aws: Emulator) -> Any:
    """A boto3 session with the default (unknown) keys: the emulator admin (service models
    read once per process: the emulator's loader)."""
    return session_for(aws, "testing", "testing", loader=aws.model_loader)


@pytest.fixture
def name() -> str:
    """A unique resource name per test, so tests share one emulator safely."""
    return f"t{uuid.uuid4().hex[:10]}"


def zip_of(text: str, filename: str = "app.py") -> bytes:
    """A small, valid zip package holding one file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(filename, text)
    return buffer.getvalue()


def make_role(session: Any, role_name: str) -> str:
    """An execution role that moto accepts for create_function."""
    iam = session.client("iam", config=client_config())
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    return str(iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"])


def make_function(
    session: Any, function_name: str, text: str = "v0", **extra: Any
) -> dict[str, Any]:
    """Create a Python function with a fresh role; returns the CreateFunction response."""
    role = make_role(session, f"{function_name}-role")
    lam = session.client("lambda", config=client_config())
    return dict(
        lam.create_function(
            FunctionName=function_name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": zip_of(text)},
            **extra,
        )
    )
