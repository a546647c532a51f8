"""One HTTP request to the emulator, parsed once: who signed it, where, and which operation.

Everything downstream (gap handlers, quotas, CloudTrail) reads this value instead of the
WSGI environ. The emulator's own headers (`x-lambda-ir-event-time`, `x-lambda-ir-source-ip`,
`x-lambda-ir-invoked-by`, `x-lambda-ir-via-service`) are read here and removed from what moto
sees. `x-lambda-ir-invoked-by: lambda.amazonaws.com` marks a call an AWS service makes as
itself (Lambda assuming an execution role, writing a function's log stream): CloudTrail then
shows `userIdentity.type` "AWSService" with that `invokedBy`.
`x-lambda-ir-via-service: cloudformation.amazonaws.com` marks a call a service makes with the
signer's credentials (a stack's role, CodeDeploy's service role, the user who ran the stack
operation): CloudTrail shows the signer's identity with `invokedBy` added, the service as
source address and user agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lambda_ir.emulator.operations import Operation, OperationIndex

EVENT_TIME_HEADER = "x-lambda-ir-event-time"
SOURCE_IP_HEADER = "x-lambda-ir-source-ip"
INVOKED_BY_HEADER = "x-lambda-ir-invoked-by"
VIA_SERVICE_HEADER = "x-lambda-ir-via-service"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_QUERY_CREDENTIAL = re.compile(
    r"X-Amz-Credential=([^/&]+)(?:/|%2F)\d{8}(?:/|%2F)([^/&%]+)"
    r"(?:/|%2F)([^/&%]+)"
)


@dataclass(frozen=True)
class ApiCall:
    """A signed AWS API request as the emulator saw it (before moto handles it)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    access_key_id: str
    region: str
    service: str
    operation: Operation | None
    source_ip: str
    user_agent: str
    event_time: datetime
    host: str
    invoked_by: str = ""  # the AWS service principal acting as itself, if any
    via_service: str = ""  # the AWS service acting with the signer's credentials, if any

    @property
    def name(self) -> str:
        """The operation name ('' when unknown)."""
        return self.operation.name if self.operation else ""

    @property
    def params(self) -> dict[str, Any]:
        """The operation's input members by model name ({} when unknown)."""
        return self.operation.params if self.operation else {}


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """Lower-cased request headers from a WSGI environ."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers


def strip_emulator_headers(environ: dict[str, Any]) -> None:
    """Remove the emulator's own headers so moto never sees them."""
    for header in (EVENT_TIME_HEADER, SOURCE_IP_HEADER, INVOKED_BY_HEADER, VIA_SERVICE_HEADER):
        environ.pop("HTTP_" + header.upper().replace("-", "_"), None)


def parse_call(
    environ: dict[str, Any], body: bytes, index: OperationIndex, now: datetime | None = None
) -> ApiCall | None:
    """Parse a signed request; None for unsigned ones (moto-api, code downloads, browsers).

    `now` is AWS's time (the emulator's clock): the event time of a call without the header.
    """
    headers = request_headers(environ)
    query = str(environ.get("QUERY_STRING", ""))
    found = _CREDENTIAL.search(headers.get("authorization", "")) or _QUERY_CREDENTIAL.search(query)
    if found is None:
        return None
    access_key, region, service = found.groups()
    method = str(environ.get("REQUEST_METHOD", "GET"))
    path = str(environ.get("PATH_INFO", "/"))
    operation = index.identify(service, method, path, query, headers, body)
    return ApiCall(
        method=method,
        path=path,
        query=query,
        headers=headers,
        body=body,
        access_key_id=access_key,
        region=region,
        service=service,
        operation=operation,
        source_ip=headers.get(SOURCE_IP_HEADER) or str(environ.get("REMOTE_ADDR", "127.0.0.1")),
        user_agent=headers.get("user-agent", ""),
        event_time=_event_time(headers.get(EVENT_TIME_HEADER), now),
        host=headers.get("host", ""),
        invoked_by=headers.get(INVOKED_BY_HEADER, ""),
        via_service=headers.get(VIA_SERVICE_HEADER, ""),
    )


def _event_time(value: str | None, now: datetime | None) -> datetime:
    if value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return now or datetime.now(UTC)
