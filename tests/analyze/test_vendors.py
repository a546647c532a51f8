"""The vendor catalogue: which start-up hooks a vendor's documentation vouches for, and which
layer names imitate a vendor's (no AWS, no case: the catalogue alone)."""

from __future__ import annotations

import pytest

from lambda_ir.analyze.vendors import LayerKind, load_catalogue
from tests.analyze.casebuild import ACCOUNT, REGION

FOREIGN = "999988887777"


@pytest.mark.parametrize(
    ("name", "vendor"),
    [
        ("Datad0g-Extension", "Datadog"),
        ("Dataddog-Python312", "Datadog"),
        ("Datdog-Extension", "Datadog"),
        ("Lumlgo-extension", "Lumigo"),
        ("NewReIic-LambdaExtension", "New Relic"),
        ("Sentri-PythonSDK", "Sentry"),
        ("Dynatrace_0neAgent_1", "Dynatrace"),
        ("Dynatrcae-OneAgent", "Dynatrace"),
        ("LambdaInsightsExtention", "Amazon CloudWatch Lambda Insights"),
        ("Powertoo1s-Python", "Powertools for AWS Lambda"),
        ("AWSLambdaPowretoolsPythonV3", "Powertools for AWS Lambda"),
        ("DatadogHQ-Extension", "Datadog"),
        ("Datadog-Extension", "Datadog"),
        ("dataDOG_node", "Datadog"),
        ("ElasticAMP-extension", "Elastic APM"),
        ("lurnigo-extension", "Lumigo"),
    ],
)
def test_a_close_spelling_of_a_vendors_name_from_another_account_is_a_look_alike(
    name: str, vendor: str
) -> None:
    match = load_catalogue().layer(f"arn:aws:lambda:{REGION}:{FOREIGN}:layer:{name}:1", ACCOUNT)
    assert match.kind is LayerKind.LOOKALIKE
    assert match.vendor is not None and match.vendor.name == vendor


@pytest.mark.parametrize(
    "name",
    [
        "shared-utils",
        "pandas-layer",
        "helper",
        "common-utils",
        "numpy-scipy-py312",
        "requests-layer",
        "chromium-headless",
        "ffmpeg",
        "psycopg2-binary",
        "entry-points",  # one letter from "sentry", but not how a typosquat reads
        "gentry-tools",
        "sentinel-hub",
        "datalake-tools",
        "data-tools",
        "dynamo-helpers",
        "lumen-core",
        "one-event-bus",
        "new-release-notes",
        "opentelemetry-custom",
        "elasticsearch-client",
        "power-tables",
        "internal-logging",
    ],
)
def test_an_honest_name_from_another_account_stays_unknown(name: str) -> None:
    arn = f"arn:aws:lambda:{REGION}:{FOREIGN}:layer:{name}:1"
    assert load_catalogue().layer(arn, ACCOUNT).kind is LayerKind.UNKNOWN


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lambda:eu-west-1:464622532012:layer:Datadog-Extension:65",
        "arn:aws:lambda:eu-west-1:464622532012:layer:Datadog-Python312:80",
        "arn:aws-us-gov:lambda:us-gov-west-1:002406178527:layer:Datadog-Extension:65",
        "arn:aws:lambda:eu-west-1:451483290750:layer:NewRelicLambdaExtension:40",
        "arn:aws:lambda:eu-west-1:114300393969:layer:lumigo-extension:7",
        "arn:aws:lambda:eu-west-1:943013980633:layer:SentryPythonServerlessSDK:100",
    ],
)
def test_a_vendors_own_layer_stays_the_vendors(arn: str) -> None:
    assert load_catalogue().layer(arn, ACCOUNT).kind is LayerKind.VENDOR


def test_a_close_spelling_in_the_functions_own_account_is_its_own() -> None:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:Datad0g-Extension:1"
    assert load_catalogue().layer(arn, ACCOUNT).kind is LayerKind.OWN
