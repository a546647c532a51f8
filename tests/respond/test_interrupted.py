"""A `contain --apply` stopped between two calls (Ctrl-C) leaves the undo of what it changed;
a change whose state cannot be read back afterwards is reported as unknown, not as failed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click
import pytest

from lambda_ir.cli.main import _say_notes
from lambda_ir.evidence import Case
from lambda_ir.respond import contain, load_undo, run_undo
from lambda_ir.respond.runtime_attach import RuntimeRequest, _left
from tests.respond.conftest import Estate, ctrl_c_after


def test_a_run_stopped_between_two_calls_saves_the_undo_of_the_first(
    estate: Estate, case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    lam = estate.client("lambda")
    lam.put_function_concurrency(FunctionName=estate.function, ReservedConcurrentExecutions=7)
    lam.create_function_url_config(FunctionName=estate.function, AuthType="NONE")

    # The responder presses Ctrl-C while the second call is about to be sent (AWS answers
    # nothing different: the interrupt is the person's, raised in the client's own hook).
    def ctrl_c(**_: Any) -> None:
        raise KeyboardInterrupt

    estate.session.events.register("before-call.lambda.DeleteFunctionUrlConfig", ctrl_c)
    try:
        with pytest.raises(KeyboardInterrupt) as stopped:
            contain(
                case,
                estate.clients(),
                estate.session,
                estate.request("throttle", "disable-url", apply=True),
            )
    finally:
        estate.session.events.unregister("before-call.lambda.DeleteFunctionUrlConfig", ctrl_c)
    assert (
        lam.get_function_concurrency(FunctionName=estate.function)["ReservedConcurrentExecutions"]
        == 0
    )  # the first call was made
    [note] = stopped.value.__notes__
    # stopped as the call went out: whether AWS made it is unknown, so its undo is kept too
    assert note.startswith(
        "the run stopped after 1 change(s) and during 1 more, which AWS may have made; "
        "to put them back: lambda-ir contain --case "
    )
    undo_path = note.split(" --undo ")[1].split(" ")[0]
    plan = load_undo(case, undo_path)
    assert [step.action for step in plan.steps] == ["disable-url", "throttle"]
    custody = [json.loads(line) for line in (case.root / "custody.jsonl").read_text().splitlines()]
    [logged] = [entry for entry in custody if entry["action"] == "contain-interrupted"]
    assert logged["details"]["applied"] == 1 and logged["details"]["reason"] == "KeyboardInterrupt"

    # The CLI says it under "interrupted" (click turns Ctrl-C into Abort, from the interrupt).
    try:
        raise click.exceptions.Abort() from stopped.value
    except click.exceptions.Abort as abort:
        _say_notes(abort)
    assert "to put them back: lambda-ir contain --case" in capsys.readouterr().err

    undone = run_undo(case, estate.clients(), plan, apply=True, run="respond/undo-test")
    concurrency = lam.get_function_concurrency(FunctionName=estate.function)
    assert concurrency["ReservedConcurrentExecutions"] == 7
    assert lam.get_function_url_config(FunctionName=estate.function)["AuthType"] == "NONE"
    # the URL was never deleted: its undo finds it there; no state after the run to compare
    assert [o.status.value for o in undone.outcomes] == ["already-in-place", "applied"]
    assert undone.unchecked and "saved no state after its changes" in undone.unchecked[0]


def test_a_run_stopped_after_aws_made_its_call_keeps_that_calls_undo(
    estate: Estate, case: Case
) -> None:
    # Ctrl-C while waiting for Lambda to finish the update: the call was made, its outcome
    # never came back to the run
    lam = estate.client("lambda")
    variables = {"STAGE": "prod", "HOOK": "evil"}
    lam.update_function_configuration(
        FunctionName=estate.function, Environment={"Variables": variables}
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=estate.function)

    def ctrl_c(**_: Any) -> None:
        raise KeyboardInterrupt

    event = "after-call.lambda.UpdateFunctionConfiguration"
    estate.session.events.register(event, ctrl_c)
    try:
        with pytest.raises(KeyboardInterrupt) as stopped:
            request = estate.request("strip-env=HOOK", apply=True, allow_config_change=True)
            contain(case, estate.clients(), estate.session, request)
    finally:
        estate.session.events.unregister(event, ctrl_c)
    config = lam.get_function_configuration(FunctionName=estate.function)
    assert "HOOK" not in config["Environment"]["Variables"]  # AWS made it
    undo_path = stopped.value.__notes__[0].split(" --undo ")[1].split(" ")[0]
    plan = load_undo(case, undo_path)
    assert [step.action for step in plan.steps] == ["strip-env"]
    run_undo(case, estate.clients(), plan, apply=True, run="respond/undo-strip")
    config = lam.get_function_configuration(FunctionName=estate.function)
    assert config["Environment"]["Variables"] == variables


def test_a_run_stopped_while_reading_the_function_back_says_how_to_undo(
    estate: Estate, case: Case
) -> None:
    # Ctrl-C after the last change, while every action is planned again: the undo plan was
    # saved, but the run said nothing of it (no note, no custody entry after the calls).
    lam = estate.client("lambda")
    lam.put_function_concurrency(FunctionName=estate.function, ReservedConcurrentExecutions=7)
    stop = ctrl_c_after(
        estate.session, "after-call.lambda.PutFunctionConcurrency", "before-call.lambda.GetFunction"
    )
    with stop, pytest.raises(KeyboardInterrupt) as stopped:
        contain(case, estate.clients(), estate.session, estate.request("throttle", apply=True))
    [note] = stopped.value.__notes__
    assert note.startswith(
        "the run stopped after 1 change(s); to put them back: lambda-ir contain --case "
    )
    custody = [json.loads(line) for line in (case.root / "custody.jsonl").read_text().splitlines()]
    [logged] = [entry for entry in custody if entry["action"] == "contain-interrupted"]
    assert logged["details"]["applied"] == 1 and logged["details"]["reason"] == "KeyboardInterrupt"
    plan = load_undo(case, note.split(" --undo ")[1].split(" ")[0])
    run_undo(case, estate.clients(), plan, apply=True, run="respond/undo-check")
    concurrency = lam.get_function_concurrency(FunctionName=estate.function)
    assert concurrency["ReservedConcurrentExecutions"] == 7


def test_a_state_that_cannot_be_read_back_is_unknown(estate: Estate) -> None:
    request = RuntimeRequest(
        f"{estate.function}-gone", estate.region, "s3://b/p", b"", datetime.now(UTC), apply=True
    )
    left, unchecked, reads = _left(estate.clients(), request, "arn:aws:lambda:r:1:layer:l:1")
    assert left == [] == reads and unchecked.startswith("could not check: lambda:GetFunction")
