"""Pacing and counting every HTTP request a client sends, through botocore's event hooks.

Hooking `before-send` means every attempt — first tries, retries and each page of a
paginator — takes a token from the quota bucket of its region and class, with no call site
able to forget. `needs-retry` sees every response, so 429s are counted even when the retry
succeeds (a responder wants to know the run was pushing the account's limits).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from lambda_ir.aws.quota import QuotaBook, QuotaClass, quota_class


@dataclass(frozen=True)
class MeterReading:
    """What a run sent: attempts per (region, quota class) and per API, 429s, seconds waited."""

    attempts: dict[tuple[str, QuotaClass], int]
    throttled: int
    waited: float
    apis: dict[str, int]

    def by_class(self) -> dict[QuotaClass, int]:
        """Attempts per quota class, summed over regions."""
        total: Counter[QuotaClass] = Counter()
        for (_, klass), count in self.attempts.items():
            total[klass] += count
        return dict(total)


class CallMeter:
    """Counts a run's requests; one per run, shared by its clients and threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: Counter[tuple[str, QuotaClass]] = Counter()
        self._throttled = 0
        self._waited = 0.0
        self._apis: Counter[str] = Counter()

    def sent(self, region: str, api: str, waited: float) -> None:
        """Count one request (an attempt: retries and pages count) and its quota wait."""
        with self._lock:
            self._attempts[(region, quota_class(api))] += 1
            self._apis[api] += 1
            self._waited += waited

    def throttle_seen(self) -> None:
        """Count one throttling response (it may still have been retried successfully)."""
        with self._lock:
            self._throttled += 1

    def reading(self) -> MeterReading:
        """A snapshot of the counts so far."""
        with self._lock:
            return MeterReading(
                dict(self._attempts), self._throttled, self._waited, dict(self._apis)
            )


def attach(client: Any, region: str, book: QuotaBook | None, meter: CallMeter) -> None:
    """Make `client` pace each request on `book` (when given) and count it on `meter`."""
    service = client.meta.service_model.signing_name or client.meta.service_model.endpoint_prefix

    def before_send(event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        api = f"{service}:{operation}"
        waited = book.take(region, api) if book is not None else 0.0
        meter.sent(region, api, waited)

    def needs_retry(response: Any = None, **_: Any) -> None:
        if response is None:
            return
        if getattr(response[0], "status_code", 0) == 429 or _is_throttle(response[1]):
            meter.throttle_seen()

    client.meta.events.register("before-send", before_send)
    client.meta.events.register("needs-retry", needs_retry)


def _is_throttle(parsed: Any) -> bool:
    if not isinstance(parsed, dict):
        return False
    code = str(parsed.get("Error", {}).get("Code", ""))
    return code in ("Throttling", "ThrottlingException", "TooManyRequestsException")
