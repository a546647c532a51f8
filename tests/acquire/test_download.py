"""A package whose bytes do not match CodeSha256 is retried, then recorded — never stored.

The package server here is a real HTTP server on 127.0.0.1 that answers with other bytes
than the API promised (a corrupting proxy, a truncated transfer), the one thing the
emulator does not do on request.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
import urllib3

from lambda_ir.acquire.context import CollectContext, CollectOptions, Scope
from lambda_ir.acquire.download import allowed_location, download
from lambda_ir.acquire.packages import Package
from lambda_ir.acquire.resume import ResumeIndex
from lambda_ir.acquire.work import Work, pool_sizes
from lambda_ir.aws import ClientFactory, ErrorClass, QuotaPolicy
from lambda_ir.evidence import Case

GOOD = b"PK\x05\x06" + b"\x00" * 18  # an empty zip
BAD = b"PK\x05\x06" + b"\x01" * 18


class PackageServer(ThreadingHTTPServer):
    """Serves `bodies` in turn for every GET (the last one repeats)."""

    def __init__(self, bodies: list[bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies = bodies
        self.requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: PackageServer

    def do_GET(self) -> None:
        body = self.server.bodies[min(self.server.requests, len(self.server.bodies) - 1)]
        self.server.requests += 1
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[list[PackageServer]]:
    servers: list[PackageServer] = []
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def _start(servers: list[PackageServer], bodies: list[bytes]) -> PackageServer:
    server = PackageServer(bodies)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    servers.append(server)
    return server


def _context(case: Case, endpoint: str) -> CollectContext:
    session = boto3.Session(
        aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    )
    policy = QuotaPolicy(enabled=False)
    clients = ClientFactory(session, endpoint_url=endpoint)
    options = CollectOptions(download_retries=1, endpoint_url=endpoint)
    return CollectContext(
        case,
        clients,
        options,
        Scope(("us-east-1",)),
        "123456789012",
        Work(pool_sizes(1, policy)),
        ResumeIndex(case),
        urllib3.PoolManager(),
    )


def _package(url: str, body: bytes) -> Package:
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    return Package(
        url=f"{url}/code.zip?X-Amz-Signature=secret",
        code_sha256=sha,
        size=len(body),
        kind="code",
        api="lambda:GetFunction",
        params={"FunctionName": "f", "Qualifier": "1"},
        region="us-east-1",
        account="123456789012",
        meta={},
    )


def test_mismatch_is_retried_then_recorded_never_stored(
    tmp_path: Path, serve: list[PackageServer]
) -> None:
    server = _start(serve, [BAD])
    case = Case.create(tmp_path / "case")
    result = download(_context(case, server.url), _package(server.url, GOOD))
    assert not hasattr(result, "path")
    assert result.error_class is ErrorClass.INTEGRITY  # type: ignore[union-attr]
    assert server.requests == 2  # the first try and one retry
    assert not (tmp_path / "case" / "blobs").exists() or not any(
        (tmp_path / "case" / "blobs").rglob("*")
    )
    assert "secret" not in result.text  # type: ignore[union-attr]


def test_mismatch_then_good_bytes_is_stored(tmp_path: Path, serve: list[PackageServer]) -> None:
    server = _start(serve, [BAD, GOOD])
    case = Case.create(tmp_path / "case")
    entry = download(_context(case, server.url), _package(server.url, GOOD))
    digest = hashlib.sha256(GOOD).hexdigest()
    assert getattr(entry, "path", None) == f"blobs/sha256/{digest[:2]}/{digest}"
    assert (case.root / f"blobs/sha256/{digest[:2]}/{digest}").read_bytes() == GOOD


def test_oversize_package_is_skipped_and_says_why(
    tmp_path: Path, serve: list[PackageServer]
) -> None:
    server = _start(serve, [GOOD])
    case = Case.create(tmp_path / "case")
    ctx = _context(case, server.url)
    ctx = CollectContext(**{**ctx.__dict__, "options": CollectOptions(max_package_mb=0.00001)})
    result = download(ctx, _package(server.url, GOOD))
    assert result.error_class is ErrorClass.SKIPPED  # type: ignore[union-attr]
    assert server.requests == 0


@pytest.mark.parametrize(
    ("url", "endpoint", "allowed"),
    [
        (
            "https://awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com/x?sig",
            "https://lambda.us-east-1.amazonaws.com",
            True,
        ),
        (
            "http://awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com/x",
            "https://lambda.us-east-1.amazonaws.com",
            False,
        ),
        ("https://evil.example/x", "https://lambda.us-east-1.amazonaws.com", False),
        ("http://127.0.0.1:4566/_emulator/blobs/ab", "http://127.0.0.1:4566", True),
        ("http://127.0.0.1:9999/x", "http://127.0.0.1:4566", False),
        ("file:///etc/passwd", "http://127.0.0.1:4566", False),
    ],
)
def test_packages_come_only_from_aws_or_the_endpoint(
    url: str, endpoint: str, allowed: bool
) -> None:
    assert allowed_location(url, endpoint) is allowed
