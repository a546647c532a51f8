"""`--undo` never silently overwrites what changed after the run: a responder's rotated secret,
a new reservation or an alias moved since are named, and the undo is refused without --force.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from lambda_ir.cli.main import cli
from lambda_ir.evidence import Case
from lambda_ir.respond import DriftError, contain, load_undo, run_undo
from tests.acquire.seed import package
from tests.respond.conftest import Estate, cli_env


def _reserved_and_hooked(estate: Estate) -> None:
    """The state before containing: a reservation of 5, a leaked secret and a HOOK variable."""
    lam = estate.client("lambda")
    lam.put_function_concurrency(FunctionName=estate.function, ReservedConcurrentExecutions=5)
    variables = {"STAGE": "prod", "DB_PASSWORD": "leaked", "HOOK": "evil"}
    lam.update_function_configuration(
        FunctionName=estate.function, Environment={"Variables": variables}
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=estate.function)


def _contained(estate: Estate, case: Case) -> str:
    """Throttle, pin every alias to version 1 and strip the HOOK variable; the undo plan."""
    _reserved_and_hooked(estate)
    actions = ("throttle", "pin-alias=1", "strip-env=HOOK")
    request = estate.request(*actions, apply=True, allow_config_change=True)
    result = contain(case, estate.clients(), estate.session, request)
    assert result.undo_path and not result.failed
    return result.undo_path


def test_an_undo_after_later_changes_is_refused_and_names_them(estate: Estate, case: Case) -> None:
    undo_path = _contained(estate, case)
    plan = load_undo(case, undo_path)
    assert run_undo(case, estate.clients(), plan, apply=False, run="respond/dry").changed == ()
    # after containment, the responder rotates the leaked secret and reserves capacity
    lam = estate.client("lambda")
    rotated = {"STAGE": "prod", "DB_PASSWORD": "rotated"}
    lam.update_function_configuration(
        FunctionName=estate.function, Environment={"Variables": rotated}
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=estate.function)
    lam.put_function_concurrency(FunctionName=estate.function, ReservedConcurrentExecutions=10)

    with pytest.raises(DriftError, match="changed since the run") as refused:
        run_undo(case, estate.clients(), plan, apply=True, run="respond/u1")
    assert "lambda:GetFunction " in str(refused.value)
    assert "lambda:GetFunctionConcurrency " in str(refused.value)
    assert "lambda:ListAliases" not in str(refused.value)  # the aliases did not move
    config = lam.get_function_configuration(FunctionName=estate.function)
    assert config["Environment"]["Variables"] == rotated  # nothing was put back
    concurrency = lam.get_function_concurrency(FunctionName=estate.function)
    assert concurrency["ReservedConcurrentExecutions"] == 10

    forced = run_undo(case, estate.clients(), plan, apply=True, run="respond/u2", force=True)
    assert len(forced.changed) == 2 and not [o for o in forced.outcomes if o.error]
    config = lam.get_function_configuration(FunctionName=estate.function)
    assert config["Environment"]["Variables"]["HOOK"] == "evil"  # as asked, knowingly
    # a second undo finds everything as it would set it: nothing to overwrite, no call made
    again = run_undo(case, estate.clients(), plan, apply=True, run="respond/u3")
    assert again.changed == () and len(again.in_place) == len(plan.steps)
    assert {o.status.value for o in again.outcomes} == {"already-in-place"}
    # the undo itself changed the function: a later change refused says when it was undone
    lam.put_function_concurrency(FunctionName=estate.function, ReservedConcurrentExecutions=7)
    with pytest.raises(DriftError, match="this plan's undo was applied at 20"):
        run_undo(case, estate.clients(), plan, apply=True, run="respond/u4")


def test_the_cli_shows_what_changed_and_refuses_without_force(
    estate: Estate, case: Case, tmp_path: Path
) -> None:
    undo_path = _contained(estate, case)
    estate.client("lambda").update_alias(
        FunctionName=estate.function, Name="live", FunctionVersion="2"
    )
    runner = CliRunner(env=cli_env(estate.endpoint, estate.region))
    where = ["contain", "--case", str(case.root), "--undo", str(case.root / undo_path)]
    dry = runner.invoke(cli, where)
    assert dry.exit_code == 0, dry.output
    assert "changed since the run left it (the undo overwrites it):" in dry.output
    assert "lambda:ListAliases" in dry.output and "lambda:GetFunction " not in dry.output
    refused = runner.invoke(cli, [*where, "--apply"])
    assert refused.exit_code == 1 and "--force undoes anyway" in refused.output
    alias = estate.client("lambda").get_alias(FunctionName=estate.function, Name="live")
    assert alias["FunctionVersion"] == "2"
    assert runner.invoke(cli, [*where, "--apply", "--force"]).exit_code == 0
    alias = estate.client("lambda").get_alias(FunctionName=estate.function, Name="live")
    assert alias["FunctionVersion"] == "2" and alias["RoutingConfig"] == {
        "AdditionalVersionWeights": {"1": 0.25}
    }


def test_a_step_already_put_back_is_in_place_not_a_change(estate: Estate, case: Case) -> None:
    """The responder put back by hand what two of the undo's steps set (the reservation of
    5, the HOOK variable): those are in place and make no call; the alias moved elsewhere
    still refuses the undo, and --force makes only the alias's call."""
    undo_path = _contained(estate, case)
    _reserved_and_hooked(estate)  # by hand, as before containing
    lam = estate.client("lambda")
    plan = load_undo(case, undo_path)
    actions = [step.action for step in plan.steps]
    dry = run_undo(case, estate.clients(), plan, apply=False, run="respond/dry")
    assert sorted(actions[n] for n in dry.in_place) == ["strip-env", "throttle"]
    assert dry.changed == ()
    undone = run_undo(case, estate.clients(), plan, apply=True, run="respond/u1")
    statuses = {o.change.action: o.status.value for o in undone.outcomes}
    assert statuses == {
        "throttle": "already-in-place",
        "strip-env": "already-in-place",
        "pin-alias": "applied",
    }

    # moved by hand to a third state (neither pinned nor the canary the undo puts back)
    lam.update_alias(
        FunctionName=estate.function,
        Name="live",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {}},
    )
    with pytest.raises(DriftError, match="lambda:ListAliases") as refused:
        run_undo(case, estate.clients(), plan, apply=True, run="respond/u2")
    assert "GetFunctionConcurrency" not in str(refused.value)
    assert "lambda:GetFunction " not in str(refused.value)
    forced = run_undo(case, estate.clients(), plan, apply=True, run="respond/u3", force=True)
    made = [o.change.action for o in forced.outcomes if o.status.value == "applied"]
    assert made == ["pin-alias"]
    calls = [
        e["details"]["action"]
        for e in map(orjson.loads, (case.root / "custody.jsonl").read_bytes().splitlines())
        if e["action"] == "contain-undo-call"
    ]
    assert calls == ["pin-alias", "pin-alias"]  # the steps in place were never called
    alias = lam.get_alias(FunctionName=estate.function, Name="live")
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.25}}


def test_what_aws_changes_by_itself_is_no_change() -> None:
    # GetFunction's Code.Location is a URL presigned for each read (valid ten minutes), and a
    # function's State / LastUpdateStatus and a trigger's Disabling move on their own: read
    # twice, as AWS documents them, with nobody changing anything
    from lambda_ir.respond.drift import _plain

    def get_function(location: str, state: str, update: str) -> dict[str, object]:
        configuration = {
            "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "Environment": {"Variables": {"STAGE": "prod"}},
            "State": state,
            "LastUpdateStatus": update,
            "RevisionId": "r1",
        }
        code = {"RepositoryType": "S3", "Location": location}
        return {"Configuration": configuration, "Code": code}

    def mapping(state: str, modified: float = 1.7e9) -> dict[str, object]:
        found = {"UUID": "u1", "State": state, "BatchSize": 10, "LastModified": modified}
        return {"EventSourceMappings": [found]}

    first = [get_function("https://s3/x?X-Amz-Signature=aa", "Pending", "InProgress")]
    again = [get_function("https://s3/x?X-Amz-Signature=bb", "Active", "Successful")]
    assert _plain(first) == _plain(again)
    assert _plain([mapping("Disabling")]) == _plain([mapping("Disabled", 1.8e9)])
    # what a person changes is a change: a variable, a revision, a trigger enabled again
    rotated = get_function("https://s3/x?X-Amz-Signature=aa", "Pending", "InProgress")
    rotated["Configuration"]["Environment"] = {"Variables": {"STAGE": "dev"}}  # type: ignore[index]
    assert _plain(first) != _plain([rotated])
    assert _plain([mapping("Disabled")]) != _plain([mapping("Enabled")])


def test_a_change_the_undo_does_not_write_is_no_reason_to_refuse(
    estate: Estate, case: Case
) -> None:
    # the responder deploys clean code while the function is contained: the undo puts back
    # the reservation, the alias and the variable, none of which changed
    undo_path = _contained(estate, case)
    lam = estate.client("lambda")
    lam.update_function_code(
        FunctionName=estate.function, ZipFile=package("def handler(e, c):\n    return 3\n")
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=estate.function)
    plan = load_undo(case, undo_path)
    undone = run_undo(case, estate.clients(), plan, apply=True, run="respond/u")
    assert undone.changed == () and undone.unchecked == ()
    concurrency = lam.get_function_concurrency(FunctionName=estate.function)
    assert concurrency["ReservedConcurrentExecutions"] == 5


def test_each_undo_call_watches_only_what_it_writes() -> None:
    from lambda_ir.respond.drift import _plain, _unknown, watch
    from lambda_ir.respond.plan import AwsCall

    trigger = watch(AwsCall("lambda", "UpdateEventSourceMapping", {"UUID": "u1", "Enabled": True}))
    assert trigger is not None and trigger.api == "lambda:ListEventSourceMappings"

    def mappings(*states: tuple[str, str]) -> list[object]:
        found = [{"UUID": uuid, "State": state} for uuid, state in states]
        return _plain([{"EventSourceMappings": found}])

    before = mappings(("u1", "Disabled"), ("u2", "Enabled"))
    # another function's trigger (the listing is the region's) changes, or a new one comes
    assert trigger.part(before) == trigger.part(mappings(("u1", "Disabled"), ("u2", "Disabled")))
    assert trigger.part(before) == trigger.part(mappings(("u3", "Enabled"), ("u1", "Disabled")))
    assert trigger.part(before) != trigger.part(mappings(("u1", "Enabled"), ("u2", "Enabled")))

    variables = {"FunctionName": "f", "Environment": {"Variables": {"HOOK": "evil"}}}
    settings = watch(AwsCall("lambda", "UpdateFunctionConfiguration", variables))
    assert settings is not None and settings.api == "lambda:GetFunction"

    def function(sha: str, env: dict[str, str]) -> list[object]:
        configuration = {"FunctionArn": "arn:aws:lambda:r:1:function:f", "CodeSha256": sha}
        return _plain([{"Configuration": configuration | {"Environment": {"Variables": env}}}])

    assert settings.part(function("a", {"S": "1"})) == settings.part(function("b", {"S": "1"}))
    assert settings.part(function("a", {"S": "1"})) != settings.part(function("a", {"S": "2"}))
    # a read that failed (throttled, denied) cannot tell; "not found" is an answer
    assert _unknown(["error throttled"]) == "throttled" and _unknown(["error not-found"]) == ""
