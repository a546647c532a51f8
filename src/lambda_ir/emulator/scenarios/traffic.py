"""Plausible invocation traffic for scenario functions, turned into sandboxes for `logs.py`.

Reproducible: everything is drawn from the `random.Random` the scenario passes in.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from lambda_ir.emulator.scenarios.logs import Invocation, Outcome, Sandbox, request_id


@dataclass(frozen=True)
class TrafficProfile:
    """How a function behaves when invoked: ranges to draw from and what it logs."""

    duration_ms: tuple[float, float]
    memory_mb: tuple[int, int]
    init_ms: tuple[float, float]
    lines: tuple[str, ...] = ()
    error: str | None = None
    error_rate: float = 0.0
    timeout_rate: float = 0.0


def _invocation(
    rng: random.Random, start: datetime, profile: TrafficProfile, limits: tuple[int, int]
) -> Invocation:
    memory_cap, timeout_s = limits
    failed = profile.error is not None and rng.random() < profile.error_rate
    timed_out = not failed and rng.random() < profile.timeout_rate
    lines = tuple(line.replace("{n}", str(rng.randint(1, 25))) for line in profile.lines)
    duration = timeout_s * 1000.0 if timed_out else round(rng.uniform(*profile.duration_ms), 2)
    outcome = Outcome.ERROR if failed else Outcome.TIMEOUT if timed_out else Outcome.OK
    return Invocation(
        request_id=request_id(rng),
        start=start,
        duration_ms=duration,
        max_memory_mb=min(memory_cap, rng.randint(*profile.memory_mb)),
        outcome=outcome,
        lines=lines,
        error=profile.error if failed else None,
    )


def plan_sandboxes(
    rng: random.Random,
    window: tuple[datetime, datetime],
    profile: TrafficProfile,
    *,
    sandboxes: int,
    invocations: int,
    memory_cap: int,
    timeout_s: int = 900,
) -> tuple[Sandbox, ...]:
    """`sandboxes` cold starts spread over `window`, each serving `invocations` requests.

    Memory used never exceeds `memory_cap`; a timed-out invocation lasts `timeout_s`.
    """
    start, end = window
    span = (end - start).total_seconds()
    planned = []
    for index in range(sandboxes):
        slot = start + timedelta(seconds=span * (index + rng.uniform(0.05, 0.6)) / sandboxes)
        init_ms = round(rng.uniform(*profile.init_ms), 2)
        at = slot + timedelta(milliseconds=init_ms + rng.uniform(1, 5))
        served = []
        for _ in range(invocations):
            invocation = _invocation(rng, at, profile, (memory_cap, timeout_s))
            served.append(invocation)
            at += timedelta(milliseconds=invocation.duration_ms) + timedelta(
                seconds=rng.uniform(2, 90)
            )
        planned.append(
            Sandbox(
                started=slot,
                init_ms=init_ms,
                stream_id=f"{rng.getrandbits(128):032x}",
                invocations=tuple(served),
            )
        )
    return tuple(planned)
