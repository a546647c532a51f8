"""LIR-CFG-010: endpoint and proxy variables that send a function's traffic to another host."""

from __future__ import annotations

import pytest

from lambda_ir.analyze.detectors import cfg_traffic_redirect
from lambda_ir.analyze.detectors.cfg_traffic_redirect import public_host
from lambda_ir.model import Severity
from tests.analyze.casebuild import CaseBuilder, function_config, run_detector


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("https://collector.example.net:8443", "collector.example.net"),
        ("203.0.113.9:3128", "203.0.113.9"),
        ("http://user:secret@198.51.100.7:8080", "198.51.100.7"),  # the host, never the password
        ("http://[::ffff:203.0.113.9]:3128", "::ffff:203.0.113.9"),
        ("http://10.0.4.12:3128", ""),  # a proxy in the VPC
        ("http://[::ffff:10.0.4.12]:3128", ""),
        ("http://proxy.corp.internal:3128", ""),
        ("http://squid:3128", ""),  # one label: a name inside the network
        ("http://localhost:4566", ""),  # LocalStack
        ("https://secretsmanager.eu-west-1.amazonaws.com", ""),
        ("https://vpce-0a1b-x.s3.eu-west-1.vpce.amazonaws.com", ""),
        ("https://lambda.us-east-1.api.aws", ""),
        ("http://[2001:db8::1", ""),  # unreadable
    ],
)
def test_public_host(value: str, host: str) -> None:
    assert public_host(value) == host


def test_endpoints_and_proxies_to_public_hosts(builder: CaseBuilder) -> None:
    builder.versions(
        "orders",
        [
            function_config("orders", "1"),
            function_config(
                "orders",
                "2",
                env={
                    "AWS_ENDPOINT_URL_SECRETS_MANAGER": "https://sm.example.net",
                    "HTTPS_PROXY": "http://203.0.113.9:3128",
                    "NODE_EXTRA_CA_CERTS": "/opt/ca.pem",
                },
            ),
        ],
    )
    builder.versions(
        "billing",
        [
            function_config("billing", env={"HTTP_PROXY": "http://198.51.100.7:8080"}),
            function_config("billing", "3", env={"HTTP_PROXY": "http://198.51.100.7:8080"}),
        ],
    )
    builder.versions(
        "calm", [function_config("calm", env={"HTTPS_PROXY": "http://10.0.4.12:3128"})]
    )
    found = {
        (f.resource.split(":")[6], f.details["variable"]): f
        for f in run_detector(builder, cfg_traffic_redirect.DETECTOR)
    }
    assert set(found) == {
        ("orders", "AWS_ENDPOINT_URL_SECRETS_MANAGER"),
        ("orders", "HTTPS_PROXY"),
        ("billing", "HTTP_PROXY"),
    }
    endpoint = found[("orders", "AWS_ENDPOINT_URL_SECRETS_MANAGER")]
    assert endpoint.severity is Severity.HIGH
    assert "every call its AWS SDK makes to that service to sm.example.net" in endpoint.summary
    proxy = found[("orders", "HTTPS_PROXY")]
    assert proxy.severity is Severity.HIGH  # a CA bundle beside it: TLS can be read
    assert proxy.details["ca_bundles"] == ["NODE_EXTRA_CA_CERTS"]
    plain = found[("billing", "HTTP_PROXY")]
    assert plain.severity is Severity.MEDIUM
    assert "(versions $LATEST, 3)" in plain.summary  # one finding for the versions sharing it
