"""Sessions and clients from the standard boto3 chain, with one retry policy.

Credentials, region and endpoint come from boto3's own chain (`AWS_PROFILE`, SSO, instance
roles, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`); nothing here reads keys itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from lambda_ir import __version__
from lambda_ir.aws.meter import CallMeter, attach
from lambda_ir.aws.quota import QuotaBook


@dataclass(frozen=True)
class RetryPolicy:
    """botocore's retry settings: `standard` or `adaptive` mode, attempts including the first."""

    mode: str = "standard"
    max_attempts: int = 8
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_pool_connections: int = 32


def build_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A boto3 session from the standard chain; `profile` and `region` only narrow it."""
    return boto3.Session(profile_name=profile, region_name=region)


def client_config(retry: RetryPolicy | None = None) -> Config:
    """The botocore `Config` every lambda-ir client uses (retries, timeouts, user agent)."""
    retry = retry or RetryPolicy()
    return Config(
        retries={"mode": retry.mode, "max_attempts": retry.max_attempts},
        connect_timeout=retry.connect_timeout,
        read_timeout=retry.read_timeout,
        max_pool_connections=retry.max_pool_connections,
        user_agent_extra=f"lambda-ir/{__version__}",
    )


class ClientFactory:
    """Builds and reuses one client per (service, region) for a run; safe across threads.

    Every client it builds paces each request on `quotas` (per region and quota class; pass
    None to not pace) and counts it on `meter`. boto3 clients are thread-safe once built,
    but building them from a shared session is not, hence the lock. `endpoint_url` is for
    embedding (the emulator); the CLI leaves it None so boto3's chain (`AWS_ENDPOINT_URL`)
    decides.
    """

    def __init__(
        self,
        session: boto3.Session,
        retry: RetryPolicy | None = None,
        endpoint_url: str | None = None,
        quotas: QuotaBook | None = None,
        meter: CallMeter | None = None,
    ) -> None:
        self.session = session
        self.config = client_config(retry)
        self.endpoint_url = endpoint_url
        self.quotas = quotas
        self.meter = meter or CallMeter()
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        """The client for `service` in `region` (IAM and STS take any region)."""
        key = (service, region)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                kwargs: dict[str, Any] = {"region_name": region, "config": self.config}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                found = self.session.client(service, **kwargs)
                attach(found, region, self.quotas, self.meter)
                self._clients[key] = found
            return found
