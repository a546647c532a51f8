"""A failed upload is one log line that names the bucket and key and what to check, says the
snapshot was taken, and never prints a credential (the function's log is widely readable)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lambda_ir.emulator.server import Emulator
from tests.runtime.helpers import cold_start_snapshot

SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIANEVERINTHELOG",
    "AWS_SECRET_ACCESS_KEY": "secret-never-in-the-log",
    "AWS_SESSION_TOKEN": "token-never-in-the-log",
}


class RefusingS3(BaseHTTPRequestHandler):
    """A stand-in S3 that refuses every PUT as AWS does for a bad signature: 403 and a body
    quoting what was signed, the session token included."""

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = (
            "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we "
            "calculated does not match</Message>"
            f"<AWSAccessKeyId>{self.headers['Authorization']}</AWSAccessKeyId>"
            f"<CanonicalRequest>x-amz-security-token:{self.headers['x-amz-security-token']}"
            "</CanonicalRequest></Error>"
        ).encode()
        self.send_response(403)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def refusing_s3() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingS3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _snapshot(tmp_path: Path, endpoint: str, bucket_url: str) -> str:
    """Run the collector as the wrapper does; returns its stderr (it always exits 0)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_IR_"))}
    env |= SECRETS | {
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_LAMBDA_FUNCTION_NAME": "orders",
        "LAMBDA_IR_BUCKET": bucket_url,
        "LAMBDA_IR_TMP": str(tmp_path),
        "LAMBDA_IR_OPT": str(tmp_path),
    }
    done = cold_start_snapshot(env)
    assert all(value not in done.stderr for value in SECRETS.values()), done.stderr
    return done.stderr


def test_a_missing_bucket_is_named_with_the_key_and_what_to_do(
    tmp_path: Path, emulator_session: Emulator
) -> None:
    name = f"never-made-{uuid.uuid4().hex[:12]}"
    said = _snapshot(tmp_path, emulator_session.endpoint_url, f"s3://{name}/acme")
    assert said.startswith("lambda-ir: snapshot taken, upload failed: "), said
    assert f"PUT s3://{name}/acme/us-east-1/orders/" in said and "snapshot.json.gz" in said
    assert "HTTP 404 NoSuchBucket: the bucket does not exist" in said
    assert "snapshot failed" not in said and len(said.splitlines()) == 1


def test_a_refused_upload_says_what_the_role_needs_and_no_credential(
    tmp_path: Path, refusing_s3: str
) -> None:
    said = _snapshot(tmp_path, refusing_s3, "s3://ir-snapshots/acme")
    assert "upload failed: PUT s3://ir-snapshots/acme/us-east-1/orders/" in said
    assert "HTTP 403 SignatureDoesNotMatch" in said
    assert "s3:PutObject on arn:aws:s3:::ir-snapshots/acme/*" in said


def test_an_endpoint_that_does_not_answer_is_named(tmp_path: Path) -> None:
    said = _snapshot(tmp_path, "http://127.0.0.1:9", "s3://ir-snapshots/acme")
    assert "upload failed: PUT s3://ir-snapshots/acme/us-east-1/orders/" in said
    assert "no answer (" in said
