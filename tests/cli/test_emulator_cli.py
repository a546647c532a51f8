"""`lambda-ir emulator serve --enforce-iam` denies what a caller's own policies do not allow."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.cli.serve import served


def test_serve_with_enforce_iam_denies_an_unprivileged_user(tmp_path: Path) -> None:
    with served(tmp_path, "--enforce-iam") as exports:
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
