"""Failed calls against a real endpoint are classified, never raised past the collector."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from lambda_ir.aws import ClientFactory, ErrorClass, RetryPolicy, classify

FAST = RetryPolicy(max_attempts=1)


def _error(call: object) -> BaseException:
    with pytest.raises(ClientError) as info:
        call()  # type: ignore[operator]
    return info.value


def test_missing_function_is_not_found(moto_endpoint: str, session: boto3.Session) -> None:
    lam = ClientFactory(session, FAST, moto_endpoint).client("lambda", "us-east-1")
    error = classify(_error(lambda: lam.get_function(FunctionName="nope")))
    assert error.error_class is ErrorClass.NOT_FOUND
    assert error.text.startswith("not-found: ResourceNotFoundException:")


def test_html_404_route_is_unsupported(moto_endpoint: str, session: boto3.Session) -> None:
    # moto 5.2.5 has no route for ListFunctionUrlConfigs: Flask answers with an HTML 404.
    lam = ClientFactory(session, FAST, moto_endpoint).client("lambda", "us-east-1")
    error = classify(_error(lambda: lam.list_function_url_configs(FunctionName="f")))
    assert error.error_class is ErrorClass.UNSUPPORTED
    assert "<" not in error.text  # no HTML page in the manifest


def test_not_implemented_action_is_unsupported(moto_endpoint: str, session: boto3.Session) -> None:
    # moto 5.2.5 raises NotImplementedError (HTTP 500) for GetLayerVersionByArn.
    lam = ClientFactory(session, FAST, moto_endpoint).client("lambda", "us-east-1")
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:x:1"
    error = classify(_error(lambda: lam.get_layer_version_by_arn(Arn=arn)))
    assert error.error_class is ErrorClass.UNSUPPORTED


def test_unreachable_endpoint_is_timeout(session: boto3.Session) -> None:
    retry = RetryPolicy(max_attempts=1, connect_timeout=0.5, read_timeout=0.5)
    lam = ClientFactory(session, retry, "http://127.0.0.1:9").client("lambda", "us-east-1")
    with pytest.raises(Exception) as info:
        lam.list_functions()
    assert classify(info.value).error_class is ErrorClass.TIMEOUT


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("AccessDeniedException", 403, ErrorClass.DENIED),
        ("403", 403, ErrorClass.DENIED),
        ("TooManyRequestsException", 429, ErrorClass.THROTTLED),
        ("NoSuchEntity", 404, ErrorClass.NOT_FOUND),
        ("ServiceException", 500, ErrorClass.ERROR),
    ],
)
def test_error_codes_map_to_classes(code: str, status: int, expected: ErrorClass) -> None:
    response = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    assert classify(ClientError(response, "GetPolicy")).error_class is expected  # type: ignore[arg-type]
