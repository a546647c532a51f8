"""The collector as a Lambda extension: registers, snapshots every N INVOKE events, stops at
SHUTDOWN. A stand-in for Lambda's Extensions API serves the events over loopback HTTP."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from tests.runtime.conftest import Bucket
from tests.runtime.helpers import malicious_tmp

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"


class ExtensionsApi(BaseHTTPRequestHandler):
    """Register, then five INVOKE events and a SHUTDOWN, as Lambda's API shapes them."""

    events: ClassVar[list[dict[str, object]]] = []
    registered: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert self.path == "/2020-01-01/extension/register"
        assert body == {"events": ["INVOKE", "SHUTDOWN"]}
        self.registered.append({"name": self.headers["Lambda-Extension-Name"]})
        self._answer({"functionName": "orders", "functionVersion": "$LATEST"}, "ext-1")

    def do_GET(self) -> None:
        assert self.path == "/2020-01-01/extension/event/next"
        assert self.headers["Lambda-Extension-Identifier"] == "ext-1"
        self._answer(self.events.pop(0))

    def _answer(self, document: dict[str, object], identifier: str = "") -> None:
        data = json.dumps(document).encode()
        self.send_response(200)
        if identifier:
            self.send_header("Lambda-Extension-Identifier", identifier)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def api() -> Iterator[str]:
    ExtensionsApi.events = [
        {"eventType": "INVOKE", "requestId": f"req-{n}", "invokedFunctionArn": ARN, "deadlineMs": 0}
        for n in range(1, 6)
    ] + [{"eventType": "SHUTDOWN", "shutdownReason": "spindown"}]
    ExtensionsApi.registered = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ExtensionsApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_every_second_invocation_is_snapshotted_with_its_request(
    tmp_path: Path, bucket: Bucket, api: str
) -> None:
    malicious_tmp(tmp_path / "tmp")
    env = {**os.environ, **bucket.env(), "AWS_LAMBDA_RUNTIME_API": api, "LAMBDA_IR_EVERY": "2"}
    env.update(LAMBDA_IR_TMP=str(tmp_path / "tmp"), LAMBDA_IR_OPT=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "lambda_ir.runtime", "extension"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr.count("uploaded") == 2, done.stderr
    assert ExtensionsApi.registered == [{"name": "lambda-ir"}]
    assert ExtensionsApi.events == []  # it read every event, SHUTDOWN last
    s3 = bucket.client()
    listing = s3.list_objects_v2(Bucket=bucket.name)["Contents"]  # type: ignore[attr-defined]
    bodies = [
        json.loads(gzip.decompress(s3.get_object(Bucket=bucket.name, Key=o["Key"])["Body"].read()))  # type: ignore[attr-defined]
        for o in listing
        if o["Key"].endswith(".gz")
    ]
    contexts = sorted((b["context"]["request_id"], b["trigger"]) for b in bodies)
    assert contexts == [("req-2", "invoke"), ("req-4", "invoke")]
    assert all(
        b["context"]["function_arn"] == ARN and b["context"]["account"] == "123456789012"
        for b in bodies
    )
    assert all("opt" not in b for b in bodies)  # /opt is hashed at cold start only
