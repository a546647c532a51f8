"""LIR-CT-014: the functions CloudFormation changed after a stack update whose caller acted off
its usual paths (a stolen deploy role's `update-stack` from its own machine).

The trail is shaped like a real one: a pipeline's `sam deploy` starts `UpdateStack` from its
runner network, then CloudFormation's calls to Lambda come from `cloudformation.amazonaws.com`
as the stack's role (`invokedBy`), which LIR-CT-012 takes for the stack's routine release.
"""

from __future__ import annotations

from typing import Any

from lambda_ir.analyze.detectors import ALL, ct_stack_change
from lambda_ir.model import Severity
from tests.analyze.casebuild import (
    ACCOUNT,
    REGION,
    CaseBuilder,
    ci_identity,
    function_config,
    role_identity,
    run_detector,
    trail_event,
)

SAM = "aws-sam-cli/1.120.0 aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64 command/deploy"
CFN = "cloudformation.amazonaws.com"
RUNNER = "198.51.100.20"
STACK = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/orders-api/0a1b2c3d"


def _stack_call(
    n: int, time: str, *, stack: str = "orders-api", ip: str = RUNNER, agent: str = SAM, **kw: Any
) -> dict[str, Any]:
    return trail_event(
        kw.pop("name", "UpdateStack"),
        {"stackName": stack, "capabilities": ["CAPABILITY_IAM"]},
        source="cloudformation.amazonaws.com",
        identity=kw.pop("identity", ci_identity(n)),
        event_id=f"s{n}",
        time=time,
        user_agent=agent,
        source_ip=ip,
    )


def _cfn_write(
    n: int, time: str, function: str, name: str = "UpdateFunctionCode20150331v2"
) -> dict:
    # CloudFormation acting with the stack's role: its address and agent, `invokedBy`
    identity = role_identity("orders-api-CloudFormationExecution", f"cfn-{n}") | {"invokedBy": CFN}
    return trail_event(
        name,
        {"functionName": function},
        identity=identity,
        event_id=f"w{n}",
        time=time,
        user_agent=CFN,
        source_ip=CFN,
    )


def _stack_set_call(n: int, time: str, stack_set: str) -> dict[str, Any]:
    """An UpdateStackSet by a CI session from an intruder's machine."""
    return trail_event(
        "UpdateStackSet",
        {"stackSetName": stack_set},
        source="cloudformation.amazonaws.com",
        identity=ci_identity(n),
        event_id=f"s{n}",
        time=time,
        user_agent="aws-cli/2.15.0",
        source_ip="203.0.113.66",
    )


def _history() -> list[dict[str, Any]]:
    """Ten days of the pipeline's releases of two stacks, each followed by CloudFormation's
    Lambda calls."""
    events = []
    for day in range(1, 11):
        events.append(_stack_call(day, f"2026-11-{day:02d}T10:00:00Z"))
        events.append(_cfn_write(day, f"2026-11-{day:02d}T10:02:00Z", "orders-api-Fn-A1B2"))
        events.append(_stack_call(100 + day, f"2026-11-{day:02d}T10:05:00Z", stack="billing"))
        events.append(_cfn_write(100 + day, f"2026-11-{day:02d}T10:07:00Z", "billing-Fn-C3D4"))
    return events


def test_a_stolen_deploy_roles_stack_update_is_reported_for_the_functions_it_changed(
    builder: CaseBuilder,
) -> None:
    stolen = _stack_call(
        50, "2026-11-12T02:10:00Z", stack=STACK, ip="203.0.113.66", agent="aws-cli/2.15.0"
    )
    builder.trail(
        [
            *_history(),
            stolen,
            _cfn_write(50, "2026-11-12T02:12:00Z", "orders-api-Fn-A1B2"),
            _cfn_write(51, "2026-11-12T02:12:30Z", "orders-api-Fn-A1B2", "PublishVersion20150331"),
            # the pipeline's own billing release in the same hour: not the intruder's
            _stack_call(60, "2026-11-12T02:20:00Z", stack="billing"),
            _cfn_write(60, "2026-11-12T02:21:00Z", "billing-Fn-C3D4"),
        ]
    )
    (found,) = run_detector(builder, ct_stack_change.DETECTOR)
    assert found.severity is Severity.MEDIUM  # network and tool new for the role
    assert found.resource == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-api-Fn-A1B2"
    assert found.actor.source_ip == "203.0.113.66"  # the caller, not CloudFormation
    assert found.details["baseline"]["new"] == ["network", "tool"]
    assert found.details["lambda_event_ids"] == ["w50", "w51"]
    assert found.details["stack"] == "orders-api"
    assert "started UpdateStack of orders-api from 203.0.113.66 with CLI" in found.summary
    assert "network 203.0.113.0/24 (203.0.113.66) never used by" in found.summary
    assert "(UpdateFunctionCode, PublishVersion, from 2026-11-12T02:12:00Z)" in found.summary


def test_the_pipelines_own_releases_and_a_new_stack_without_a_function_change_are_quiet(
    builder: CaseBuilder,
) -> None:
    person = role_identity("AWSReservedSSO_Admin_abc", "dana@example.com")
    builder.trail(
        [
            *_history(),
            # day 11: the pipeline as ever
            _stack_call(11, "2026-11-11T10:00:00Z"),
            _cfn_write(11, "2026-11-11T10:02:00Z", "orders-api-Fn-A1B2"),
            # a person's first stack from the console, changing no function
            _stack_call(
                70,
                "2026-11-11T15:00:00Z",
                stack="dashboards",
                name="CreateStack",
                identity=person,
                ip="192.0.2.44",
                agent="Mozilla/5.0 (console)",
            ),
        ]
    )
    assert run_detector(builder, ct_stack_change.DETECTOR) == []


def test_too_short_a_stack_history_judges_nothing(builder: CaseBuilder) -> None:
    builder.trail(
        [
            _stack_call(1, "2026-11-01T10:00:00Z", ip="203.0.113.66", agent="aws-cli/2.15.0"),
            _cfn_write(1, "2026-11-01T10:02:00Z", "orders-api-Fn-A1B2"),
        ]
    )
    assert run_detector(builder, ct_stack_change.DETECTOR) == []


def test_it_is_one_of_the_detectors_analyze_runs() -> None:
    assert ct_stack_change.DETECTOR in ALL


def test_evasions_of_the_stack_check(builder: CaseBuilder) -> None:
    """What an intruder could try: a throwaway stack call the day before to teach the history
    its network and tool (known takes two days), a user agent naming lambda-ir, a change held
    back past the hour (a wait condition), and a function with a name of its own (the latest
    stack call before it, within the hour). A new person's unrelated stack just before the
    pipeline's routine release does not take the release as its own."""
    thief = {"ip": "203.0.113.66", "agent": "aws-cli/2.15.0 exec-env/lambda-ir"}
    person = role_identity("AWSReservedSSO_Admin_abc", "dana@example.com")
    builder.trail(
        [
            *_history(),
            # day 11: the throwaway, changing nothing
            _stack_call(40, "2026-11-11T22:30:00Z", stack="scratch", name="CreateStack", **thief),
            # day 12: the update, its change held 90 minutes
            _stack_call(41, "2026-11-12T00:02:00Z", stack="orders-api", **thief),
            _cfn_write(41, "2026-11-12T01:32:00Z", "orders-api-Fn-A1B2"),
            # day 13: a function with a name of its own, five minutes after
            _stack_call(42, "2026-11-13T00:02:00Z", stack="payments", ip="198.18.90.4"),
            _cfn_write(42, "2026-11-13T00:07:00Z", "payments-prod"),
            # day 14: a person's first stack, then the pipeline's release of orders-api
            _stack_call(
                43,
                "2026-11-14T09:55:00Z",
                stack="dashboards",
                name="CreateStack",
                identity=person,
                ip="192.0.2.44",
                agent="Mozilla/5.0 (console)",
            ),
            _stack_call(14, "2026-11-14T09:58:00Z"),
            _cfn_write(14, "2026-11-14T10:02:00Z", "orders-api-Fn-A1B2"),
        ]
    )
    found = {f.details["event_id"]: f for f in run_detector(builder, ct_stack_change.DETECTOR)}
    assert sorted(found) == ["s41", "s42"]
    assert found["s41"].details["baseline"]["new"] == ["network", "tool"]
    assert found["s41"].details["lambda_event_ids"] == ["w41"]
    assert found["s42"].resource.endswith(":function:payments-prod")


def test_a_stack_sets_update_counts_for_its_instances_in_the_account(builder: CaseBuilder) -> None:
    """A stack set's instance stacks are `StackSet-<name>-<id>`: CloudFormation's writes to
    their functions belong to the set's UpdateStackSet, named by the set (or its ARN)."""
    arn = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stackset/orders:3f2a-11"
    stolen = _stack_set_call(77, "2026-11-12T02:10:00Z", arn)
    function = "StackSet-orders-3f2a11bb-Fn-9Q8W7E"
    builder.trail([*_history(), stolen, _cfn_write(77, "2026-11-12T02:40:00Z", function)])
    (found,) = run_detector(builder, ct_stack_change.DETECTOR)
    assert found.resource.endswith(f":function:{function}")
    assert found.details["stack"] == "StackSet-orders"
    assert "started UpdateStackSet of StackSet-orders from 203.0.113.66" in found.summary


def test_an_intruders_call_is_not_hidden_by_the_pipelines_in_the_same_minutes(
    builder: CaseBuilder,
) -> None:
    """A write named after no stack belongs to every stack call in the hour before it: the
    pipeline's own call a minute after the intruder's must not take it (review 20c). A
    stack set's instance in another region of the account is the set's."""
    stolen = _stack_call(80, "2026-11-12T02:10:00Z", stack="reports", ip="203.0.113.66")
    stolen_set = _stack_set_call(81, "2026-11-13T02:10:00Z", "guard")
    elsewhere = _cfn_write(81, "2026-11-13T02:30:00Z", "StackSet-guard-0f1e2d3c-Fn-X")
    elsewhere["awsRegion"] = "us-east-1"
    builder.trail(
        [
            *_history(),
            stolen,
            _stack_call(82, "2026-11-12T02:11:00Z", stack="billing"),
            _cfn_write(80, "2026-11-12T02:12:00Z", "nightly-export"),
            stolen_set,
            elsewhere,
        ]
    )
    found = {f.details["event_id"]: f for f in run_detector(builder, ct_stack_change.DETECTOR)}
    assert sorted(found) == ["s80", "s81"]
    assert found["s80"].resource.endswith(":function:nightly-export")
    assert found["s81"].resource == (
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:StackSet-guard-0f1e2d3c-Fn-X"
    )


def _tagged(builder: CaseBuilder, function: str, stack: str) -> None:
    """The function as collect keeps GetFunction's answer: its stack in CloudFormation's tag."""
    builder.put(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/{function}/get-function/$LATEST.json",
        {
            "Configuration": function_config(function),
            "Code": {},
            "Tags": {"aws:cloudformation:stack-name": stack, "team": "payments"},
        },
        "function",
        "lambda:GetFunction",
        FunctionName=function,
        Qualifier="$LATEST",
    )


def test_a_functions_stack_tag_names_the_stack_call_it_belongs_to(builder: CaseBuilder) -> None:
    """A function with a name of its own belongs to the stack its tag names: a change held
    three hours (past the hour a write named after no stack waits) is the intruder's stack
    call's, and the pipeline's change in the minute after the intruder's call is not. A nested
    stack's function belongs to its parent's call."""
    thief = {"ip": "203.0.113.66", "agent": "aws-cli/2.15.0"}
    _tagged(builder, "settle-prod", "payments")
    _tagged(builder, "export-prod", "billing")
    _tagged(builder, "ledger", "payments-LedgerStack-1QW2E3R4")
    builder.trail(
        [
            *_history(),
            _stack_call(90, "2026-11-12T02:10:00Z", stack="payments", **thief),
            _stack_call(91, "2026-11-12T02:11:00Z", stack="billing"),
            _cfn_write(91, "2026-11-12T02:12:00Z", "export-prod"),
            _cfn_write(90, "2026-11-12T05:10:00Z", "settle-prod"),
            _cfn_write(92, "2026-11-12T05:11:00Z", "ledger"),
        ]
    )
    found = run_detector(builder, ct_stack_change.DETECTOR)
    assert {f.details["event_id"] for f in found} == {"s90"}
    assert sorted(f.resource.rsplit(":", 1)[1] for f in found) == ["ledger", "settle-prod"]
    assert sorted(e for f in found for e in f.details["lambda_event_ids"]) == ["w90", "w92"]
