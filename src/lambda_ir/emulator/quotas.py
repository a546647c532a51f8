"""API quotas, latency and injected faults: what the collector's speed and resilience face.

Quotas are token buckets per account, region and bucket name, refilled continuously at the
documented rate with a one-second burst. Defaults (AWS's documented per-account, per-region
defaults): Lambda GetFunction 100/s, GetPolicy 15/s, every other Lambda control-plane call
15/s shared (Invoke is not a control-plane call); CloudTrail LookupEvents 2/s; CloudWatch Logs
FilterLogEvents 5/s, GetLogEvents 25/s, DescribeLogStreams 25/s, DescribeLogGroups 10/s,
CreateLogGroup 5/s, CreateLogStream 50/s, PutLogEvents 5000/s. A throttled call gets the
service's own error: Lambda `TooManyRequestsException` HTTP 429 with `Retry-After`,
CloudTrail and Logs `ThrottlingException` HTTP 400.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, json_error, rest_error

LAMBDA_SHARED = "control-plane"
LAMBDA_DATA_PLANE = frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream"})


@dataclass(frozen=True)
class QuotaRule:
    """One quota: which service/bucket it fills and how fast (requests per second)."""

    service: str
    bucket: str
    rate: float


DEFAULT_RULES: tuple[QuotaRule, ...] = (
    QuotaRule("lambda", "GetFunction", 100),
    QuotaRule("lambda", "GetPolicy", 15),
    QuotaRule("lambda", LAMBDA_SHARED, 15),
    QuotaRule("cloudtrail", "LookupEvents", 2),
    QuotaRule("logs", "FilterLogEvents", 5),
    QuotaRule("logs", "GetLogEvents", 25),
    QuotaRule("logs", "DescribeLogStreams", 25),
    QuotaRule("logs", "DescribeLogGroups", 10),
    QuotaRule("logs", "CreateLogGroup", 5),
    QuotaRule("logs", "CreateLogStream", 50),
    QuotaRule("logs", "PutLogEvents", 5000),
)


@dataclass(frozen=True)
class FaultSpec:
    """Inject failures into a fraction `rate` of calls, drawn from `kinds` with a seeded RNG.

    Kinds: "429" (the service's throttling error), "500" (InternalFailure / ServiceException),
    "reset" (the connection is closed without a response).
    """

    rate: float
    kinds: tuple[str, ...] = ("429", "500", "reset")
    seed: int = 0


RESET = Response(status=0)

# A listing's continuation token, as each paged API of the emulator names it.
_CONTINUATION = ("nextToken", "NextToken", "Marker")


@dataclass(frozen=True)
class PageFault:
    """Answer every call of `service`'s `operation` that continues a listing (it carries a
    `nextToken`/`NextToken`/`Marker`) with `kind`, while its first page is served: a listing
    that fails partway, as AWS does when throttling outlasts the client's retries ("429")
    or when the resource is deleted between two pages ("deleted": the service's
    `ResourceNotFoundException`, as CloudWatch Logs answers for a deleted log group)."""

    service: str
    operation: str
    kind: str = "429"

    def answer(self, call: ApiCall) -> Response | None:
        """The fault for `call`, or None when it is not a later page of the listing."""
        if call.service != self.service or call.name != self.operation:
            return None
        if not any(call.params.get(key) for key in _CONTINUATION):
            return None
        if self.kind == "deleted":
            return json_error(
                "ResourceNotFoundException", "The specified log group does not exist."
            )
        return _fault(self.kind, call.service)


@dataclass
class _Bucket:
    rate: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class Limiter:
    """Latency, quotas and faults for one emulator; `admit` runs before every signed call."""

    latency_ms: int = 0
    quotas: bool = False
    faults: FaultSpec | None = None
    rules: tuple[QuotaRule, ...] = DEFAULT_RULES
    _buckets: dict[tuple[str, str, str, str], _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(default_factory=random.Random)
    # Faults injected so far by kind ("429", "500", "reset"): the chaos test's figures.
    injected: dict[str, int] = field(default_factory=dict)
    page_faults: tuple[PageFault, ...] = ()  # listings that fail after their first page
    # What refills the buckets: a test's own clock measures a quota on any machine (a client
    # slower than the quota never sees it enforced by the real one).
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if self.faults is not None:
            self._rng.seed(self.faults.seed)

    def admit(self, call: ApiCall, account_id: str) -> Response | None:
        """Sleep the latency; then a throttle, an injected fault, RESET, or None to proceed."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        if self.quotas and not self._take(call, account_id):
            return throttled(call.service)
        for page_fault in self.page_faults:
            if (answer := page_fault.answer(call)) is not None:
                return answer
        if self.faults is not None:
            with self._lock:
                hit = self._rng.random() < self.faults.rate
                kind = self._rng.choice(self.faults.kinds) if hit else ""
                if hit:
                    self.injected[kind] = self.injected.get(kind, 0) + 1
            return _fault(kind, call.service) if hit else None
        return None

    def _take(self, call: ApiCall, account_id: str) -> bool:
        bucket_name = call.name
        if call.service == "lambda":
            if call.name in LAMBDA_DATA_PLANE:
                return True
            if call.name not in ("GetFunction", "GetPolicy"):
                bucket_name = LAMBDA_SHARED
        rule = next(
            (r for r in self.rules if r.service == call.service and r.bucket == bucket_name), None
        )
        if rule is None:
            return True
        key = (account_id, call.region, call.service, bucket_name)
        now = self.clock()
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(rule.rate, rule.rate, now))
            return bucket.take(now)


def throttled(service: str) -> Response:
    """The throttling error `service` returns when a quota is exceeded."""
    if service == "lambda":
        response = rest_error(
            429, "TooManyRequestsException", "Rate exceeded", Reason="CallerRateLimitExceeded"
        )
        response = Response(
            response.status, (*response.headers, ("Retry-After", "1")), response.body
        )
    elif service == "s3":
        response = Response(
            503,
            (("Content-Type", "application/xml"),),
            _xml_error("SlowDown", "Please reduce your request rate."),
        )
    elif service in _QUERY_PROTOCOL:
        response = Response(
            400, (("Content-Type", "text/xml"),), _xml_error("Throttling", "Rate exceeded")
        )
    elif service == "ec2":
        response = Response(
            503,
            (("Content-Type", "text/xml"),),
            _ec2_error("RequestLimitExceeded", "Rate exceeded"),
        )
    else:
        response = json_error("ThrottlingException", "Rate exceeded")
    return replace(response, extras={"throttled": True})


def _fault(kind: str, service: str) -> Response:
    if kind == "429":
        return throttled(service)
    if kind == "reset":
        return RESET
    return internal_error(service)


def internal_error(
    service: str, message: str = "An internal error occurred (injected fault)."
) -> Response:
    """The HTTP 500 `service` answers when it fails, in its own protocol's error body."""
    if service == "lambda":
        return rest_error(500, "ServiceException", message)
    if service == "ec2":
        return Response(500, (("Content-Type", "text/xml"),), _ec2_error("InternalError", message))
    if service in _XML_500 or service in _QUERY_PROTOCOL:
        body = _xml_error(_XML_500.get(service, "InternalFailure"), message, sender=False)
        if service == "s3":  # S3's error document has <Error> at its root
            body = f"<Error><Code>InternalError</Code><Message>{message}</Message></Error>".encode()
        return Response(500, (("Content-Type", "text/xml"),), body)
    return json_error("InternalFailure", message, 500)


# IAM documents ServiceFailure for its 500s; STS and EC2 use the common InternalFailure.
_XML_500 = {"iam": "ServiceFailure", "sts": "InternalFailure", "s3": "InternalError"}
# Services on AWS's query protocol answer errors as XML: a JSON body there is a parse error
# botocore does not retry (an injected throttle on sns:ListSubscriptions failed the call).
_QUERY_PROTOCOL = frozenset(
    {"iam", "sts", "sns", "cloudformation", "autoscaling", "elasticloadbalancing", "rds", "ses"}
)


def _ec2_error(code: str, message: str) -> bytes:
    """EC2's own error document, as botocore's ec2 protocol parses it."""
    return (
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        "</Errors><RequestID>0</RequestID></Response>"
    ).encode()


def _xml_error(code: str, message: str, *, sender: bool = True) -> bytes:
    """The query protocol's error document (IAM, STS), as botocore parses it."""
    kind = "Sender" if sender else "Receiver"
    return (
        f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error><RequestId>0</RequestId></ErrorResponse>"
    ).encode()
