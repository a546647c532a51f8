"""A configuration change is planned from `$LATEST` as it is when the change is made, and made
only if `$LATEST` is still as read.

`strip-env --apply` planned from the GetFunction read before the evidence was collected (minutes
on a real function) and sent the whole set of variables without a RevisionId: a secret rotated
meanwhile was put back, the leaked one. Now the function is read again once the evidence is
saved, and the update names that read's RevisionId: a change made after it is refused by AWS
(PreconditionFailedException) and the run says what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lambda_ir.evidence import Case
from lambda_ir.respond import Status, contain
from lambda_ir.respond.contain import apply_changes
from tests.acquire.seed import package
from tests.respond.conftest import Estate

LEAKED = {"STAGE": "prod", "DB_PASSWORD": "old-leaked-pw"}
ROTATED = {"STAGE": "prod", "DB_PASSWORD": "new-rotated-pw"}


def _variables(estate: Estate) -> dict[str, str]:
    found = estate.client("lambda").get_function_configuration(FunctionName=estate.function)
    return dict(found["Environment"]["Variables"])


def _set(estate: Estate, variables: dict[str, str]) -> None:
    estate.client("lambda").update_function_configuration(
        FunctionName=estate.function, Environment={"Variables": variables}
    )


def _rotate_once(estate: Estate) -> tuple[list[bool], Callable[..., None]]:
    """A botocore event handler that rotates the password the first time it runs, and the
    list that says whether it did."""
    rotated: list[bool] = []

    def rotate(**_: Any) -> None:
        if not rotated:
            rotated.append(True)
            _set(estate, ROTATED)

    return rotated, rotate


def test_a_secret_rotated_while_the_evidence_is_collected_is_kept(
    estate: Estate, case: Case
) -> None:
    _set(estate, LEAKED)
    # Another responder rotates the password in the console while `contain` collects the
    # function (the collector lists its versions; the plan for strip-env never does).
    rotated, rotate = _rotate_once(estate)

    event = "after-call.lambda.ListVersionsByFunction"
    estate.session.events.register(event, rotate)
    try:
        request = estate.request("strip-env=STAGE", apply=True, allow_config_change=True)
        result = contain(case, estate.clients(), estate.session, request)
    finally:
        estate.session.events.unregister(event, rotate)
    assert rotated and result.state() == {"strip-env=STAGE": "in place"}
    assert _variables(estate) == {"DB_PASSWORD": "new-rotated-pw"}


def test_an_update_planned_before_a_change_is_refused_and_says_what_to_do(
    estate: Estate, case: Case
) -> None:
    _set(estate, LEAKED)
    request = estate.request("strip-env=STAGE", allow_config_change=True)
    plan = contain(case, estate.clients(), estate.session, request).plan
    (change,) = plan.changes
    assert change.call.params["RevisionId"]  # the read it was planned from
    assert change.undo is not None and "RevisionId" not in change.undo.params
    _set(estate, ROTATED)  # after the plan's read
    (outcome,), _ = apply_changes(case, estate.clients(), plan, plan.changes, run="respond/r")
    assert outcome.status is Status.FAILED, outcome.error
    assert outcome.error.startswith("error: PreconditionFailedException: The Revision Id ")
    assert outcome.error.endswith(
        "; the function changed after the plan read it (someone updated it meanwhile): this "
        "change was not made, so that update stands. Look at the function, then run the "
        "command again: it plans from the function as it is then"
    )
    assert _variables(estate) == ROTATED


def test_a_change_made_between_two_updates_of_one_run_is_kept(estate: Estate, case: Case) -> None:
    # strip-layers, then strip-env of the same run: the second names the RevisionId read
    # after the first (ours), unless the variables changed meanwhile.
    _set(estate, LEAKED)
    _, rotate = _rotate_once(estate)
    options = {"allow_config_change": True}
    request = estate.request("strip-layers", "strip-env=STAGE", apply=True, **options)
    lam = estate.client("lambda")
    layer = lam.publish_layer_version(
        LayerName=f"{estate.function}-layer", Content={"ZipFile": package("x = 1\n")}
    )["LayerVersionArn"]
    lam.update_function_configuration(FunctionName=estate.function, Layers=[layer])
    event = "after-call.lambda.UpdateFunctionConfiguration"
    estate.session.events.register(event, rotate)
    try:
        result = contain(case, estate.clients(), estate.session, request)
    finally:
        estate.session.events.unregister(event, rotate)
    assert [o.status for o in result.outcomes] == [Status.APPLIED, Status.FAILED]
    assert "the function changed after the plan read it" in result.outcomes[1].error
    assert _variables(estate) == ROTATED
