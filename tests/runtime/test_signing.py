"""The collector signs S3 requests itself (no SDK in a customer's function): check it
against botocore's own SigV4 signer for the same request, headers and time."""

from __future__ import annotations

import hashlib

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lambda_ir.runtime.upload import Destination, _authorization


def test_signature_matches_botocore() -> None:
    body = b'{"snapshot": true}'
    payload = hashlib.sha256(body).hexdigest()
    stamp = "20240501T101112Z"
    headers = {
        "content-type": "application/json",
        "host": "ir-snapshots.s3.eu-west-1.amazonaws.com",
        "x-amz-content-sha256": payload,
        "x-amz-date": stamp,
        "x-amz-security-token": "token",
    }
    path = "/acme/eu-west-1/orders/20240501T101112123Z-abc/snapshot%20one.json"
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG"}
    where = Destination("ir-snapshots", "acme/", "eu-west-1")
    ours = _authorization("PUT", path, headers, payload, where, env)

    request = AWSRequest("PUT", f"https://{headers['host']}{path}", data=body, headers=headers)
    request.context["timestamp"] = stamp
    signer = S3SigV4Auth(
        Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", "token"), "s3", "eu-west-1"
    )
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    assert ours.endswith(f"Signature={expected}")
    assert "Credential=AKIDEXAMPLE/20240501/eu-west-1/s3/aws4_request" in ours
