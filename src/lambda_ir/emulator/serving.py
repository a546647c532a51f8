"""`lambda-ir emulator serve` as a library: start, seed scenarios, tell clients how to connect.

The keys printed are the emulator's default (`testing`/`testing`), which act as the IAM user
`emulator-admin`; they are not secrets and work nowhere but on this loopback endpoint.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lambda_ir.emulator.server import Emulator

DEFAULT_KEY = "testing"
DEFAULT_REGION = "us-east-1"


class ScenarioError(ValueError):
    """Scenarios cannot be applied: unknown names or no scenario package installed."""


@dataclass(frozen=True)
class Seeded:
    """One applied scenario, summarised for the person who asked for it."""

    name: str
    functions: int
    compromised: tuple[str, ...]
    trail_bucket: str | None


def client_environment(emulator: Emulator) -> dict[str, str]:
    """The environment variables that point boto3 and the AWS CLI at the emulator."""
    return {
        "AWS_ENDPOINT_URL": emulator.endpoint_url,
        "AWS_ACCESS_KEY_ID": DEFAULT_KEY,
        "AWS_SECRET_ACCESS_KEY": DEFAULT_KEY,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
    }


def apply_scenarios(emulator: Emulator, names: Sequence[str]) -> tuple[Seeded, ...]:
    """Seed the named scenarios in order, through `lambda_ir.emulator.scenarios.seed`."""
    if not names:
        return ()
    try:
        package = importlib.import_module("lambda_ir.emulator.scenarios")
    except ImportError as error:
        raise ScenarioError(f"scenarios are not available ({error})") from error
    known = sorted(getattr(package, "SCENARIOS", {}))
    unknown = [name for name in names if name not in known]
    if unknown or not hasattr(package, "seed"):
        listing = ", ".join(known) or "none"
        raise ScenarioError(f"unknown scenario(s): {', '.join(unknown)}; known: {listing}")
    results = package.seed(emulator, list(names))
    return tuple(_summary(result) for result in results)


def wait_until_stopped(stop: threading.Event, poll_seconds: float = 0.5) -> None:
    """Block (Ctrl-C friendly) until `stop` is set."""
    while not stop.wait(poll_seconds):
        pass


def _summary(result: Any) -> Seeded:
    return Seeded(
        name=str(result.name),
        functions=len(result.functions),
        compromised=tuple(f"{ref.region}/{ref.name}" for ref in result.compromised),
        trail_bucket=result.trail_bucket,
    )
