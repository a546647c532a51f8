"""Token buckets pace at the configured rate, in order, and per region and class."""

from __future__ import annotations

import threading
import time

import pytest

from lambda_ir.aws import QuotaBook, QuotaClass, QuotaPolicy, TokenBucket, quota_class


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_bucket_spaces_tokens_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10.0, clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(21):
        bucket.take()
    # 21 tokens at 10/s: the first is free, the next 20 take 2 s.
    assert clock.now - start == pytest.approx(2.0)


def test_bucket_burst_lets_the_first_tokens_through() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5.0, burst=5, clock=clock, sleep=clock.sleep)
    waits = [bucket.take() for _ in range(6)]
    assert waits[:5] == pytest.approx([0.0] * 5, abs=1e-9)
    assert waits[5] == pytest.approx(0.2)


def test_bucket_is_shared_fairly_between_threads() -> None:
    bucket = TokenBucket(200.0)
    times: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            bucket.take()
            with lock:
                times.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 80 tokens at 200/s cannot be handed out in less than 79/200 s.
    assert max(times) - start >= 79 / 200 - 0.01
    assert len(times) == 80


def test_quota_classes_follow_lambda_quotas() -> None:
    assert quota_class("lambda:GetFunction") is QuotaClass.GET_FUNCTION
    assert quota_class("lambda:GetPolicy") is QuotaClass.GET_POLICY
    assert quota_class("lambda:GetLayerVersionPolicy") is QuotaClass.CONTROL_PLANE
    assert quota_class("lambda:ListVersionsByFunction") is QuotaClass.CONTROL_PLANE
    assert quota_class("iam:GetRole") is QuotaClass.UNMETERED


def test_book_keeps_one_bucket_per_region_and_class() -> None:
    book = QuotaBook(QuotaPolicy(headroom=1.0))
    east = book.bucket("us-east-1", QuotaClass.GET_POLICY)
    assert east is book.bucket("us-east-1", QuotaClass.GET_POLICY)
    assert east is not book.bucket("eu-west-1", QuotaClass.GET_POLICY)
    assert east is not None and east.rate == 15.0
    assert book.bucket("us-east-1", QuotaClass.UNMETERED) is None
    assert (
        QuotaBook(QuotaPolicy(enabled=False)).bucket("us-east-1", QuotaClass.GET_FUNCTION) is None
    )
