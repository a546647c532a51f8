"""What the Denonia-style miner's invocations look like in CloudWatch Logs.

The content is ours, modelled on XMRig's console output and Cado's description of Denonia
(DNS-over-HTTPS lookup of the pool domain, XMRig run from memory). The attacker keeps the
function busy through its public URL: back-to-back invocations that run until (or nearly
until) the 900-second timeout, at 3,008 MB with most of the memory in use.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from lambda_ir.emulator.scenarios.logs import Invocation, Outcome, Sandbox, request_id
from lambda_ir.emulator.scenarios.standins import DENONIA_DOMAIN, DENONIA_POOL

MINER_INIT_LINES = (
    f"doh: resolving {DENONIA_DOMAIN} via https://dns.google.com/resolve?name={DENONIA_DOMAIN}&type=A",
    f"doh: {DENONIA_DOMAIN} -> 116.203.4.0",
    " * ABOUT        XMRig/6.16.4 gcc/9.3.0",
    " * LIBS         libuv/1.42.0 OpenSSL/1.1.1l hwloc/2.5.0",
    " * HUGE PAGES   supported",
    " * CPU          Intel(R) Xeon(R) Processor @ 2.90GHz (1) 64-bit AES",
    " * MEMORY       2.1/2.9 GB (72%)",
    " * DONATE       0%",
    f" * POOL #1      {DENONIA_POOL} algo auto",
    " * COMMANDS     hashrate, pause, resume, results, connection",
)


def _miner_lines(rng: random.Random, height: int) -> tuple[str, ...]:
    rate = rng.uniform(560, 640)
    return (
        f"{{time}} net      use pool {DENONIA_POOL}  116.203.4.0",
        f"{{time}} net      new job from {DENONIA_POOL} diff 120001 algo rx/0 height {height}",
        "{time} randomx  init dataset algo rx/0 (2 threads) seed 9a6c4f0e...",
        f"{{time}} randomx  dataset ready ({rng.randint(2400, 3100)} ms)",
        "{time} cpu      use profile  rx  (2 threads) scratchpad 2048 KB",
        f"{{time}} cpu      accepted (1/0) diff 120001 ({rng.randint(40, 140)} ms)",
        f"{{time}} miner    speed 10s/60s/15m {rate:.1f} {rate - 3:.1f} n/a H/s "
        f"max {rate + 20:.1f} H/s",
    )


def plan_miner_sandboxes(
    rng: random.Random, start: datetime, end: datetime, *, timeout_s: int, memory_mb: int
) -> tuple[Sandbox, ...]:
    """Sandboxes from `start` to `end`, each recycled after about six hours of mining."""
    sandboxes = []
    at = start
    height = 3_012_345
    while at < end - timedelta(seconds=timeout_s):
        init_ms = round(rng.uniform(180, 420), 2)
        began = at
        recycle = at + timedelta(hours=rng.uniform(5, 7))
        at += timedelta(milliseconds=init_ms + rng.uniform(2, 8))
        served = []
        while at < min(recycle, end - timedelta(seconds=timeout_s)):
            finished = rng.random() < 0.2
            duration = rng.uniform(840_000, 899_000) if finished else timeout_s * 1000.0
            served.append(
                Invocation(
                    request_id=request_id(rng),
                    start=at,
                    duration_ms=round(duration, 2),
                    max_memory_mb=min(memory_mb, rng.randint(2180, 2460)),
                    outcome=Outcome.OK if finished else Outcome.TIMEOUT,
                    lines=_miner_lines(rng, height),
                )
            )
            height += rng.randint(6, 9)
            at += timedelta(milliseconds=duration + rng.uniform(900, 4000))
        if served:
            sandboxes.append(
                Sandbox(
                    began, init_ms, f"{rng.getrandbits(128):032x}", tuple(served), MINER_INIT_LINES
                )
            )
        at += timedelta(minutes=rng.uniform(1, 10))
    return tuple(sandboxes)
