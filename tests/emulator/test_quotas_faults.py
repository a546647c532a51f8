"""Quotas at AWS's documented rates, latency, and injected faults, measured over HTTP."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from lambda_ir.emulator.client import client_config, session_for
from lambda_ir.emulator.quotas import FaultSpec
from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator


@pytest.fixture(scope="module")
def limited(aws: Emulator) -> Iterator[Emulator]:
    # moto's backends are process-wide: this second gateway sees the same account.
    with running_emulator(quotas=True, flush_interval=3600) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def stopped(aws: Emulator) -> Iterator[Emulator]:
    """Quotas on a clock that never moves: each bucket admits its one-second burst, then
    throttles every call, however slowly the client calls (a client slowed by the suite's
    other work on 2 cores once made 40 calls so slowly that 15/s never throttled them)."""
    with running_emulator(flush_interval=3600) as emulator:
        emulator.set_limits(quotas=True, clock=lambda: 0.0)
        yield emulator


def _hammer(
    call: Callable[[], Any], seconds: float, threads: int, since: float | None = None
) -> tuple[int, int, float]:
    """Call as fast as possible; (admitted, throttled, seconds since `since` or the start)."""
    start = time.monotonic() if since is None else since
    deadline = time.monotonic() + seconds
    counts = {"ok": 0, "throttled": 0}
    lock = threading.Lock()

    def worker() -> None:
        while time.monotonic() < deadline:
            try:
                call()
                outcome = "ok"
            except ClientError as error:
                code = error.response["Error"]["Code"]
                throttled = code in ("TooManyRequestsException", "ThrottlingException")
                outcome = "throttled" if throttled else "ok"
            with lock:
                counts[outcome] += 1

    with ThreadPoolExecutor(threads) as pool:
        for _ in range(threads):
            pool.submit(worker)
    return counts["ok"], counts["throttled"], time.monotonic() - start


def _drain(call: Callable[[], Any], threads: int) -> float | None:
    """Spend the bucket's one-second burst: call until the first throttle; returns its time.

    The bucket is empty at that moment, so calls admitted from then on measure the refill
    rate alone, whatever pauses (other processes share the 2 cores) come after.
    """
    deadline = time.monotonic() + 5
    throttled_at: list[float] = []

    def worker() -> None:
        while not throttled_at and time.monotonic() < deadline:
            try:
                call()
            except ClientError as error:
                if error.response["Error"]["Code"] == "TooManyRequestsException":
                    throttled_at.append(time.monotonic())

    with ThreadPoolExecutor(threads) as pool:
        for _ in range(threads):
            pool.submit(worker)
    return throttled_at[0] if throttled_at else None


def _measured(
    call: Callable[[], Any],
    seconds: float,
    threads: int,
    within: Callable[[int, int, float], bool],
) -> tuple[int, int, float]:
    """(admitted, throttled, seconds) of the bucket drained then hammered, measured up to
    three times until `within` holds: the suite's other work on the 2 cores slows the client
    below the quota now and then (a throttle never reached, a window stretched by a late
    call), which says nothing of the emulator; a quota not enforced fails every attempt.
    A bucket never drained within 5 s measures (0, 0, 0.0)."""
    measured = (0, 0, 0.0)
    for _ in range(3):
        empty = _drain(call, threads)
        if empty is not None:
            measured = _hammer(call, seconds, threads, since=empty)
            if within(*measured):
                break
    return measured


def _policy_rate(admitted: int, throttled: int, elapsed: float) -> bool:
    return throttled > 0 and 12 <= admitted / elapsed <= 18


def test_get_policy_is_held_to_15_per_second(limited: Emulator, name: str) -> None:
    lam = session_for(limited, "testing", "testing").client("lambda", config=client_config())
    call = functools.partial(lam.get_policy, FunctionName=name)
    admitted, throttled, elapsed = _measured(call, 1.5, 2, _policy_rate)
    assert throttled > 0, "no throttle within 5 s: quotas are not enforced"
    assert 12 <= admitted / elapsed <= 18, (admitted, throttled, elapsed)


def _admitted_until_throttled(call: Callable[[], Any], limit: int = 400) -> int:
    """Calls admitted one after another before the first throttle (`limit` if none came);
    an error other than a throttle was admitted by the quota and answered by the service."""
    for admitted in range(limit):
        try:
            call()
        except ClientError as error:
            if error.response["Error"]["Code"] == "TooManyRequestsException":
                return admitted
    return limit


@pytest.mark.parametrize(
    ("operation", "rate"), [("get_function", 100), ("get_policy", 15), ("list_aliases", 15)]
)
def test_lambda_quotas_on_a_clock_the_test_moves(
    aws: Emulator, name: str, operation: str, rate: int
) -> None:
    """Each bucket holds one second's burst and refills at its rate, read on a clock that
    stands still between the test's steps: exact counts on any machine. (Under the real
    clock a client slower than 100 calls a second never sees GetFunction's quota: the
    suite's other work on 2 cores made that measurement fail now and then.)"""
    now = [1000.0]
    with running_emulator(flush_interval=3600) as emulator:
        emulator.set_limits(quotas=True, clock=lambda: now[0])
        lam = session_for(emulator, "testing", "testing").client("lambda", config=client_config())
        call = functools.partial(getattr(lam, operation), FunctionName=name)
        assert _admitted_until_throttled(call) == rate  # the burst: one second's worth
        assert _admitted_until_throttled(call) == 0  # the clock stood still: nothing refilled
        now[0] += 0.5
        assert _admitted_until_throttled(call) == rate // 2
        now[0] += 60
        assert _admitted_until_throttled(call) == rate  # never more than one second's worth


def test_lambda_throttle_is_shaped_like_aws(stopped: Emulator, name: str) -> None:
    lam = session_for(stopped, "testing", "testing").client("lambda", config=client_config())
    for _ in range(16):
        try:
            lam.list_aliases(FunctionName=name)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TooManyRequestsException":
                meta = error.response["ResponseMetadata"]
                assert meta["HTTPStatusCode"] == 429
                assert meta["HTTPHeaders"]["retry-after"] == "1"
                assert error.response["Reason"] == "CallerRateLimitExceeded"
                assert error.response["Type"] == "User"
                recorded = [r for r in stopped.records() if r["eventName"] == "ListAliases20150331"]
                assert recorded[-1]["errorCode"] == "TooManyRequestsException"
                return
    raise AssertionError("16 control-plane calls in a burst were never throttled at 15/s")


def test_lookup_events_throttles_at_2_per_second(limited: Emulator) -> None:
    trail = session_for(limited, "testing", "testing").client("cloudtrail", config=client_config())
    admitted, throttled, elapsed = _hammer(lambda: trail.lookup_events(MaxResults=1), 1.5, 1)
    assert throttled > 0
    assert admitted <= 2 + 2 * elapsed + 1
    try:
        for _ in range(5):
            trail.lookup_events(MaxResults=1)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ThrottlingException"
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_latency_is_added_to_every_call(aws: Emulator) -> None:
    with running_emulator(latency_ms=60, flush_interval=3600) as slow:
        lam = session_for(slow, "testing", "testing").client("lambda")
        lam.list_functions(MaxItems=1)
        start = time.monotonic()
        for _ in range(5):
            lam.list_functions(MaxItems=1)
        assert (time.monotonic() - start) / 5 >= 0.06


def test_fault_injection_rate_and_kinds(aws: Emulator, name: str) -> None:
    spec = FaultSpec(rate=0.3, kinds=("429", "500"), seed=7)
    with running_emulator(faults=spec, flush_interval=3600) as faulty:
        lam = session_for(faulty, "testing", "testing").client("lambda", config=client_config())
        codes: dict[str, int] = {}
        for _ in range(200):
            try:
                lam.get_account_settings()
                code = "ok"
            except ClientError as error:
                code = error.response["Error"]["Code"]
            codes[code] = codes.get(code, 0) + 1
    assert set(codes) == {"ok", "TooManyRequestsException", "ServiceException"}
    failed = 200 - codes["ok"]
    assert 40 <= failed <= 80, codes


def test_fault_injection_resets_connections(aws: Emulator) -> None:
    with running_emulator(faults=FaultSpec(rate=1.0, kinds=("reset",)), flush_interval=3600) as bad:
        lam = session_for(bad, "testing", "testing").client("lambda", config=client_config())
        with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
            lam.list_functions()


def test_logs_throttle_is_throttling_exception_400(stopped: Emulator) -> None:
    logs = session_for(stopped, "testing", "testing").client("logs", config=client_config())
    for _ in range(6):  # FilterLogEvents: 5 a second
        try:
            logs.filter_log_events(logGroupName="/aws/lambda/none")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ThrottlingException":
                assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
                return
    raise AssertionError("6 FilterLogEvents calls in a burst were never throttled at 5/s")
