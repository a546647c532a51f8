"""`run_runtime` with --apply: the evidence first (where the request's other calls go), then
every decision (publish the collector or not, the update, its undo) from the function read
again once that evidence is saved, not from the plan made before it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from lambda_ir.evidence import Case
from lambda_ir.respond import load_undo
from lambda_ir.respond.runtime_attach import LAYER_NAME, RuntimeRequest, run_runtime
from lambda_ir.respond.target import PlanError
from lambda_ir.runtime.layer import WRAPPER_PATH, layer_zip
from tests.acquire.seed import package
from tests.respond.conftest import Estate, ctrl_c_after

BUCKET = "s3://ir-snapshots/acme"


def _request(estate: Estate) -> RuntimeRequest:
    return RuntimeRequest(
        estate.function,
        estate.region,
        BUCKET,
        layer_zip()[0],
        datetime.now(UTC),
        apply=True,
        endpoint_url=estate.endpoint,
        quotas=False,
    )


@contextmanager
def _meanwhile(estate: Estate, change: Callable[[], None]) -> Iterator[None]:
    """Someone else's `change` to the function while `runtime attach` collects its evidence
    (the collector lists the function's versions; the plan never does), once."""
    done: list[bool] = []

    def handler(**_: Any) -> None:
        if not done:
            done.append(True)
            change()

    event = "after-call.lambda.ListVersionsByFunction"
    estate.session.events.register(event, handler)
    try:
        yield
    finally:
        estate.session.events.unregister(event, handler)
    assert done


def _layers(estate: Estate, count: int) -> list[str]:
    lam = estate.client("lambda")
    return [
        lam.publish_layer_version(
            LayerName=f"{estate.function}-l{n}", Content={"ZipFile": package(f"x = {n}\n")}
        )["LayerVersionArn"]
        for n in range(count)
    ]


def _set_layers(estate: Estate, layers: list[str], **variables: str) -> None:
    lam = estate.client("lambda")
    settings: dict[str, Any] = {"Layers": layers}
    if variables:
        found = lam.get_function_configuration(FunctionName=estate.function)
        settings["Environment"] = {"Variables": found["Environment"]["Variables"] | variables}
    lam.update_function_configuration(FunctionName=estate.function, **settings)
    lam.get_waiter("function_updated_v2").wait(FunctionName=estate.function)


def _published(estate: Estate) -> list[dict[str, Any]]:
    found = estate.client("lambda").list_layer_versions(LayerName=LAYER_NAME)
    return list(found["LayerVersions"])


def _custody(case: Case) -> list[dict[str, Any]]:
    lines = (case.root / "custody.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_the_evidence_is_collected_from_the_endpoint_the_request_names(
    estate: Estate, case: Case
) -> None:
    # The session knows no endpoint (only the clients do): preservation collected from AWS's
    # own endpoints (18 timeouts, "nothing changed") while contain's went to the request's.
    result = run_runtime(case, estate.clients(), estate.session, _request(estate))
    assert result.evidence.startswith("collected the function's state into the case first")
    assert result.in_place, result.to_json()
    assert any(entry.api == "lambda:GetFunction" for entry in case.entries())


def test_a_function_given_five_layers_meanwhile_is_refused_before_anything_is_published(
    estate: Estate, case: Case
) -> None:
    # The first plan (no layers) said "publish, then attach": the layer version was published
    # (lambda-ir deletes nothing, so it stayed) and only then the re-read plan refused.
    five = _layers(estate, 5)
    refused = pytest.raises(PlanError, match="the function has 5 layers")
    with _meanwhile(estate, lambda: _set_layers(estate, five)), refused:
        run_runtime(case, estate.clients(), estate.session, _request(estate))
    assert _published(estate) == []
    config = estate.client("lambda").get_function_configuration(FunctionName=estate.function)
    assert [layer["Arn"] for layer in config["Layers"]] == five
    [stopped] = [e for e in _custody(case) if e["action"] == "runtime-attach-stopped"]
    assert "the function has 5 layers" in stopped["details"]["reason"]


def test_a_collector_attached_meanwhile_is_not_published_or_attached_again(
    estate: Estate, case: Case
) -> None:
    # Another responder attached this very build while the evidence was collected: the run
    # published a second, identical version and swapped it in for theirs.
    def attach() -> None:
        lam = estate.client("lambda")
        layer = lam.publish_layer_version(LayerName=LAYER_NAME, Content={"ZipFile": layer_zip()[0]})
        wanted = {"AWS_LAMBDA_EXEC_WRAPPER": WRAPPER_PATH, "LAMBDA_IR_BUCKET": BUCKET}
        _set_layers(estate, [layer["LayerVersionArn"]], **wanted, LAMBDA_IR_EVERY="0")

    with _meanwhile(estate, attach):
        result = run_runtime(case, estate.clients(), estate.session, _request(estate))
    assert result.in_place and result.outcomes == (), result.to_json()
    assert len(_published(estate)) == 1
    assert "contain-call" not in [e["action"] for e in _custody(case)]


def test_a_layer_added_meanwhile_is_kept_and_the_undo_puts_it_back(
    estate: Estate, case: Case
) -> None:
    (theirs,) = _layers(estate, 1)
    with _meanwhile(estate, lambda: _set_layers(estate, [theirs])):
        result = run_runtime(case, estate.clients(), estate.session, _request(estate))
    assert result.in_place, result.to_json()
    lam = estate.client("lambda")
    layers = [
        x["Arn"] for x in lam.get_function_configuration(FunctionName=estate.function)["Layers"]
    ]
    assert layers[0] == theirs and f":layer:{LAYER_NAME}:" in layers[1]
    plan = case.read_json(result.plan_path)  # the plan applied, made from the re-read
    assert plan["changes"][-1]["call"]["params"]["Layers"][0] == theirs
    assert result.undo_path is not None
    (step,) = load_undo(case, result.undo_path).steps
    assert step.undo is not None and step.undo.params["Layers"] == [theirs]


def test_a_run_stopped_while_reading_the_function_back_says_how_to_undo(
    estate: Estate, case: Case
) -> None:
    # Ctrl-C after the update, while the function is read back: the undo plan was saved,
    # but the run said nothing of it (no note, no custody entry after the calls).
    # the read-back starts with who the caller is (the update's wait reads GetFunction)
    stop = ctrl_c_after(
        estate.session,
        "after-call.lambda.UpdateFunctionConfiguration",
        "before-call.sts.GetCallerIdentity",
    )
    with stop, pytest.raises(KeyboardInterrupt) as stopped:
        run_runtime(case, estate.clients(), estate.session, _request(estate))
    [note] = stopped.value.__notes__
    assert note.startswith(
        "the run stopped after 2 change(s); to put them back: lambda-ir contain --case "
    )  # the layer version published, and the update
    [logged] = [e for e in _custody(case) if e["action"] == "contain-interrupted"]
    assert logged["details"]["reason"] == "KeyboardInterrupt"
    undo = load_undo(case, note.split(" --undo ")[1].split(" ")[0])
    assert [step.action for step in undo.steps] == ["runtime-attach"]
