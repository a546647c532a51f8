"""The estate's invocation logs: each function invoked through its `live` alias since the release.

The content is ours. Lambda (the service) writes the streams, so the calls are made as the
`lambda-service` actor, in time order across all functions.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from lambda_ir.emulator.scenarios.actors import ActorClients, ScenarioClock, Target, lambda_service
from lambda_ir.emulator.scenarios.catalogue import FunctionSpec
from lambda_ir.emulator.scenarios.logs import LogTarget, Sandbox, write_invocation_logs
from lambda_ir.emulator.scenarios.traffic import plan_sandboxes

# After the last release (~10 days ago) and within CloudWatch's 14-day acceptance window.
LOG_WINDOW = (timedelta(days=9, hours=12), timedelta(minutes=30))
SANDBOXES = 2
INVOCATIONS = 4


def function_log_targets(spec: FunctionSpec, versions: int) -> tuple[LogTarget, ...]:
    """Which versions run behind `live`: the primary and, for a canary, the new version too."""
    canary = versions > 1 and spec.canary
    running = (str(versions - 1), str(versions)) if canary else (str(versions),)
    runtime = "provided.al2023" if spec.is_image else spec.app.runtime
    return tuple(
        LogTarget(
            spec.name,
            runtime,
            spec.app.memory_mb,
            spec.app.timeout_s,
            spec.region,
            version,
            spec.log_group,
            log_format=spec.app.log_format,
        )
        for version in running
    )


def write_estate_logs(
    target: Target, specs: Sequence[FunctionSpec], versions: int, rng: random.Random, now: datetime
) -> tuple[tuple[str, str], ...]:
    """Plan each function's sandboxes, then write all streams oldest first; the log groups."""
    window = (now - LOG_WINDOW[0], now - LOG_WINDOW[1])
    planned: list[tuple[datetime, int, LogTarget, Sandbox]] = []
    for spec in specs:
        for log_target in function_log_targets(spec, versions):
            sandboxes = plan_sandboxes(
                rng,
                window,
                spec.app.profile,
                sandboxes=SANDBOXES,
                invocations=INVOCATIONS,
                memory_cap=spec.app.memory_mb,
                timeout_s=spec.app.timeout_s,
            )
            planned.extend((s.started, len(planned), log_target, s) for s in sandboxes)
    planned.sort(key=lambda item: (item[0], item[1]))
    clock = ScenarioClock(window[0])
    service = ActorClients(target, lambda_service(target), clock)
    for started, _, log_target, sandbox in planned:
        clock.jump(max(started, clock.now()))
        logs = service.client("logs", log_target.region)
        write_invocation_logs(logs, log_target, [sandbox], create_group=False)
    return tuple(sorted({(s.region, s.log_group) for s in specs}))
