"""Test support for every area: a running emulator as a context manager.

    from lambda_ir.emulator.testing import running_emulator

    @pytest.fixture(scope="session")
    def aws():
        with running_emulator() as emulator:
            yield emulator

Keyword arguments go to `Emulator` (`latency_ms`, `quotas`, `faults`, `port`, `enforce_iam`). Call
`emulator.reset()` between tests that need an empty account.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lambda_ir.emulator.server import Emulator


@contextmanager
def running_emulator(**options: Any) -> Iterator[Emulator]:
    """Start an Emulator on a free loopback port, yield it, stop it (trail files flushed)."""
    emulator = Emulator(**options)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
