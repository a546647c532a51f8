"""boto3 sessions aimed at the emulator, able to act as any principal, from any IP, at any time.

Scenarios use this to play an incident: the attacker's stolen keys, from the attacker's
address, last Tuesday::

    clock = iter([datetime(2026, 11, 20, 3, 14, tzinfo=UTC), ...])
    attacker = session_for(aws, key_id, secret, source_ip="203.0.113.7",
                           event_time=lambda: next(clock), user_agent="aws-cli/2.15.0")
    attacker.client("lambda").update_function_code(...)

`source_ip` and `event_time` travel as the headers `x-lambda-ir-source-ip` and
`x-lambda-ir-event-time` (ISO-8601), which the emulator turns into the CloudTrail record's
`sourceIPAddress` and `eventTime` and strips before moto sees the request. `event_time` may be
a datetime or a callable returning one (called once per request, so a scenario can advance a
clock). Clients from the session have `endpoint_url` set to the emulator; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import boto3
import botocore.session
from botocore.config import Config

from lambda_ir.emulator.calls import (
    EVENT_TIME_HEADER,
    INVOKED_BY_HEADER,
    SOURCE_IP_HEADER,
    VIA_SERVICE_HEADER,
)


class HasEndpoint(Protocol):
    """Anything with an `endpoint_url` (an `Emulator`)."""

    @property
    def endpoint_url(self) -> str:
        """Where the emulator listens, e.g. `http://127.0.0.1:4566`."""
        ...


def session_for(
    emulator_or_endpoint: HasEndpoint | str,
    access_key_id: str,
    secret_access_key: str,
    session_token: str | None = None,
    *,
    region: str = "us-east-1",
    source_ip: str | None = None,
    event_time: datetime | Callable[[], datetime] | None = None,
    user_agent: str | None = None,
    invoked_by: str | None = None,
    via_service: str | None = None,
    loader: Any = None,
) -> boto3.Session:
    """A boto3 Session whose clients talk to the emulator as the given credentials.

    `invoked_by` (a service principal such as "lambda.amazonaws.com") marks every call as
    made by that AWS service on the account's behalf: CloudTrail logs it as `AWSService`.
    `via_service` marks every call as made by that service with these credentials (a stack's
    role): CloudTrail logs the credentials' identity with the service as its `invokedBy`.
    `loader` (a `botocore.loaders.Loader`) is shared by sessions that pass the same one, so a
    scenario with many identities reads each service model once, not once per session.
    """
    endpoint = (
        emulator_or_endpoint
        if isinstance(emulator_or_endpoint, str)
        else emulator_or_endpoint.endpoint_url
    )
    core = botocore.session.Session()
    if loader is not None:
        core.register_component("data_loader", loader)
    hook = _header_hook(source_ip, event_time, user_agent, invoked_by, via_service)
    core.register("before-sign.*.*", hook)
    return EmulatorSession(
        endpoint,
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        aws_session_token=session_token,
        region_name=region,
        botocore_session=core,
    )


class EmulatorSession(boto3.Session):  # type: ignore[misc]
    """A boto3 Session whose clients and resources default to the emulator's endpoint."""

    def __init__(self, endpoint_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint_url = endpoint_url

    def client(self, *args: Any, **kwargs: Any) -> Any:
        """`boto3.Session.client` with `endpoint_url` defaulting to the emulator."""
        kwargs.setdefault("endpoint_url", self.endpoint_url)
        return super().client(*args, **kwargs)

    def resource(self, *args: Any, **kwargs: Any) -> Any:
        """`boto3.Session.resource` with `endpoint_url` defaulting to the emulator."""
        kwargs.setdefault("endpoint_url", self.endpoint_url)
        return super().resource(*args, **kwargs)


def _header_hook(
    source_ip: str | None,
    event_time: datetime | Callable[[], datetime] | None,
    user_agent: str | None,
    invoked_by: str | None = None,
    via_service: str | None = None,
) -> Callable[..., None]:
    def add_headers(request: Any, **_: Any) -> None:
        if invoked_by:
            request.headers[INVOKED_BY_HEADER] = invoked_by
        if via_service:
            request.headers[VIA_SERVICE_HEADER] = via_service
        if source_ip:
            request.headers[SOURCE_IP_HEADER] = source_ip
        if event_time is not None:
            moment = event_time() if callable(event_time) else event_time
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            request.headers[EVENT_TIME_HEADER] = moment.isoformat()
        if user_agent:
            request.headers["User-Agent"] = user_agent

    return add_headers


def client_config(total_attempts: int = 1) -> Config:
    """A botocore Config for tests: fail fast (no retries) instead of retrying emulator errors."""
    return Config(retries={"total_max_attempts": total_attempts, "mode": "standard"})
