"""A function named with a version or alias (`fn:live`, its ARN) is contained as the whole
function; what changes configuration changes `$LATEST`, planned from `$LATEST`.

The plan was made from the alias's version and sent to `$LATEST`: `$LATEST` took the published
version's variables (a setting made since was lost), and the undo, comparing the alias again,
found its state "already in place" and never put `$LATEST` back. A function ARN of another
account was read, then changed by name: in the caller's own account; it is now refused
before any Lambda call.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from lambda_ir.evidence import Case
from lambda_ir.respond import PlanError, Status, contain, load_undo, run_undo
from tests.respond.conftest import Estate

LATEST = {"STAGE": "prod", "DB_PASSWORD": "hunter2-very-secret", "NEW_SETTING": "latest-only"}


def _variables(estate: Estate, qualifier: str | None = None) -> dict[str, str]:
    lam = estate.client("lambda")
    where = {"Qualifier": qualifier} if qualifier else {}
    found = lam.get_function_configuration(FunctionName=estate.function, **where)
    return dict(found["Environment"]["Variables"])


@pytest.mark.parametrize("named", ["{name}:live", "{arn}:2"])
def test_a_qualified_function_strips_latest_from_latest_and_its_undo_restores_latest(
    estate: Estate, case: Case, named: str
) -> None:
    lam = estate.client("lambda")
    arn = lam.get_function(FunctionName=estate.function)["Configuration"]["FunctionArn"]
    lam.update_function_configuration(
        FunctionName=estate.function, Environment={"Variables": LATEST}
    )
    function = named.format(name=estate.function, arn=arn)
    request = replace(
        estate.request("strip-env=STAGE", apply=True, allow_config_change=True), function=function
    )
    result = contain(case, estate.clients(), estate.session, request)
    assert result.state() == {"strip-env=STAGE": "in place"}
    assert _variables(estate) == {k: v for k, v in LATEST.items() if k != "STAGE"}
    assert _variables(estate, "2")["STAGE"] == "prod"  # a published version never changes
    (change,) = result.plan.changes
    assert change.summary.startswith("remove environment variable(s) STAGE from $LATEST (")
    assert ("alias live runs version 2" if ":live" in function else "version 2 keeps") in (
        change.summary
    )
    assert result.undo_path
    undo = run_undo(case, estate.clients(), load_undo(case, result.undo_path), apply=True, run="u")
    assert [o.status for o in undo.outcomes] == [Status.APPLIED]
    assert _variables(estate) == LATEST


def test_the_undo_of_a_qualified_run_compares_latest_not_the_alias(
    estate: Estate, case: Case
) -> None:
    lam = estate.client("lambda")
    lam.update_function_configuration(
        FunctionName=estate.function, Environment={"Variables": LATEST}
    )
    arn = lam.get_function(FunctionName=estate.function)["Configuration"]["FunctionArn"]
    request = estate.request("strip-env=STAGE", apply=True, allow_config_change=True)
    result = contain(
        case, estate.clients(), estate.session, replace(request, function=f"{arn}:live")
    )
    assert result.undo_path
    plan = load_undo(case, result.undo_path)
    # put back by hand: $LATEST holds what the undo sets (the alias's version never did)
    lam.update_function_configuration(
        FunctionName=estate.function, Environment={"Variables": LATEST}
    )
    dry = run_undo(case, estate.clients(), plan, apply=False, run="u")
    assert (dry.in_place, dry.changed) == ((0,), ())
    rotated = {"DB_PASSWORD": "rotated-after-the-run"}
    lam.update_function_configuration(
        FunctionName=estate.function, Environment={"Variables": rotated}
    )
    dry = run_undo(case, estate.clients(), plan, apply=False, run="u")
    assert dry.changed and not dry.in_place  # $LATEST changed since: the undo would overwrite


@pytest.mark.parametrize("form", ["arn", "partial"])
def test_a_function_of_another_account_is_refused_before_any_change(
    estate: Estate, case: Case, form: str
) -> None:
    lam = estate.client("lambda")
    arn = str(lam.get_function(FunctionName=estate.function)["Configuration"]["FunctionArn"])
    foreign = arn.replace(f":{arn.split(':')[4]}:", ":999999999999:")
    if form == "partial":
        foreign = foreign.split(":", 4)[4]  # 999999999999:function:NAME
    sent: list[str] = []

    def on_the_function(model: Any, params: dict[str, Any], **_: Any) -> None:
        sent.append(f"{model.name} {params.get('url_path', '')}")

    event = "before-call.lambda"
    estate.session.events.register(event, on_the_function)
    try:
        request = replace(estate.request("throttle", apply=True), function=foreign)
        with pytest.raises(PlanError, match="is a function of account 999999999999, not of the"):
            contain(case, estate.clients(), estate.session, request)
    finally:
        estate.session.events.unregister(event, on_the_function)
    # refused from the ARN and who the caller is, before any Lambda call (AWS answers another
    # account's function as not found: reading it first refused it as missing)
    assert sent == []
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(
        FunctionName=estate.function
    )
