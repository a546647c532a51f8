"""The one seam in front of moto: a WSGI app that adds what moto lacks around every call.

For each signed request it (1) names the operation and the caller, (2) applies latency,
quotas and injected faults, (3) answers the Lambda gaps itself or forwards to moto's own
server app (and fixes up moto's answer where it differs from AWS), and (4) records the
call as a CloudTrail event. Unsigned requests (`/moto-api/`, code downloads under
`/_emulator/`) are never recorded. All state lives in the `Gateway` instance.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lambda_ir.emulator import (
    athena,
    cloudtrail_lake,
    cloudtrail_lake_state,
    ecr_layers,
    iam_enforce,
    iam_service_roles,
    lambda_gaps,
    lambda_names,
    lambda_validation,
    logs_export,
    logs_filter,
    org_accounts,
    sts_assume,
)
from lambda_ir.emulator.calls import ApiCall, parse_call, strip_emulator_headers
from lambda_ir.emulator.http import Response, json_response
from lambda_ir.emulator.identity import Caller, ensure_admin, resolve_caller
from lambda_ir.emulator.lambda_state import LambdaContext, LambdaExtras
from lambda_ir.emulator.operations import OperationIndex
from lambda_ir.emulator.quotas import RESET, Limiter, internal_error
from lambda_ir.emulator.session_expiry import check_session_expiry
from lambda_ir.emulator.signing_time import check_signing_time
from lambda_ir.emulator.sts_identity import caller_identity
from lambda_ir.emulator.sts_issue import note_issued
from lambda_ir.emulator.trail_delivery import logging_trails
from lambda_ir.emulator.trail_log import TrailEntry, TrailLog, lookup_events
from lambda_ir.emulator.trail_record import build_record, is_recorded, resources_of

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass
class Gateway:
    """The emulator's WSGI application wrapping moto's `DomainDispatcherApplication`."""

    moto_app: WsgiApp
    limiter: Limiter
    endpoint_url: str = ""
    index: OperationIndex = field(default_factory=OperationIndex)
    extras: LambdaExtras = field(default_factory=LambdaExtras)
    trail: TrailLog = field(default_factory=TrailLog)
    ecr: ecr_layers.EcrLayers = field(default_factory=ecr_layers.EcrLayers)
    athena_state: athena.AthenaState = field(default_factory=athena.AthenaState)
    lake_state: cloudtrail_lake_state.LakeState = field(
        default_factory=cloudtrail_lake_state.LakeState
    )
    enforce_iam: bool = False  # evaluate callers' identity-based policies (iam_enforce)
    clock_offset: timedelta = timedelta()  # AWS's clock minus this machine's (tests of skew)

    def aws_now(self) -> datetime:
        """AWS's time as the emulator plays it: the machine's clock plus `clock_offset`."""
        return datetime.now(UTC) + self.clock_offset

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/_emulator/"):
            return _send(self._internal(path), start_response, environ)
        body = _read_body(environ)
        now = self.aws_now()
        call = parse_call(environ, body, self.index, now)
        strip_emulator_headers(environ)
        if call is None:
            answer = self._forward(environ, None)
            if path == "/moto-api/reset" and answer.status == 200:
                self.forget()  # moto forgot everything; so must we
            return _send(answer, start_response, environ)
        refused = check_signing_time(call, now)
        if refused is not None:  # AWS refuses before it authenticates: not in CloudTrail
            return _send(refused, start_response, environ)
        caller = resolve_caller(call.access_key_id, call.region)
        expired = check_session_expiry(call, caller.account_id, now)
        if expired is not None:  # refused before it is authenticated: not in CloudTrail
            return _send(expired, start_response, environ)
        response = self.limiter.admit(call, caller.account_id)
        if response is RESET:
            _reset_connection(environ)
            return []
        if response is None:
            response = self._answer(environ, call, caller)
            self._record(call, caller, response)
        elif response.extras.get("throttled"):  # AWS records throttled calls, not our faults
            self._record(call, caller, response)
        return _send(response, start_response, environ)

    def forget(self) -> None:
        """Drop our Lambda extras and CloudTrail history (after moto's state was reset)."""
        self.extras = LambdaExtras()
        self.trail = TrailLog()
        self.ecr = ecr_layers.EcrLayers()
        self.athena_state = athena.AthenaState()
        self.lake_state = cloudtrail_lake_state.LakeState()
        ensure_admin()

    def _answer(self, environ: dict[str, Any], call: ApiCall, caller: Caller) -> Response:
        """The call's response; a bug of ours becomes the service's 500, as AWS fails."""
        try:
            denied = (
                iam_enforce.check(call, caller) or sts_assume.check(call, caller)
                if self.enforce_iam
                else None
            )
            return denied or iam_service_roles.check(call) or self._dispatch(environ, call, caller)
        except Exception:
            logging.getLogger(__name__).exception(
                "emulator failed on %s %s", call.service, call.name
            )
            return internal_error(call.service, "The emulator failed on this call.")

    def _dispatch(self, environ: dict[str, Any], call: ApiCall, caller: Caller) -> Response:
        def forward(new_body: bytes | None) -> Response:
            return self._forward(environ, new_body)

        if call.service == "sts" and call.name == "GetCallerIdentity":
            return caller_identity(caller)
        if call.service == "sts" and call.name == "AssumeRole":
            response = forward(None)
            note_issued(response, call.event_time)
            return response
        if call.service == "cloudtrail" and call.name == "LookupEvents":
            return lookup_events(
                self.trail, caller.account_id, call.region, call.params, self.aws_now()
            )
        if call.service == "cloudtrail" and call.name in cloudtrail_lake.OPERATIONS:
            return cloudtrail_lake.handle(self.lake_state, self.trail, call, caller, self.aws_now())
        if call.service == "lambda" and call.operation is not None:
            invalid = lambda_validation.check(call, self.index.model("lambda"))
            if invalid is not None:
                return invalid
            named = lambda_names.by_name(caller.account_id, call, environ)
            if isinstance(named, Response):
                return named
            ctx = LambdaContext(
                caller.account_id, call.region, self.extras, self.endpoint_url, forward
            )
            return lambda_gaps.handle(ctx, named)
        if call.service == "ecr" and call.name in ecr_layers.HANDLERS:
            ecr = ecr_layers.EcrContext(
                caller.account_id, call.region, self.ecr, self.endpoint_url, forward
            )
            return ecr_layers.handle(ecr, call)
        if call.service == "athena" and call.name in athena.OPERATIONS:
            return athena.handle(self.athena_state, call, caller)
        if call.service == "organizations" and call.name == "CreateAccount":
            response = forward(None)
            org_accounts.add_access_role(call, response)
            return response
        if (
            call.service == "logs"
            and call.name == "FilterLogEvents"
            and call.params.get("filterPattern")
        ):
            return logs_filter.filter_log_events(call.params, forward)
        if call.service == "logs" and call.name == "CreateExportTask":
            before = logs_export.export_keys(caller.account_id, call.params)
            response = forward(None)
            logs_export.fix_export(caller.account_id, call.region, call.params, before, response)
            return response
        return forward(None)

    def _forward(self, environ: dict[str, Any], new_body: bytes | None) -> Response:
        if new_body is not None:
            environ["wsgi.input"] = io.BytesIO(new_body)
            environ["CONTENT_LENGTH"] = str(len(new_body))
        else:
            environ["wsgi.input"].seek(0)
        captured: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"] = int(status.split()[0])
            captured["headers"] = tuple(headers)

        chunks = self.moto_app(environ, start)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return Response(captured.get("status", 500), captured.get("headers", ()), body)

    def _record(self, call: ApiCall, caller: Caller, response: Response) -> None:
        if not is_recorded(call):
            return
        record = build_record(self.index, call, caller, response)
        region = record["awsRegion"]
        entry = TrailEntry(
            sequence=self.trail.next_sequence(),
            time=call.event_time.replace(microsecond=0),  # CloudTrail keeps whole seconds
            account_id=caller.account_id,
            region=region,
            username=caller.user_name,
            access_key_id=call.access_key_id,
            resources=tuple((r["ResourceType"], r["ResourceName"]) for r in resources_of(call)),
            record=record,
            trails=logging_trails(caller.account_id, region),
        )
        self.trail.add(entry)

    def _internal(self, path: str) -> Response:
        if path.startswith("/_emulator/blobs/"):
            digest = path.rsplit("/", 1)[-1].removesuffix(".zip")
            with self.extras.lock:
                data = self.extras.blobs.get(digest)
            if data is None:
                return Response(404, (("Content-Type", "text/plain"),), b"no such package\n")
            return Response(
                200, (("Content-Type", "application/zip"), ("Content-Length", str(len(data)))), data
            )
        if path.startswith(ecr_layers.PREFIX):
            return self.ecr.serve(path)
        if path == "/_emulator/health":
            return json_response({"status": "ok", "events": len(self.trail.entries)})
        return Response(404, (("Content-Type", "text/plain"),), b"unknown emulator path\n")


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    length = str(environ.get("CONTENT_LENGTH") or "")
    if stream is None:
        body = b""
    elif length.isdigit():
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    return bytes(body)


def _send(
    response: Response, start_response: StartResponse, environ: dict[str, Any]
) -> list[bytes]:
    """Send a buffered response; always with a length, so HTTP/1.1 connections stay open."""
    headers = list(response.headers)
    bodiless = response.status in (204, 304) or environ.get("REQUEST_METHOD") == "HEAD"
    if not bodiless and not any(k.lower() == "content-length" for k, _ in headers):
        headers.append(("Content-Length", str(len(response.body))))
    reason = _REASONS.get(response.status, "OK")
    start_response(f"{response.status} {reason}", headers)
    return [] if bodiless and environ.get("REQUEST_METHOD") == "HEAD" else [response.body]


def _reset_connection(environ: dict[str, Any]) -> None:
    """Drop the TCP connection without an HTTP response (linger 0 makes it an RST)."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
