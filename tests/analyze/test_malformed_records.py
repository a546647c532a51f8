"""Every detector over CloudTrail records whose request values are JSON null or of the wrong
type (a list where a name belongs, text where an object does): none stops, and no sentence
says Python's `None`, quotes a Python repr or leaves a gap where a name was missing.

Records a call's validation would have refused still reach a case: a trail bucket written
by someone else, a failed call logged with what was sent, an export edited by hand. A
detector that raised on one of them lost every other call it would have reported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lambda_ir.analyze.detectors import ALL
from tests.analyze.casebuild import CaseBuilder, run_detector, trail_event

LAMBDA = "lambda.amazonaws.com"
# Each call detectors read, with the request values they read.
CALLS: dict[tuple[str, str], dict[str, Any]] = {
    (LAMBDA, "AddPermission20150331v2"): {
        "functionName": "f1",
        "statementId": "s1",
        "action": "lambda:InvokeFunction",
        "principal": "*",
        "sourceArn": "arn:aws:s3:::b",
    },
    (LAMBDA, "AddLayerVersionPermission20181031"): {
        "layerName": "deps",
        "versionNumber": 3,
        "principal": "*",
        "action": "lambda:GetLayerVersion",
        "statementId": "s2",
    },
    (LAMBDA, "CreateFunctionUrlConfig20211031"): {
        "functionName": "f1",
        "authType": "NONE",
        "cors": {"allowOrigins": ["*"]},
    },
    (LAMBDA, "UpdateFunctionConfiguration20150331v2"): {
        "functionName": "f1",
        "layers": ["arn:aws:lambda:eu-west-1:999988887777:layer:x:1"],
        "environment": {"variables": {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/w"}},
        "loggingConfig": {"logGroup": "/elsewhere"},
        "role": "arn:aws:iam::111122223333:role/r",
    },
    (LAMBDA, "UpdateFunctionCode20150331v2"): {"functionName": "f1", "publish": True},
    (LAMBDA, "CreateEventSourceMapping20150331"): {
        "functionName": "f1",
        "eventSourceArn": "arn:aws:sqs:eu-west-1:999988887777:q",
    },
    (LAMBDA, "UpdateAlias20150331"): {
        "functionName": "f1",
        "name": "live",
        "functionVersion": "2",
        "routingConfig": {"additionalVersionWeights": {"3": 0.1}},
    },
    (LAMBDA, "PutFunctionEventInvokeConfig20190925"): {
        "functionName": "f1",
        "destinationConfig": {"onSuccess": {"destination": "arn:aws:sqs:eu-west-1:9:q"}},
    },
    (LAMBDA, "PutRuntimeManagementConfig20210720"): {
        "functionName": "f1",
        "updateRuntimeOn": "Manual",
        "runtimeVersionArn": "arn:aws:lambda:eu-west-1::runtime:abc",
    },
    (LAMBDA, "DeleteFunction20150331"): {"functionName": "f1"},
    ("cloudtrail.amazonaws.com", "PutEventSelectors"): {
        "trailName": "t",
        "eventSelectors": [{"includeManagementEvents": False, "dataResources": [{}]}],
    },
    ("cloudtrail.amazonaws.com", "StopLogging"): {"name": "t"},
    ("logs.amazonaws.com", "DeleteLogGroup"): {"logGroupName": "/aws/lambda/f1"},
}
# What a value may be instead of what AWS would log.
WRONG: tuple[Any, ...] = (None, [1, "x", None], "text", 7, {"a": None}, True, [{"arn": None}])
IDENTITIES: tuple[dict[str, Any], ...] = (
    {"type": "IAMUser", "arn": None, "accountId": None},
    {"type": "AssumedRole", "arn": None, "sessionContext": {"sessionIssuer": {"arn": None}}},
)


def _variants() -> list[tuple[str, str, dict[str, Any]]]:
    """Each call with one of its values, or one value inside an object value, made wrong."""
    out = []
    for (source, name), request in CALLS.items():
        for key, value in request.items():
            for wrong in WRONG:
                out.append((source, name, {**request, key: wrong}))
            if isinstance(value, dict):
                for inner in value:
                    for wrong in WRONG:
                        out.append((source, name, {**request, key: {**value, inner: wrong}}))
    return out


@pytest.fixture(scope="module")
def builder(tmp_path_factory: pytest.TempPathFactory) -> CaseBuilder:
    built = CaseBuilder(Path(tmp_path_factory.mktemp("malformed")) / "case")
    events, count = [], 0
    for day in (1, 2, 3, 4):  # enough days that some calls are judged against a baseline
        for source, name, request in _variants():
            for identity in IDENTITIES:
                count += 1
                event = trail_event(
                    name,
                    request,
                    source=source,
                    identity=identity,
                    event_id=f"e{count}",
                    time=f"2026-11-0{day}T{count % 24:02d}:00:00Z",
                )
                event["responseElements"] = WRONG[count % len(WRONG)]
                events.append(event)
    built.trail(events)
    return built


@pytest.mark.parametrize("detector", ALL, ids=lambda d: d.info.id)
def test_a_detector_reads_malformed_records_without_stopping(
    builder: CaseBuilder, detector: Any
) -> None:
    for finding in run_detector(builder, detector):
        sentence = f"{finding.title} {finding.summary}"
        assert not re.search(r"\bNone\b", sentence), sentence
        assert "['" not in sentence and "{'" not in sentence, sentence  # no Python repr
        assert " ;" not in sentence and "  " not in sentence, sentence  # no name left out
