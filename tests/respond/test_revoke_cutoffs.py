"""revoke-sessions' cutoff against the sessions it must deny, and against a revoke policy the
role already has (the console's, a colleague's): compared as times, never as text, and only
whole revocations count; the policy's other statements stay while contained.

Each was a defect found by review: a session issued in the run's own second survived (the
cutoff was rounded down); `…T03:56:25+02:00` and `["2020-…"]` sorted after today's cutoff,
and a `Deny s3:*` counted as revoked, so nothing was done and the state said "in place"; the
console's `…28.137Z` was "moved" to the earlier `…28Z`, letting a denied session back; and
the policy's other statements were dropped.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.respond import ContainResult, contain, load_undo, run_undo
from lambda_ir.respond.revoke_sessions import POLICY_NAME, cutoff_of, revocation_cutoff
from tests.respond.conftest import Estate

ALLOW = {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": "*"}


def _stolen(estate: Estate) -> tuple[Any, datetime, datetime]:
    """A session of the execution role, as an intruder holds it, and when it was issued."""
    iam = estate.client("iam")
    iam.put_role_policy(
        RoleName=estate.role,
        PolicyName="app",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [ALLOW]}),
    )
    arn = iam.get_role(RoleName=estate.role)["Role"]["Arn"]
    before = datetime.now(UTC)
    creds = estate.client("sts").assume_role(RoleArn=arn, RoleSessionName="stolen")
    after = datetime.now(UTC)
    client = boto3.Session(
        aws_access_key_id=creds["Credentials"]["AccessKeyId"],
        aws_secret_access_key=creds["Credentials"]["SecretAccessKey"],
        aws_session_token=creds["Credentials"]["SessionToken"],
    ).client("lambda", endpoint_url=estate.endpoint, region_name=estate.region)
    return client, before, after


def _allowed(emulator: Emulator, client: Any, estate: Estate) -> bool:
    emulator.enforce_iam = True
    try:
        client.get_function(FunctionName=estate.function)
    except ClientError as exc:
        assert "explicit deny" in str(exc)
        return False
    finally:
        emulator.enforce_iam = False
    return True


def _contain(estate: Estate, case: Case, now: datetime) -> ContainResult:
    request = replace(estate.request("revoke-sessions", apply=True), now=now)
    return contain(case, estate.clients(), estate.session, request)


def _put(estate: Estate, *statements: dict[str, Any]) -> None:
    estate.client("iam").put_role_policy(
        RoleName=estate.role,
        PolicyName=POLICY_NAME,
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
    )


def _policy(estate: Estate) -> list[dict[str, Any]]:
    got = estate.client("iam").get_role_policy(RoleName=estate.role, PolicyName=POLICY_NAME)
    return list(got["PolicyDocument"]["Statement"])


def _revoking(stamp: Any, action: Any = "*") -> dict[str, Any]:
    return {
        "Effect": "Deny",
        "Action": action,
        "Resource": "*",
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": stamp}},
    }


def _early_in_a_second() -> None:
    while datetime.now(UTC).microsecond > 200_000:
        time.sleep(0.01)


def test_a_session_issued_in_the_runs_own_second_is_denied(
    estate: Estate, case: Case, emulator_session: Emulator
) -> None:
    _early_in_a_second()
    stolen, _, _ = _stolen(estate)
    assert _allowed(emulator_session, stolen, estate)
    assert _contain(estate, case, datetime.now(UTC)).state() == {"revoke-sessions": "in place"}
    assert not _allowed(emulator_session, stolen, estate)


@pytest.mark.parametrize(
    "existing",
    [
        pytest.param("offset", id="an earlier cutoff written with an offset"),
        pytest.param(["2020-01-01T00:00:00Z"], id="an earlier cutoff in a list"),
        pytest.param("1577836800", id="an earlier cutoff in epoch seconds"),
    ],
)
def test_an_earlier_revocation_however_written_is_replaced(
    estate: Estate, case: Case, emulator_session: Emulator, existing: Any
) -> None:
    stolen, issued, _ = _stolen(estate)
    if existing == "offset":  # half an hour before the session, two hours east of UTC
        earlier = (issued - timedelta(minutes=30)).astimezone(timezone(timedelta(hours=2)))
        existing = earlier.strftime("%Y-%m-%dT%H:%M:%S+02:00")
    _put(estate, _revoking(existing))
    assert _allowed(emulator_session, stolen, estate)
    result = _contain(estate, case, datetime.now(UTC))
    assert len(result.plan.changes) == 1
    assert not _allowed(emulator_session, stolen, estate)


def test_a_narrow_deny_is_no_revocation_and_stays(
    estate: Estate, case: Case, emulator_session: Emulator
) -> None:
    narrow = _revoking("2099-01-01T00:00:00Z", action="s3:*")
    stolen, _, _ = _stolen(estate)
    _put(estate, narrow)
    result = _contain(estate, case, datetime.now(UTC))
    assert len(result.plan.changes) == 1
    assert not _allowed(emulator_session, stolen, estate)
    assert narrow in _policy(estate)


def test_a_console_cutoff_in_milliseconds_is_never_moved_earlier(
    estate: Estate, case: Case, emulator_session: Emulator
) -> None:
    _early_in_a_second()
    stolen, _, issued = _stolen(estate)
    console = issued + timedelta(milliseconds=100)  # the console's revoke, just after it
    _put(estate, _revoking(_millis(console), action=["*"]))
    assert not _allowed(emulator_session, stolen, estate)
    result = _contain(estate, case, datetime.now(UTC))  # ours: a whole second, later still
    assert len(result.plan.changes) == 1
    ours = cutoff_of({"Statement": _policy(estate)})
    assert ours is not None and ours > console and ours.microsecond == 0
    assert not _allowed(emulator_session, stolen, estate)
    later = datetime.now(UTC) + timedelta(hours=1, milliseconds=500)  # one ahead: left as is
    _put(estate, _revoking(_millis(later), action=["*"]))
    again = _contain(estate, case, datetime.now(UTC))
    assert again.plan.changes == () and again.state() == {"revoke-sessions": "in place"}
    assert _policy(estate) == [_revoking(_millis(later), action=["*"])]


def test_a_session_issued_while_the_evidence_was_saved_is_denied(
    estate: Estate, case: Case, emulator_session: Emulator
) -> None:
    """The cutoff is the moment the plan is made, once the evidence is saved (which takes
    a while on a real account), not the run's start: here the run started ten seconds
    before the session was issued."""
    started = datetime.now(UTC) - timedelta(seconds=10)
    stolen, _, _ = _stolen(estate)
    result = _contain(estate, case, started)
    assert result.state() == {"revoke-sessions": "in place"}
    assert not _allowed(emulator_session, stolen, estate)


def _millis(moment: datetime) -> str:
    """A time as the console writes it, with milliseconds."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def test_the_policys_other_statements_stay_while_contained_and_undo_restores_it(
    estate: Estate, case: Case, emulator_session: Emulator
) -> None:
    other = {
        "Sid": "NoLambdaDeletes",
        "Effect": "Deny",
        "Action": "lambda:Delete*",
        "Resource": "*",
    }
    older = _revoking("2020-01-01T00:00:00Z")
    _put(estate, other, older)
    result = _contain(estate, case, datetime.now(UTC))
    during = _policy(estate)
    assert other in during and older not in during and len(during) == 2
    assert result.undo_path
    run_undo(case, estate.clients(), load_undo(case, result.undo_path), apply=True, run="u")
    assert _policy(estate) == [other, older]


def test_cutoffs_are_read_as_times() -> None:
    def of(*statements: Any) -> datetime | None:
        return cutoff_of({"Statement": list(statements)})

    moment = datetime(2026, 12, 7, 1, 56, 25, tzinfo=UTC)
    assert of(_revoking("2026-12-07T03:56:25+02:00")) == moment
    assert of(_revoking("2026-12-07T01:56:25.137Z")) == moment.replace(microsecond=137000)
    assert of(_revoking(str(int(moment.timestamp())))) == moment
    assert of(_revoking(["2020-01-01T00:00:00Z", "2026-12-07T01:56:25Z"])) == moment
    assert of(_revoking(["2026-12-07T01:56:25Z", "yesterday"])) is None
    assert of(_revoking("9" * 21)) is None and of(_revoking("9" * 14)) is None
    assert of(_revoking("2026-12-07T01:56:25Z", action="lambda:*")) is None
    with_more = _revoking("2026-12-07T01:56:25Z")
    with_more["Condition"]["StringEquals"] = {"aws:PrincipalTag/team": "x"}
    assert of(with_more) is None
    assert of(_revoking("2020-01-01T00:00:00Z"), _revoking("2026-12-07T01:56:25Z")) == moment
    assert revocation_cutoff(moment.replace(microsecond=1)) == moment + timedelta(seconds=1)
    assert revocation_cutoff(moment) == moment + timedelta(seconds=1)


@pytest.mark.parametrize("offset", [timedelta(minutes=4), timedelta(minutes=-4)])
def test_the_cutoff_is_awss_time_not_this_machines(
    estate: Estate, case: Case, emulator_session: Emulator, offset: timedelta
) -> None:
    # AWS issues sessions on its own clock. Four minutes ahead of this machine (inside the
    # 5-minute signing window), a session stolen just before containing was issued "after"
    # a cutoff taken from this machine's clock, and survived while the state said in place.
    emulator_session.clock_offset = offset
    try:
        stolen, _, _ = _stolen(estate)
        assert _allowed(emulator_session, stolen, estate)
        result = _contain(estate, case, datetime.now(UTC))
        assert result.state() == {"revoke-sessions": "in place"}
        assert not _allowed(emulator_session, stolen, estate)
        cutoff = cutoff_of({"Statement": _policy(estate)})
        aws_now = datetime.now(UTC) + offset
        assert cutoff is not None and abs(cutoff - aws_now) < timedelta(seconds=30)
    finally:
        emulator_session.clock_offset = timedelta()
