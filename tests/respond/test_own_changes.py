"""The changes `contain` made are the responder's, not an intruder's, once a collection
brings them into the case: a review found `analyze` of a case re-collected after containing
reporting its own DeleteFunctionUrlConfig and PutFunctionConcurrency as a HIGH incident
("evasion → persistence"), which even recommended containment. The same change made by
another identity, even in the same minute and sending lambda-ir's user agent, is still
reported (the first fix matched by operation, time and agent only, and hid it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
from botocore.config import Config

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import ALL
from lambda_ir.analyze.engine import run_detectors
from lambda_ir.analyze.own_footprints import own_change_ids
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.respond import contain
from tests.respond.conftest import Estate


def _trail_ids(case: Case, operation: str) -> dict[str, str]:
    """Event id -> user agent of the case's CloudTrail calls of `operation`."""
    with open_index(case) as index:
        rows = index.execute(
            "SELECT event_id, user_agent FROM trail_events WHERE operation = ?", [operation]
        ).fetchall()
    return {str(i): str(agent) for i, agent in rows}


def test_containments_own_changes_are_not_reported_after_a_new_collection(
    estate: Estate, case: Case
) -> None:
    lam = estate.client("lambda")
    lam.create_function_url_config(FunctionName=estate.function, AuthType="NONE")
    result = contain(
        case,
        estate.clients(),
        estate.session,
        estate.request("disable-url", "throttle", apply=True),
    )
    assert set(result.state().values()) == {"in place"}
    # an intruder, another identity sending lambda-ir's user agent, makes the URL again and
    # deletes it within the minute
    iam = estate.client("iam")
    iam.create_user(UserName=f"{estate.function}-intruder")
    key = iam.create_access_key(UserName=f"{estate.function}-intruder")["AccessKey"]
    intruder = boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    ).client(
        "lambda",
        endpoint_url=estate.endpoint,
        region_name=estate.region,
        config=Config(user_agent_extra="lambda-ir/0.1.0"),
    )
    intruder.create_function_url_config(FunctionName=estate.function, AuthType="NONE")
    intruder.delete_function_url_config(FunctionName=estate.function)
    # and, with the responder's own keys and agent, lifts the throttle within the minute
    stolen = estate.session.client(
        "lambda",
        endpoint_url=estate.endpoint,
        region_name=estate.region,
        config=Config(user_agent_extra="lambda-ir/0.1.0"),
    )
    stolen.put_function_concurrency(FunctionName=estate.function, ReservedConcurrentExecutions=50)
    now = datetime.now(UTC)
    scope = Scope(
        regions=(estate.region,),
        functions=(estate.function,),
        since=(now - timedelta(hours=1)).isoformat(),
        until=(now + timedelta(minutes=5)).isoformat(),
    )
    options = CollectOptions(workers=4, quotas=False, endpoint_url=estate.endpoint)
    collect(case, estate.session, scope, options)
    deletions = _trail_ids(case, "DeleteFunctionUrlConfig")
    assert len(deletions) == 2  # ours (lambda-ir's agent) and the intruder's
    assert all("lambda-ir/" in agent for agent in deletions.values())
    with open_index(case) as index:
        ours = {
            str(row[0])
            for row in index.execute(
                "SELECT event_id FROM trail_events WHERE operation = 'DeleteFunctionUrlConfig' "
                "AND actor_arn NOT LIKE '%-intruder'"
            ).fetchall()
        }
    assert len(ours) == 1
    with open_index(case) as index:
        throttle = {
            int(value or 0): str(i)
            for i, value in index.execute(
                "SELECT event_id, request_parameters->>'$.reservedConcurrentExecutions' "
                "FROM trail_events WHERE operation = 'PutFunctionConcurrency'"
            ).fetchall()
        }
    assert set(throttle) == {0, 50}  # ours, and the lifting with our keys and agent
    own = own_change_ids(CaseView(Case.open(case.root)))
    assert ours | {throttle[0]} <= own and not (set(deletions) - ours) & own
    assert throttle[50] not in own
    found = run_detectors(CaseView(Case.open(case.root)), ALL).findings
    reported = {
        str(i) for f in found for i in f.details.get("event_ids") or [f.details.get("event_id")]
    }
    assert not (ours | {throttle[0]}) & reported
    assert set(deletions) - ours <= reported  # the intruder's deletion stays
