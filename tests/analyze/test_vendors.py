"""The vendor catalogue: which start-up hooks a vendor's documentation vouches for, and which
layer names imitate a vendor's (no AWS, no case: the catalogue alone)."""

from __future__ import annotations

import pytest

from lambda_ir.analyze.vendors import LayerKind, load_catalogue
from tests.analyze.casebuild import ACCOUNT, REGION

DATADOG_NODE = f"arn:aws:lambda:{REGION}:464622532012:layer:Datadog-Node20-x:112"
NEWRELIC_NODE = f"arn:aws:lambda:{REGION}:451483290750:layer:NewRelicNodeJS20X:40"
SENTRY_NODE = f"arn:aws:lambda:{REGION}:943013980633:layer:SentryNodeServerlessSDK:200"
DD_JS = "/opt/nodejs/node_modules/datadog-lambda-js"
FOREIGN = "999988887777"


@pytest.mark.parametrize(
    ("layer", "value"),
    [
        (DATADOG_NODE, f"--require {DD_JS}/handler.js"),
        (DATADOG_NODE, f"--require={DD_JS}/handler.js --max-old-space-size=512"),
        (DATADOG_NODE, '--require "/opt/nodejs//node_modules/./datadog-lambda-js/handler.js"'),
        (NEWRELIC_NODE, "--require /opt/nodejs/node_modules/newrelic"),
        (SENTRY_NODE, "-r @sentry/serverless/dist/awslambda-auto"),
        (SENTRY_NODE, "--import @sentry/aws-serverless/awslambda-auto"),
        # Sentry's CommonJS forms of v7 and v8 to 10 (its README at those tags)
        (SENTRY_NODE, "-r @sentry/serverless/build/npm/cjs/awslambda-auto"),
        (SENTRY_NODE, "-r @sentry/aws-serverless/build/npm/cjs/awslambda-auto"),
    ],
)
def test_a_documented_node_hook_with_its_vendors_layer_is_documented(
    layer: str, value: str
) -> None:
    assert load_catalogue().documented_hook("NODE_OPTIONS", value, [layer], ACCOUNT) is not None


@pytest.mark.parametrize(
    ("layer", "value"),
    [
        # The reviewer's four: an extra target riding on the documented one, a climb out of the
        # vendor's folder, a sibling folder sharing the name's start, a second -r.
        (DATADOG_NODE, f"--require {DD_JS}/handler.js --require /tmp/evil.js"),
        (DATADOG_NODE, f"--require {DD_JS}/../../../evil/x.js"),
        (NEWRELIC_NODE, "--require /opt/nodejs/node_modules/newrelic-evil/index.js"),
        (SENTRY_NODE, "-r @sentry/serverless/dist/awslambda-auto -r /opt/evil.js"),
        # Other spellings of the same tricks.
        (DATADOG_NODE, f"--require={DD_JS}/handler.js --import=/tmp/evil.mjs"),
        (DATADOG_NODE, f"--require {DD_JS}/handler.js --loader /opt/evil/loader.mjs"),
        (DATADOG_NODE, f"--require {DD_JS}/handler.js --openssl-config=/tmp/engine.cnf"),
        (DATADOG_NODE, f"--require {DD_JS}/handler.js -r"),
        # Node does not treat single quotes as quoting: this loads /tmp/evil.js' too.
        (DATADOG_NODE, f"--require '{DD_JS}/h.js --require /tmp/evil.js'"),
        (DATADOG_NODE, f'--require "{DD_JS}/handler.js'),
        (DATADOG_NODE, "--require ./node_modules/datadog-lambda-js/handler.js"),
        (SENTRY_NODE, "-r @sentry/serverless/dist/awslambda-auto-evil"),
        # Node reads `_` as `-` in an option's name, and a loading flag's argument is a target
        # with or without a slash: `evil` loads /var/task/node_modules/evil, `ssl.cnf` its
        # providers' libraries, a data: URL the code written into it.
        (DATADOG_NODE, f"--require {DD_JS}/ --experimental_loader evil"),
        (DATADOG_NODE, f"--require {DD_JS}/ --experimental_loader=./l.mjs"),
        (DATADOG_NODE, f"--require {DD_JS}/handler.js --openssl-config=ssl.cnf"),
        (DATADOG_NODE, f"--require {DD_JS}/handler.js --openssl_config ssl.cnf"),
        (DATADOG_NODE, f"--require {DD_JS}/ --import=data:text/javascript;base64,ZXZpbA=="),
    ],
)
def test_anything_beyond_a_documented_target_makes_the_hook_undocumented(
    layer: str, value: str
) -> None:
    assert load_catalogue().documented_hook("NODE_OPTIONS", value, [layer], ACCOUNT) is None


def test_the_check_names_the_documented_and_the_extra_targets() -> None:
    check = load_catalogue().check_hook(
        "NODE_OPTIONS",
        f"--require {DD_JS}/handler.js --require /tmp/evil.js",
        [DATADOG_NODE],
        ACCOUNT,
    )
    assert check.vendor is not None and check.vendor.name == "Datadog"
    assert check.documented == (f"{DD_JS}/handler.js",)
    assert check.undocumented == ("/tmp/evil.js",)
    assert not check.whole


def test_a_documented_wrapper_needs_the_exact_path() -> None:
    catalogue = load_catalogue()
    layer = f"arn:aws:lambda:{REGION}:464622532012:layer:Datadog-Python312:80"
    for value in ("/opt/datadog_wrapper", "/opt//datadog_wrapper"):
        assert catalogue.documented_hook("AWS_LAMBDA_EXEC_WRAPPER", value, [layer], ACCOUNT)
    for value in ("/opt/datadog_wrapper/../evil", "/opt/datadog_wrapper2", "/opt/evil"):
        assert not catalogue.documented_hook("AWS_LAMBDA_EXEC_WRAPPER", value, [layer], ACCOUNT)


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
        # the product's words without "and"; the extension's own file name; ADOT without aws-
        ("AWS-Parameters-Secrets-Lambda-Extension", "AWS Parameters and Secrets Lambda Extension"),
        ("AWSParametersSecretsExtension", "AWS Parameters and Secrets Lambda Extension"),
        ("CloudWatchInsightsExtension", "Amazon CloudWatch Lambda Insights"),
        ("cloudwatch_lambda_agent", "Amazon CloudWatch Lambda Insights"),
        ("otel-python-amd64-ver-1-25-0", "AWS Distro for OpenTelemetry"),
        ("0tel-python-amd64-ver-1-25-0", "AWS Distro for OpenTelemetry"),  # folded words
        ("LambdaAdapterLayerX86-v2", "AWS Lambda Web Adapter"),
        ("lambda-adapter-layer-x86", "AWS Lambda Web Adapter"),
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
        # the words-only names must stand as whole words
        "hotel-python-utils",
        "motel-collector",
        "my-lambda-adapter",
        "otel-python-deps",  # a platform account's shared layer
        "cloudwatch-insights-helper",
        "parameters-secrets-cache",
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
        # Lambda Insights beyond its first six accounts: eu-south-1, me-central-1, China
        "arn:aws:lambda:eu-south-1:339249233099:layer:LambdaInsightsExtension:38",
        "arn:aws:lambda:me-central-1:732604637566:layer:LambdaInsightsExtension-Arm64:10",
        "arn:aws-cn:lambda:cn-north-1:488211338238:layer:LambdaInsightsExtension:52",
        "arn:aws-us-gov:lambda:us-gov-west-1:751350123760:layer:LambdaInsightsExtension:40",
        "arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerX86:24",
        "arn:aws:lambda:eu-west-1:267093732750:layer:elastic-apm-extension-ver-1-5-7-x86_64:1",
    ],
)
def test_a_vendors_own_layer_stays_the_vendors(arn: str) -> None:
    assert load_catalogue().layer(arn, ACCOUNT).kind is LayerKind.VENDOR


def test_a_close_spelling_in_the_functions_own_account_is_its_own() -> None:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:Datad0g-Extension:1"
    assert load_catalogue().layer(arn, ACCOUNT).kind is LayerKind.OWN


@pytest.mark.parametrize(
    ("name", "value", "vendor"),
    [
        ("NEW_RELIC_LICENSE_KEY_SECRET", "nr-license-key", "New Relic"),  # a secret's name
        ("SENTRY_DSN", "https://0123abcd@o4501.ingest.sentry.io/42", "Sentry"),  # public
        ("SENTRY_DSN", "https://0123abcd:f00dfeed@sentry.example.com/42", None),  # a password
        ("NEW_RELIC_LICENSE_KEY", "0123456789abcdef0123456789abcdef01234567", None),
        # a licence key pasted where the secret's name goes is the secret
        ("NEW_RELIC_LICENSE_KEY_SECRET", "0123456789abcdef0123456789abcdef01234567", None),
        ("NEW_RELIC_LICENSE_KEY_SECRET", "prod/newrelic-license-key", "New Relic"),
        ("NEW_RELIC_LICENSE_KEY_SECRET", "NEW_RELIC_LICENSE_KEY", "New Relic"),  # its default
        ("NEW_RELIC_LICENSE_KEY_SECRET", "newrelic-license-key-production", "New Relic"),
        ("NEW_RELIC_LICENSE_KEY_SECRET", "applications/orders/newrelic/licensekey1", "New Relic"),
        # keys however pasted: a trailing newline, a prefix with a dash, 24 characters
        ("NEW_RELIC_LICENSE_KEY_SECRET", "0123456789abcdef0123456789abcdef01234567\n", None),
        ("NEW_RELIC_LICENSE_KEY_SECRET", "NRAK-7Q2ZK1LXE0M4V9B8N3C6D5F2H1J", None),
        ("NEW_RELIC_LICENSE_KEY_SECRET", "a1b2c3d4e5f6a7b8c9d0e1f2", None),
    ],
)
def test_vendor_documented_references_and_public_values_are_not_secrets(
    name: str, value: str, vendor: str | None
) -> None:
    found = load_catalogue().not_a_secret(name, value)
    assert (found.name if found else None) == vendor
