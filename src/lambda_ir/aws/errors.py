"""Error classification: what a failed AWS call means for the evidence, never a crash.

Every failed call in a collection becomes a manifest entry whose `error` starts with one of
the `ErrorClass` values, so a responder (and `collect`'s summary) can tell "we were denied"
from "there is nothing there" from "this endpoint does not implement the API".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)


class ErrorClass(StrEnum):
    """Why a call failed, in the words the summary and the manifest use."""

    DENIED = "denied"  # AccessDenied: a gap in the collector's permissions, worth reporting
    NOT_FOUND = "not-found"  # ResourceNotFound / NoSuchEntity: a definitive "nothing there"
    UNSUPPORTED = "unsupported"  # HTML 404 route or 500 NotImplemented: the endpoint lacks the API
    THROTTLED = "throttled"  # retries exhausted on 429 / Throttling
    TIMEOUT = "timeout"  # connect or read timeout, endpoint unreachable
    INTEGRITY = "integrity"  # downloaded bytes did not match the hash the API gave
    SKIPPED = "skipped"  # deliberately not fetched (for example over --max-package-mb)
    ERROR = "error"  # anything else


# Error codes as AWS services spell them. moto answers some denials with XML bodies, so the
# bare HTTP status ("403") shows up as the code for a REST-JSON service like Lambda.
_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "403",
    }
)
_NOT_FOUND = frozenset(
    {
        "ResourceNotFoundException",
        "ResourceNotFound",
        "NoSuchEntity",
        "NoSuchEntityException",
        "RepositoryNotFoundException",
        "ImageNotFoundException",
        "LayersNotFoundException",  # ECR: no such blob in the repository
        "NoSuchKey",
        "NoSuchBucket",
    }
)
_UNSUPPORTED = frozenset({"NotImplemented", "NotImplementedError", "InvalidAction"})
_THROTTLED = frozenset(
    {
        "TooManyRequestsException",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "SlowDown",
        "429",
    }
)


@dataclass(frozen=True)
class CallError:
    """A classified failure: the class, AWS's error code and its message (no credentials)."""

    error_class: ErrorClass
    code: str
    message: str

    @property
    def text(self) -> str:
        """The manifest's `error` field: `"<class>: <Code>: <message>"`, one line."""
        message = " ".join(self.message.split())[:300]
        return f"{self.error_class.value}: {self.code}: {message}"


def classify(exc: BaseException) -> CallError:
    """Turn a boto3/botocore (or download) exception into a `CallError`."""
    if isinstance(exc, ClientError):
        return _classify_client_error(exc)
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError | EndpointConnectionError):
        return CallError(ErrorClass.TIMEOUT, type(exc).__name__, str(exc))
    if isinstance(exc, ConnectionError | TimeoutError):
        return CallError(ErrorClass.TIMEOUT, type(exc).__name__, str(exc))
    if isinstance(exc, BotoCoreError):
        return CallError(ErrorClass.ERROR, type(exc).__name__, str(exc))
    return CallError(ErrorClass.ERROR, type(exc).__name__, str(exc))


def _classify_client_error(exc: ClientError) -> CallError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "") or "")
    message = str(error.get("Message", "") or "")
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if _looks_like_html(message) or (status == 404 and code in ("404", "")):
        # An emulator (or a proxy) with no route for this API answers with an HTML page.
        return CallError(ErrorClass.UNSUPPORTED, code or str(status), "no such API at endpoint")
    if (
        code in _UNSUPPORTED
        or (status == 501)
        or (status == 500 and "not yet implemented" in message.lower())
    ):
        return CallError(ErrorClass.UNSUPPORTED, code or str(status), message)
    if code in _DENIED or status == 403:
        return CallError(ErrorClass.DENIED, code or "403", message)
    if code in _NOT_FOUND:
        return CallError(ErrorClass.NOT_FOUND, code, message)
    if code in _THROTTLED or status == 429:
        return CallError(ErrorClass.THROTTLED, code or "429", message)
    return CallError(ErrorClass.ERROR, code or str(status), message)


def _looks_like_html(message: str) -> bool:
    head = message.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html")) or "<title>" in head
