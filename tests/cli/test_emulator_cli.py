"""`lambda-ir emulator serve --enforce-iam` denies what a caller's own policies do not allow."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError


def test_serve_with_enforce_iam_denies_an_unprivileged_user(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lambda_ir",
                "emulator",
                "serve",
                "--port",
                "0",
                "--enforce-iam",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + 60
        while "serving account" not in out.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, out.read_text()[-2000:]
            time.sleep(0.1)
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in out.read_text().splitlines()
            if line.startswith("export ")
        )
        endpoint = exports["AWS_ENDPOINT_URL"]
        admin = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
        )
        admin.create_user(UserName="nobody")
        key = admin.create_access_key(UserName="nobody")["AccessKey"]
        nobody = boto3.client(
            "lambda",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        with pytest.raises(ClientError) as denied:
            nobody.list_functions()
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "lambda:ListFunctions" in denied.value.response["Error"]["Message"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
