"""A run's work queue: one small task per API call, a thread pool per region and quota class.

A task may submit follow-up tasks (versions → GetFunction per version → code download) but
never waits for one, so the pools cannot deadlock. Separate pools per quota class keep every
quota bucket fed: threads waiting for a GetPolicy token never starve GetFunction calls, and
a region whose bucket is saturated never holds threads another region could use.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lambda_ir.aws import QuotaClass, QuotaPolicy

Task = Callable[[], None]
OnFailure = Callable[[BaseException], None]


def pool_sizes(workers: int, policy: QuotaPolicy, latency_s: float = 0.4) -> dict[QuotaClass, int]:
    """Threads per quota class: enough to keep its bucket busy at `latency_s`, <= `workers`."""
    sizes: dict[QuotaClass, int] = {}
    for klass in QuotaClass:
        rate = policy.rate(klass)
        wanted = workers if rate is None else math.ceil(rate * latency_s) + 1
        sizes[klass] = max(1, min(workers, wanted))
    return sizes


class Work:
    """Submit tasks by quota class and region; `wait()` returns when none is left to run."""

    def __init__(
        self,
        sizes: dict[QuotaClass, int],
        on_progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self._sizes = sizes
        # One worker means one call at a time, whatever the class or region (`--workers 1`).
        self._single = (
            ThreadPoolExecutor(1, thread_name_prefix="lir-single")
            if set(sizes.values()) == {1}
            else None
        )
        self._pools: dict[tuple[str, QuotaClass], ThreadPoolExecutor] = {}
        self._cond = threading.Condition()
        self._pending = 0
        self._stopping = False
        self._done: Counter[str] = Counter()
        self._total: Counter[str] = Counter()
        self._on_progress = on_progress
        self.failures: list[BaseException] = []

    def submit(self, klass: QuotaClass, region: str, task: Task, on_failure: OnFailure) -> None:
        """Queue `task`; an exception it raises goes to `on_failure`, never up the stack."""
        with self._cond:
            if self._stopping:
                return
            self._pending += 1
            self._total[region] += 1
            pool = self._pool(region, klass)
        pool.submit(self._run, region, task, on_failure)

    def _pool(self, region: str, klass: QuotaClass) -> ThreadPoolExecutor:
        """Pools are per region and class: a saturated bucket in one region (or class)
        never holds threads another region's bucket could use."""
        if self._single is not None:
            return self._single
        key = (region, klass)
        if key not in self._pools:
            name = f"lir-{region}-{klass.name.lower()}"
            self._pools[key] = ThreadPoolExecutor(self._sizes[klass], thread_name_prefix=name)
        return self._pools[key]

    def _all_pools(self) -> list[ThreadPoolExecutor]:
        with self._cond:
            pools = list(self._pools.values())
        return pools + ([self._single] if self._single is not None else [])

    def wait(self) -> None:
        """Block until every submitted task (and those they submitted) has finished."""
        with self._cond:
            while self._pending:
                self._cond.wait(0.2)

    def stop(self) -> None:
        """Drop queued tasks and let running ones finish (each writes atomically)."""
        with self._cond:
            self._stopping = True
        for pool in self._all_pools():
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Shut the pools down (after `wait()`)."""
        for pool in self._all_pools():
            pool.shutdown(wait=True)

    def _run(self, region: str, task: Task, on_failure: OnFailure) -> Any:
        try:
            if not self._stopping:
                task()
        except BaseException as exc:  # a task's failure is recorded, not fatal
            try:
                on_failure(exc)
            except BaseException as inner:
                self.failures.append(inner)
        finally:
            with self._cond:
                self._pending -= 1
                self._done[region] += 1
                self._cond.notify_all()
                if self._on_progress is not None:
                    # Under the lock, so a sink sees each region's counts in order.
                    self._on_progress(region, self._done[region], self._total[region])
