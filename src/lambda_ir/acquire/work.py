"""A run's work queue: one small task per API call, bounded per region and quota class and
in total.

A task may submit follow-up tasks (versions → GetFunction per version → code download) but
never waits for one, so the pool cannot deadlock. Each (region, quota class) runs at most
its `pool_sizes` share of tasks at once, so threads waiting for a GetPolicy token never
take every thread from GetFunction calls, and a region whose bucket is saturated never
holds threads another region could use. All of them share one pool of at most
`max_threads` threads: `--all-regions` (17+ regions × 9 classes) does not start a pool per
region and class.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from lambda_ir.aws import QuotaClass, QuotaPolicy

Task = Callable[[], None]
OnFailure = Callable[[BaseException], None]
Key = tuple[str, QuotaClass]
Queued = tuple[Task, OnFailure, str]  # a task, where its failure goes, its name

DEFAULT_MAX_THREADS = 64


def pool_sizes(workers: int, policy: QuotaPolicy, latency_s: float = 0.4) -> dict[QuotaClass, int]:
    """Threads per quota class: enough to keep its bucket busy at `latency_s`, <= `workers`."""
    sizes: dict[QuotaClass, int] = {}
    for klass in QuotaClass:
        rate = policy.rate(klass)
        wanted = workers if rate is None else math.ceil(rate * latency_s) + 1
        sizes[klass] = max(1, min(workers, wanted))
    return sizes


class Work:
    """Submit tasks by quota class and region; `wait()` returns when none is left to run.

    At most `sizes[klass]` tasks of one region and class run at once, and at most
    `max_threads` in all; one worker per class (`--workers 1`) means one call at a time.
    """

    def __init__(
        self,
        sizes: dict[QuotaClass, int],
        on_progress: Callable[[str, int, int], None] | None = None,
        max_threads: int = DEFAULT_MAX_THREADS,
        stop: threading.Event | None = None,
    ) -> None:
        self._sizes = sizes
        self._stop = stop  # set by another thread: `wait()` raises KeyboardInterrupt, as Ctrl-C
        # The pool's size: threads start on demand, never more than this.
        self.threads = 1 if set(sizes.values()) == {1} else max(1, max_threads)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="lir-work")
        self._cond = threading.Condition()
        self._running: Counter[Key] = Counter()
        self._waiting: dict[Key, deque[Queued]] = {}
        self._pending = 0
        self._stopping = False
        self._done: Counter[str] = Counter()
        self._total: Counter[str] = Counter()
        self._on_progress = on_progress
        self.failures: list[BaseException] = []
        # By task name: submitted and started, so a stop can say what was never done.
        self._submitted: Counter[str] = Counter()
        self._started: Counter[str] = Counter()

    def submit(
        self, klass: QuotaClass, region: str, task: Task, on_failure: OnFailure, name: str = ""
    ) -> None:
        """Queue `task`; an exception it raises goes to `on_failure`, never up the stack.

        `name` (the step or call, e.g. `versions`, `GetFunction`) is what `not_done()` counts.
        """
        key = (region, klass)
        name = name or klass.value
        with self._cond:
            self._submitted[name] += 1
            if self._stopping:
                return
            self._pending += 1
            self._total[region] += 1
            if self._running[key] >= self._sizes[klass]:
                self._waiting.setdefault(key, deque()).append((task, on_failure, name))
                return
            self._running[key] += 1
        self._pool.submit(self._run, key, task, on_failure, name)

    def wait(self) -> None:
        """Block until every submitted task (and those they submitted) has finished.

        Raises KeyboardInterrupt once the `stop` event is set, as Ctrl-C does in the main thread.
        """
        with self._cond:
            while self._pending:
                if self._stop is not None and self._stop.is_set():
                    raise KeyboardInterrupt
                self._cond.wait(0.2)

    def stop(self) -> None:
        """Drop queued tasks and let running ones finish (each writes atomically)."""
        with self._cond:
            self._stopping = True
            self._pending -= sum(len(queue) for queue in self._waiting.values())
            self._waiting.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def not_done(self) -> dict[str, int]:
        """Tasks submitted but never started, by name (after `stop()`: what it dropped, and
        what was submitted after it). The follow-ups they would have submitted are not in it."""
        with self._cond:
            return dict(sorted((self._submitted - self._started).items()))

    def close(self) -> None:
        """Shut the pool down (after `wait()`)."""
        self._pool.shutdown(wait=True)

    def _run(self, key: Key, task: Task, on_failure: OnFailure, name: str) -> None:
        try:
            with self._cond:
                starting = not self._stopping
                if starting:
                    self._started[name] += 1
            if starting:
                task()
        except BaseException as exc:  # a task's failure is recorded, not fatal
            try:
                on_failure(exc)
            except BaseException as inner:
                self.failures.append(inner)
        finally:
            following = self._finish(key)
            if following is not None:
                # The slot passes straight to the next task of the same region and class.
                self._pool.submit(self._run, key, *following)

    def _finish(self, key: Key) -> Queued | None:
        region = key[0]
        with self._cond:
            self._pending -= 1
            self._done[region] += 1
            self._cond.notify_all()
            if self._on_progress is not None:
                # Under the lock, so a sink sees each region's counts in order.
                self._on_progress(region, self._done[region], self._total[region])
            queue = self._waiting.get(key)
            if queue and not self._stopping:
                return queue.popleft()
            self._running[key] -= 1
            return None
