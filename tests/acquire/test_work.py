"""The work queue's bounds: per region and quota class, and one cap on threads in all."""

from __future__ import annotations

import threading
import time
from collections import Counter

import boto3

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.acquire.work import Work
from lambda_ir.aws import QuotaClass
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case

CLASSES = (QuotaClass.CONTROL_PLANE, QuotaClass.GET_FUNCTION, QuotaClass.GET_POLICY)
SIZES = dict.fromkeys(QuotaClass, 4)


class Gauge:
    """Counts tasks running at once, in all and per (region, class), and the peaks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: Counter[object] = Counter()
        self.peak: Counter[object] = Counter()
        self.ran = 0
        self.threads: set[str] = set()

    def task(self, key: tuple[str, QuotaClass]) -> None:
        with self.lock:
            for which in ("all", key):
                self.now[which] += 1
                self.peak[which] = max(self.peak[which], self.now[which])
            self.threads.add(threading.current_thread().name)
        time.sleep(0.005)
        with self.lock:
            self.now["all"] -= 1
            self.now[key] -= 1
            self.ran += 1


def _fail(exc: BaseException) -> None:
    raise AssertionError(exc)


def test_all_regions_share_one_capped_pool() -> None:
    work, gauge = Work(SIZES, max_threads=8), Gauge()
    regions = [f"region-{n}" for n in range(20)]  # 20 regions x 3 classes x 4 = 240 wanted
    try:
        for _ in range(6):
            for region in regions:
                for klass in CLASSES:
                    key = (region, klass)
                    work.submit(klass, region, lambda key=key: gauge.task(key), _fail)
        work.wait()
    finally:
        work.close()
    assert gauge.ran == 6 * len(regions) * len(CLASSES)
    assert gauge.peak["all"] == 8  # the cap is reached and never passed
    assert max(v for k, v in gauge.peak.items() if k != "all") <= SIZES[QuotaClass.GET_POLICY]
    assert len(gauge.threads) <= 8 and work.failures == []


def test_follow_ups_never_deadlock_a_small_pool() -> None:
    work, done = Work(SIZES, max_threads=2), Counter[str]()
    lock = threading.Lock()

    def leaf(region: str) -> None:
        with lock:
            done[region] += 1

    def parent(region: str) -> None:
        for _ in range(5):  # like versions -> GetFunction per version, queued from a task
            work.submit(QuotaClass.GET_FUNCTION, region, lambda: leaf(region), _fail)

    try:
        for region in ("a", "b", "c"):
            for _ in range(3):
                work.submit(QuotaClass.CONTROL_PLANE, region, lambda r=region: parent(r), _fail)
        work.wait()
    finally:
        work.close()
    assert done == {"a": 15, "b": 15, "c": 15}


def test_one_worker_means_one_call_at_a_time() -> None:
    work, gauge = Work(dict.fromkeys(QuotaClass, 1), max_threads=64), Gauge()
    try:
        for region in ("a", "b"):
            for klass in CLASSES:
                key = (region, klass)
                work.submit(klass, region, lambda key=key: gauge.task(key), _fail)
        work.wait()
    finally:
        work.close()
    assert work.threads == 1 and gauge.peak["all"] == 1 and gauge.ran == 6


def test_stop_counts_the_tasks_it_drops_by_name() -> None:
    """Ctrl-C drops queued calls: `not_done()` says how many of each were never made, and
    those submitted after the stop; the one running finishes."""
    work, gate, ran = Work(dict.fromkeys(QuotaClass, 1), max_threads=1), threading.Event(), []

    def first() -> None:
        gate.wait(5)
        ran.append("versions")

    try:
        work.submit(QuotaClass.CONTROL_PLANE, "a", first, _fail, "versions")
        for _ in range(3):
            work.submit(QuotaClass.CONTROL_PLANE, "a", lambda: ran.append("x"), _fail, "aliases")
        work.submit(QuotaClass.GET_FUNCTION, "a", lambda: ran.append("x"), _fail, "GetFunction")
        stopper = threading.Thread(target=work.stop)
        stopper.start()
        time.sleep(0.2)  # the stop is under way while `first` still runs
        gate.set()
        stopper.join(5)
        work.submit(QuotaClass.GET_POLICY, "a", lambda: ran.append("x"), _fail, "GetPolicy")
    finally:
        work.close()
    assert ran == ["versions"]
    assert work.not_done() == {"GetFunction": 1, "GetPolicy": 1, "aliases": 3}


class ThreadWatch:
    """A progress sink that notes, from the worker threads, how many work threads exist."""

    def __init__(self) -> None:
        self.peak = 0
        self.regions: set[str] = set()

    def update(self, region: str, done: int, total: int) -> None:
        alive = [t for t in threading.enumerate() if t.name.startswith("lir-work")]
        self.peak = max(self.peak, len(alive))
        self.regions.add(region)


def test_a_run_over_many_regions_stays_under_the_cap(
    emulator_session: Emulator, session: boto3.Session, case: Case
) -> None:
    # Regions other tests may have seeded: only threads and per-region calls are checked.
    regions = tuple(boto3.Session().get_available_regions("lambda"))[-12:]
    watch = ThreadWatch()
    endpoint = emulator_session.endpoint_url
    options = CollectOptions(workers=16, max_threads=6, quotas=False, endpoint_url=endpoint)
    summary = collect(case, session, Scope(regions=regions), options, watch)
    assert summary.ok and watch.regions == set(regions)
    assert 1 < watch.peak <= 6  # 12 regions x 9 classes x 16 workers would allow 1,728
    settings = {e.region for e in case.entries() if e.api == "lambda:GetAccountSettings"}
    assert settings == set(regions)
