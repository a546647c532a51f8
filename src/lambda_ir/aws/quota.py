"""Lambda's control-plane quotas as per-region, per-class token buckets.

AWS meters Lambda's control plane per account and region in classes: GetFunction at 100
requests/s, GetPolicy at 15/s, and every other control-plane call sharing 15/s. Pacing our
own calls just under those rates keeps a collection from being throttled (and from starving
whatever else runs in the account), and lets us predict a run's minimum time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class QuotaClass(StrEnum):
    """Which quota an API call draws from."""

    GET_FUNCTION = "lambda:GetFunction"
    GET_POLICY = "lambda:GetPolicy"
    CONTROL_PLANE = "lambda:control-plane"
    LOOKUP_EVENTS = "cloudtrail:LookupEvents"
    FILTER_LOG_EVENTS = "logs:FilterLogEvents"
    GET_LOG_EVENTS = "logs:GetLogEvents"
    DESCRIBE_LOG_STREAMS = "logs:DescribeLogStreams"
    DESCRIBE_LOG_GROUPS = "logs:DescribeLogGroups"
    UNMETERED = "unmetered"  # IAM, STS, ECR, code downloads: not Lambda's control plane


# Requests per second per account and region (Lambda quotas page, "API requests").
LAMBDA_RATES: dict[QuotaClass, float] = {
    QuotaClass.GET_FUNCTION: 100.0,
    QuotaClass.GET_POLICY: 15.0,
    QuotaClass.CONTROL_PLANE: 15.0,
}
# The read APIs the logs and CloudTrail steps use (CloudTrail and CloudWatch Logs quotas).
READ_RATES: dict[QuotaClass, float] = {
    QuotaClass.LOOKUP_EVENTS: 2.0,
    QuotaClass.FILTER_LOG_EVENTS: 5.0,
    QuotaClass.GET_LOG_EVENTS: 25.0,
    QuotaClass.DESCRIBE_LOG_STREAMS: 25.0,
    QuotaClass.DESCRIBE_LOG_GROUPS: 10.0,
}


def quota_class(api: str) -> QuotaClass:
    """The class an API (`service:Operation`) draws from; APIs with no known quota: UNMETERED."""
    if api == "lambda:GetFunction":
        return QuotaClass.GET_FUNCTION
    if api == "lambda:GetPolicy":
        return QuotaClass.GET_POLICY
    if api.startswith("lambda:"):
        return QuotaClass.CONTROL_PLANE
    for klass in READ_RATES:
        if klass.value == api:
            return klass
    return QuotaClass.UNMETERED


class TokenBucket:
    """A thread-safe token bucket: `take()` blocks until a token is free, in arrival order."""

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # Each caller reserves the next free slot, so waiting threads are served in order
        # and a slot is never handed out twice.
        self._next = clock() - burst / rate

    def take(self) -> float:
        """Wait for one token; returns how long we waited (seconds)."""
        with self._lock:
            now = self._clock()
            slot = max(self._next + 1.0 / self.rate, now - (self.burst - 1) / self.rate)
            self._next = slot
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
            return wait
        return 0.0


@dataclass(frozen=True)
class QuotaPolicy:
    """The rates to pace at; `headroom` < 1 keeps us just under AWS's limits."""

    rates: tuple[tuple[QuotaClass, float], ...] = (*LAMBDA_RATES.items(), *READ_RATES.items())
    headroom: float = 0.98
    enabled: bool = True

    def rate(self, klass: QuotaClass) -> float | None:
        """Requests per second for a class, or None when it is not paced."""
        if not self.enabled:
            return None
        for known, rate in self.rates:
            if known == klass:
                return rate * self.headroom
        return None


class QuotaBook:
    """The token buckets of one collection run, one per (region, quota class)."""

    def __init__(self, policy: QuotaPolicy | None = None) -> None:
        self.policy = policy or QuotaPolicy()
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, QuotaClass], TokenBucket | None] = {}

    def bucket(self, region: str, klass: QuotaClass) -> TokenBucket | None:
        """The bucket for a region and class (None when that class is not paced)."""
        key = (region, klass)
        with self._lock:
            if key not in self._buckets:
                rate = self.policy.rate(klass)
                self._buckets[key] = TokenBucket(rate) if rate else None
            return self._buckets[key]

    def take(self, region: str, api: str) -> float:
        """Wait for the quota `api` draws from in `region`; returns seconds waited."""
        bucket = self.bucket(region, quota_class(api))
        return bucket.take() if bucket is not None else 0.0
