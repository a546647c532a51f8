"""The embedded AWS account: moto's server app behind our gateway, served on 127.0.0.1.

    with Emulator() as aws:                       # random free port
        lam = boto3.client("lambda", endpoint_url=aws.endpoint_url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")

Any access key works; unknown ones act as the IAM user `emulator-admin` of account
123456789012 (moto's default account). moto's backend state is process-wide, so run one
emulator per process; `reset()` wipes it (and our CloudTrail history) between tests.
Trail files are delivered every `flush_interval` seconds, on `flush_trails()` and on `stop()`.
`enforce_iam=True` (or setting `.enforce_iam` while running) makes IAM users' and roles'
policies count: see `iam_enforce`.
"""

from __future__ import annotations

import email.utils
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import Any, Self

from botocore.loaders import create_loader
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from lambda_ir.emulator import iam_managed, iam_service_roles
from lambda_ir.emulator.gateway import Gateway
from lambda_ir.emulator.identity import ensure_admin, root_credentials
from lambda_ir.emulator.quotas import FaultSpec, Limiter, PageFault
from lambda_ir.emulator.trail_delivery import flush


class _KeepAliveHandler(MotoRequestHandler):
    """moto's request handler speaking HTTP/1.1, so boto3 reuses connections as with AWS."""

    protocol_version = "HTTP/1.1"

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header by AWS's clock (the gateway's), as AWS's own responses carry it."""
        gateway = getattr(self.server, "app", None)
        if timestamp is None and isinstance(gateway, Gateway):
            timestamp = gateway.aws_now().timestamp()
        return email.utils.formatdate(timestamp, usegmt=True)


class Emulator:
    """moto in server mode plus what moto lacks, on 127.0.0.1 in a background thread."""

    def __init__(
        self,
        port: int = 0,
        *,
        latency_ms: int = 0,
        quotas: bool = False,
        faults: FaultSpec | None = None,
        host: str = "127.0.0.1",
        flush_interval: float = 2.0,
        enforce_iam: bool = False,
        clock_offset: timedelta = timedelta(),
    ) -> None:
        self.host = host
        self.port = port
        self.flush_interval = flush_interval
        self.gateway = Gateway(
            DomainDispatcherApplication(create_backend_app),
            Limiter(latency_ms=latency_ms, quotas=quotas, faults=faults),
            enforce_iam=enforce_iam,
            clock_offset=clock_offset,
        )
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        # Scenario actors each have a boto3 session of their own (their keys): sharing one
        # botocore loader reads each service model once, not once per actor (half the CPU of
        # seeding denonia or pacu).
        self.model_loader = create_loader()

    @property
    def account_id(self) -> str:
        """The default account (moto's 123456789012) that unknown keys act in."""
        return str(DEFAULT_ACCOUNT_ID)

    @property
    def enforce_iam(self) -> bool:
        """Whether callers' IAM policies are evaluated (`iam_enforce`); settable while running."""
        return self.gateway.enforce_iam

    @enforce_iam.setter
    def enforce_iam(self, value: bool) -> None:
        self.gateway.enforce_iam = value

    @property
    def clock_offset(self) -> timedelta:
        """AWS's clock minus this machine's, as the emulator plays it; settable while running.

        Positive: the caller's clock is behind AWS's (a stale laptop). Beyond 5 minutes AWS
        refuses its signatures; within, its `Date` headers and event times run ahead.
        """
        return self.gateway.clock_offset

    @clock_offset.setter
    def clock_offset(self, value: timedelta) -> None:
        self.gateway.clock_offset = value

    @property
    def endpoint_url(self) -> str:
        """`http://127.0.0.1:<port>`: give it to boto3 (`endpoint_url`) or `AWS_ENDPOINT_URL`."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> Self:
        """Bind the port and serve in a daemon thread; returns self once requests are accepted."""
        # moto reads this when an account's IAM backend is first built (AWS managed policies).
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        iam_managed.install()  # parsed once per process, not once per account and partition
        iam_service_roles.install()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = self._bind()
        self.gateway.endpoint_url = self.endpoint_url
        ensure_admin()
        self._stopping.clear()
        serve = threading.Thread(target=self._server.serve_forever, name="emulator", daemon=True)
        deliver = threading.Thread(target=self._deliver_loop, name="emulator-trail", daemon=True)
        self._threads = [serve, deliver]
        for thread in self._threads:
            thread.start()
        return self

    def _bind(self) -> BaseWSGIServer:
        # Check the port first: werkzeug prints and exits the process when it is taken.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((self.host, self.port))
        return make_server(
            self.host, self.port, self.gateway, threaded=True, request_handler=_KeepAliveHandler
        )

    def stop(self) -> None:
        """Deliver pending trail files, then stop serving and join the threads."""
        if self._server is None:
            return
        self._stopping.set()
        self.flush_trails()
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._server = None

    def reset(self) -> None:
        """Wipe every moto backend, our Lambda extras, CloudTrail history and quota buckets."""
        moto_api_backend.reset()
        self.gateway.forget()
        limiter = self.gateway.limiter
        self.gateway.limiter = Limiter(
            limiter.latency_ms, limiter.quotas, limiter.faults, clock=limiter.clock
        )

    def set_limits(
        self,
        *,
        latency_ms: int = 0,
        quotas: bool = False,
        faults: FaultSpec | None = None,
        page_faults: tuple[PageFault, ...] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> Limiter:
        """Replace latency, quotas and faults (e.g. once a scenario is seeded: a fault mode
        that also hit the seeding made `serve --scenario ... --fault-rate` fail to start);
        `page_faults` make chosen listings fail after their first page (`reset` drops them);
        `clock` refills the quota buckets (seconds, monotonic)."""
        self.gateway.limiter = Limiter(
            latency_ms=latency_ms,
            quotas=quotas,
            faults=faults,
            page_faults=page_faults,
            clock=clock,
        )
        return self.gateway.limiter

    def flush_trails(self) -> list[str]:
        """Write pending CloudTrail records to trail buckets now; returns `bucket/key`s written."""
        return flush(self.gateway.trail)

    def root_credentials(self, account_id: str | None = None) -> tuple[str, str]:
        """(access key id, secret) of a root-user key; its calls show as `Root` in CloudTrail."""
        return root_credentials(account_id or self.account_id)

    def records(self, account_id: str | None = None) -> list[dict[str, Any]]:
        """Every CloudTrail record made so far (oldest first), optionally for one account."""
        return self.gateway.trail.records(account_id)

    def _deliver_loop(self) -> None:
        while not self._stopping.wait(self.flush_interval):
            flush(self.gateway.trail)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
