"""Severity means confidence of compromise (README "Precision"): acts are judged by who did them
against the account's own baseline, standing exposure stays LOW, symptoms at most MEDIUM.

Each test is one calibrated detector's firing and quiet (or lower) side. Times are fixed data
that never pass through a date-checking API, so these tests hold whatever today's date is.
"""

from __future__ import annotations

from typing import Any

from lambda_ir.analyze.detectors import (
    ct_add_permission,
    ct_event_source_mapping,
    ct_function_url,
    ct_privileged_role,
    ct_trail_tampering,
    log_outliers,
    log_timeouts,
)
from lambda_ir.model import Severity
from tests.analyze.casebuild import (
    ACCOUNT,
    CI_ROLE,
    REGION,
    TERRAFORM,
    CaseBuilder,
    ci_identity,
    report_line,
    run_detector,
    trail_event,
)

ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/admin-ish"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"


INTRUDER = {
    "type": "IAMUser",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/ops-legacy",
    "accountId": ACCOUNT,
    "accessKeyId": "AKIAOPSLEGACY0000001",
    "userName": "ops-legacy",
}


def _ci_call(name: str, request: dict[str, Any], day: int, event_id: str) -> dict[str, Any]:
    """A call by the CI role from its runners at 10:15, on 2026-10-`day`."""
    return trail_event(
        name,
        request,
        identity=ci_identity(day),
        event_id=event_id,
        time=f"2026-10-{day:02d}T10:15:00Z",
        user_agent=TERRAFORM,
        source_ip=f"192.0.2.{day}",
    )


def _history() -> list[dict[str, Any]]:
    """Ten days of CI releases (UpdateFunctionCode) from the runners at 10:15."""
    return [
        _ci_call("UpdateFunctionCode20150331v2", {"functionName": "orders"}, day, f"ci-{day}")
        for day in range(1, 11)
    ]


def _intruder_call(name: str, request: dict[str, Any]) -> dict[str, Any]:
    """The same kind of call by a user never seen, at 02:10, from a new network, with an SDK."""
    return trail_event(
        name,
        request,
        identity=INTRUDER,
        event_id="night",
        time="2026-10-12T02:10:00Z",
        user_agent="Boto3/1.34.69 md/Botocore#1.34.69",
        source_ip="203.0.113.66",
    )


URL_NONE = {"functionName": "orders", "authType": "NONE"}


def test_url_opened_along_the_established_path_is_low_once_opened_before(
    builder: CaseBuilder,
) -> None:
    """An established path vouches for an act its principal did before: CI's first public URL
    is MEDIUM (a poisoned pipeline's act as much as a new webhook's), the next day's LOW."""
    other = {**URL_NONE, "functionName": "billing"}
    records = [
        *_history(),
        _ci_call("CreateFunctionUrlConfig", URL_NONE, 9, "ci-url-9"),
        _ci_call("CreateFunctionUrlConfig", other, 10, "ci-url-10"),
    ]
    builder.trail(records)
    found = {f.details["event_id"]: f for f in run_detector(builder, ct_function_url.DETECTOR)}
    first, then = found["ci-url-9"], found["ci-url-10"]
    assert first.severity is Severity.MEDIUM
    assert first.details["baseline"]["judged"] is True and first.details["baseline"]["new"] == []
    assert first.summary.endswith(f"; but the first URL {CI_ROLE} opened to anyone.")
    assert then.severity is Severity.LOW and "first URL" not in then.summary


def test_url_opened_by_an_unusual_actor_is_high(builder: CaseBuilder) -> None:
    builder.trail([*_history(), _intruder_call("CreateFunctionUrlConfig", URL_NONE)])
    (finding,) = run_detector(builder, ct_function_url.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert {"principal", "network", "hours"} <= set(finding.details["baseline"]["new"])


def test_url_opened_without_a_baseline_is_high(builder: CaseBuilder) -> None:
    builder.trail([_intruder_call("CreateFunctionUrlConfig", URL_NONE)])
    (finding,) = run_detector(builder, ct_function_url.DETECTOR)
    assert finding.severity is Severity.HIGH
    assert finding.details["baseline"]["judged"] is False


PUBLIC_GRANT = {
    "functionName": "orders",
    "statementId": "public",
    "action": "lambda:InvokeFunction",
    "principal": "*",
}


def test_public_grant_along_the_established_path_is_low_once_granted_before(
    builder: CaseBuilder,
) -> None:
    """CI's first public grant is MEDIUM, its grant to anyone the next day LOW; a first grant
    to another grantee (an account) is MEDIUM again."""
    partner = {**PUBLIC_GRANT, "statementId": "partner", "principal": "444455556666"}
    builder.trail(
        [
            *_history(),
            _ci_call("AddPermission20150331v2", PUBLIC_GRANT, 9, "g9"),
            _ci_call("AddPermission20150331v2", {**PUBLIC_GRANT, "statementId": "b"}, 10, "g10"),
            _ci_call("AddPermission20150331v2", partner, 10, "p10"),
        ]
    )
    found = {f.details["event_id"]: f for f in run_detector(builder, ct_add_permission.DETECTOR)}
    assert found["g9"].severity is Severity.MEDIUM
    assert found["g9"].summary.endswith(f"; but the first grant to anyone (`*`) by {CI_ROLE}.")
    assert found["g10"].severity is Severity.LOW
    assert found["p10"].severity is Severity.MEDIUM
    assert "the first grant to account 444455556666" in found["p10"].summary


def test_a_layer_or_scoped_public_grant_vouches_for_no_unscoped_function_grant(
    builder: CaseBuilder,
) -> None:
    layer = {"layerName": "shared", "versionNumber": 3, "statementId": "l", "principal": "*"}
    layer["action"] = "lambda:GetLayerVersion"
    scoped = {**PUBLIC_GRANT, "statementId": "s", "sourceArn": "arn:aws:s3:::uploads"}
    builder.trail(
        [
            *_history(),
            _ci_call("AddLayerVersionPermission20181031", layer, 8, "layer8"),
            _ci_call("AddPermission20150331v2", scoped, 8, "scoped8"),
            _ci_call("AddPermission20150331v2", PUBLIC_GRANT, 10, "open10"),
        ]
    )
    found = {f.details["event_id"]: f for f in run_detector(builder, ct_add_permission.DETECTOR)}
    assert found["open10"].severity is Severity.MEDIUM
    assert "but the first grant to anyone" in found["open10"].summary


def test_public_grant_by_an_unusual_actor_is_high(builder: CaseBuilder) -> None:
    builder.trail([*_history(), _intruder_call("AddPermission20150331v2", PUBLIC_GRANT)])
    (finding,) = run_detector(builder, ct_add_permission.DETECTOR)
    assert finding.severity is Severity.HIGH


ADMIN_FUNCTION = {"functionName": "orders", "role": ADMIN_ROLE}


def test_admin_role_passed_along_the_established_path_is_low(builder: CaseBuilder) -> None:
    builder.admin_role()
    builder.trail([*_history(), _ci_call("CreateFunction20150331", ADMIN_FUNCTION, 11, "c")])
    (finding,) = run_detector(builder, ct_privileged_role.DETECTOR)
    assert finding.severity is Severity.LOW
    assert "established" in finding.summary or "release" in finding.summary, finding.summary


def test_admin_role_passed_by_an_unusual_actor_is_high(builder: CaseBuilder) -> None:
    builder.admin_role()
    builder.trail([*_history(), _intruder_call("CreateFunction20150331", ADMIN_FUNCTION)])
    (finding,) = run_detector(builder, ct_privileged_role.DETECTOR)
    assert finding.severity is Severity.HIGH


def test_admin_role_passed_without_a_baseline_is_medium(builder: CaseBuilder) -> None:
    builder.admin_role()
    builder.trail([_intruder_call("CreateFunction20150331", ADMIN_FUNCTION)])
    (finding,) = run_detector(builder, ct_privileged_role.DETECTOR)
    assert finding.severity is Severity.MEDIUM


def test_timeouts_are_a_symptom_never_more_than_medium(builder: CaseBuilder) -> None:
    builder.logs(
        "/aws/lambda/orders",
        [report_line(i, "3", 900_000, "timeout") for i in range(40)]  # every call, 40 times
        + [report_line(100 + i, "2", 120, "timeout") for i in range(12)]  # 12 of 20: half
        + [report_line(200 + i, "2", 120) for i in range(8)],
    )
    found = {f.resource: f.severity for f in run_detector(builder, log_timeouts.DETECTOR)}
    assert found == {FN + ":3": Severity.MEDIUM, FN + ":2": Severity.LOW}


def test_duration_outlier_with_many_calls_is_low(builder: CaseBuilder) -> None:
    builder.logs(
        "/aws/lambda/orders",
        [report_line(i, "2", 100) for i in range(30)]
        + [report_line(100 + i, "3", 60_000) for i in range(30)],
    )
    found = run_detector(builder, log_outliers.DETECTOR)
    assert [(f.resource, f.severity) for f in found] == [(FN + ":3", Severity.LOW)]


STOP = {"name": "management-events"}


def _stop(identity: dict[str, Any], day: int, hour: int, ip: str, agent: str) -> dict[str, Any]:
    return trail_event(
        "StopLogging",
        STOP,
        source="cloudtrail.amazonaws.com",
        identity=identity,
        event_id=f"stop-{day}-{hour}",
        time=f"2026-10-{day:02d}T{hour:02d}:20:00Z",
        user_agent=agent,
        source_ip=ip,
    )


def test_trail_stopped_along_the_established_path_is_low(builder: CaseBuilder) -> None:
    builder.trail([*_history(), _stop(ci_identity(11), 11, 10, "192.0.2.11", TERRAFORM)])
    (finding,) = run_detector(builder, ct_trail_tampering.DETECTOR)
    assert finding.severity is Severity.LOW


def test_trail_stopped_by_an_unusual_actor_is_high(builder: CaseBuilder) -> None:
    sdk = "Boto3/1.34.69 md/Botocore#1.34.69"
    builder.trail([*_history(), _stop(INTRUDER, 12, 2, "203.0.113.66", sdk)])
    (finding,) = run_detector(builder, ct_trail_tampering.DETECTOR)
    assert finding.severity is Severity.HIGH


def test_trail_stopped_without_a_baseline_is_high(builder: CaseBuilder) -> None:
    """With nothing to judge the caller by, blinding the trail is HIGH by the event alone (the
    README scale's `high`, as for a URL opened without auth)."""
    builder.trail([_stop(INTRUDER, 12, 2, "203.0.113.66", "aws-cli/2.15.0")])
    (finding,) = run_detector(builder, ct_trail_tampering.DETECTOR)
    assert finding.severity is Severity.HIGH


MAPPING = {"functionName": "orders", "eventSourceArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"}


def test_trigger_wired_along_the_established_path_is_info(builder: CaseBuilder) -> None:
    builder.trail([*_history(), _ci_call("CreateEventSourceMapping20150331", MAPPING, 11, "m")])
    (finding,) = run_detector(builder, ct_event_source_mapping.DETECTOR)
    assert finding.severity is Severity.INFO


def test_trigger_wired_by_an_unusual_actor_is_high(builder: CaseBuilder) -> None:
    builder.trail([*_history(), _intruder_call("CreateEventSourceMapping20150331", MAPPING)])
    (finding,) = run_detector(builder, ct_event_source_mapping.DETECTOR)
    assert finding.severity is Severity.HIGH
