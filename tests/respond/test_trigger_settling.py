"""disable-triggers waits for a mapping on its way to a state before planning it at --apply.

Lambda shows `Creating`, `Enabling` or `Updating` before a mapping settles, and nothing in the
answer says whether it will end enabled (the emulator plays it with
`mapping_settle_seconds`). Planned at once, a mapping created or updated *disabled* was
"disabled", and its undo *enabled* it: the undo turned on a trigger that had never run. A dry
run waits for nothing (it slept up to a minute): it says the mapping is on its way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.respond import Status, contain, disable_triggers, load_undo, run_undo
from lambda_ir.respond.plan import Change
from lambda_ir.respond.target import Target, resolve_target
from tests.respond.conftest import Estate

SETTLE = 1.5  # seconds a mapping stays on its way (AWS: seconds to a minute)


@pytest.fixture
def settling(emulator_session: Emulator) -> Iterator[None]:
    extras = emulator_session.gateway.extras
    extras.mapping_settle_seconds = SETTLE
    try:
        yield
    finally:
        extras.mapping_settle_seconds = 0.0


def _mapping(estate: Estate, queue: str, **options: Any) -> str:
    sqs = estate.client("sqs")
    url = sqs.create_queue(QueueName=f"{estate.function}-{queue}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    lam = estate.client("lambda")
    created = lam.create_event_source_mapping(
        FunctionName=estate.function, EventSourceArn=arn["QueueArn"], **options
    )
    return str(created["UUID"])


def _state(estate: Estate, uuid: str) -> str:
    return str(estate.client("lambda").get_event_source_mapping(UUID=uuid)["State"])


def test_the_emulator_shows_a_mapping_on_its_way_then_settled(
    estate: Estate, settling: None
) -> None:
    uuid = _mapping(estate, "q", Enabled=False)
    assert _state(estate, uuid) == "Creating"
    listed = estate.client("lambda").list_event_source_mappings(FunctionName=estate.function)
    assert [m["State"] for m in listed["EventSourceMappings"]] == ["Creating"]
    estate.client("lambda").update_event_source_mapping(UUID=uuid, BatchSize=5)
    assert _state(estate, uuid) == "Updating"
    updated = estate.client("lambda").update_event_source_mapping(UUID=uuid, Enabled=True)
    assert updated["State"] == "Enabling"


def _waited(case: Case, run: str, uuid: str) -> bool:
    """Whether the plan read the mapping again (it found it on its way and waited)."""
    before = (case.root / run / "before.json").read_text()
    return "lambda:GetEventSourceMapping" in before and uuid in before


def _planned_at_apply(estate: Estate) -> tuple[list[Change], Target]:
    """disable-triggers' changes as `--apply` plans them (once the evidence is saved)."""
    target = resolve_target(estate.clients(), estate.function, estate.region, datetime.now(UTC))
    return disable_triggers.plan(target, None), target


def _read_again(target: Target, uuid: str) -> bool:
    return any(
        r.api == "lambda:GetEventSourceMapping" and r.params == {"UUID": uuid} for r in target.reads
    )


def test_a_mapping_created_disabled_is_left_alone(estate: Estate, settling: None) -> None:
    uuid = _mapping(estate, "q", Enabled=False)
    assert _state(estate, uuid) == "Creating"
    changes, target = _planned_at_apply(estate)
    assert changes == [] and _read_again(target, uuid) and _state(estate, uuid) == "Disabled"


def test_a_disabled_mapping_being_updated_is_left_alone(
    estate: Estate, emulator_session: Emulator
) -> None:
    uuid = _mapping(estate, "q", Enabled=False)
    emulator_session.gateway.extras.mapping_settle_seconds = SETTLE
    try:
        estate.client("lambda").update_event_source_mapping(UUID=uuid, BatchSize=5)
        assert _state(estate, uuid) == "Updating"
        changes, target = _planned_at_apply(estate)
    finally:
        emulator_session.gateway.extras.mapping_settle_seconds = 0.0
    assert changes == [] and _read_again(target, uuid)


def test_a_dry_run_waits_for_nothing_and_says_the_mapping_is_on_its_way(
    estate: Estate, case: Case, emulator_session: Emulator
) -> None:
    emulator_session.gateway.extras.mapping_settle_seconds = 600.0  # stays on its way
    try:
        uuid = _mapping(estate, "q")
        started = time.monotonic()
        result = contain(case, estate.clients(), estate.session, estate.request("disable-triggers"))
        took = time.monotonic() - started
    finally:
        emulator_session.gateway.extras.mapping_settle_seconds = 0.0
    assert took < 5.0, f"the dry run waited {took:.1f} s"
    (change,) = result.plan.changes
    assert change.summary.endswith("(Creating: on its way, re-checked at --apply)")
    assert not _waited(case, result.run, uuid)
    assert result.state() == {"disable-triggers": "1 change(s) to do"}


def test_a_mapping_created_enabled_is_disabled_and_its_undo_enables_it(
    estate: Estate, case: Case, emulator_session: Emulator
) -> None:
    # with --apply the plan is made once the evidence is saved: on its way long enough
    emulator_session.gateway.extras.mapping_settle_seconds = 8.0
    try:
        uuid = _mapping(estate, "q")
        assert _state(estate, uuid) == "Creating"
        request = estate.request("disable-triggers", apply=True)
        result = contain(case, estate.clients(), estate.session, request)
    finally:
        emulator_session.gateway.extras.mapping_settle_seconds = 0.0
    assert _waited(case, result.run, uuid)
    assert [c.call.params for c in result.plan.changes if c.call] == [
        {"UUID": uuid, "Enabled": False}
    ]
    assert "still" not in result.plan.changes[0].summary
    assert result.outcomes[0].status is Status.APPLIED
    assert result.undo_path
    done = run_undo(case, estate.clients(), load_undo(case, result.undo_path), apply=True, run="u")
    assert [o.status for o in done.outcomes] == [Status.APPLIED]
    assert _state(estate, uuid) in ("Enabling", "Enabled")


def test_mappings_still_on_their_way_share_one_wait_and_are_disabled(
    estate: Estate, emulator_session: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three mappings on their way for longer than the plan waits: each waited in turn, the
    # plan took three waits (three minutes at SETTLE_WAIT).
    monkeypatch.setattr(disable_triggers, "SETTLE_WAIT", 2.0)
    emulator_session.gateway.extras.mapping_settle_seconds = 30.0
    try:
        uuids = [_mapping(estate, f"q{n}") for n in range(3)]
        started = time.monotonic()
        changes, target = _planned_at_apply(estate)
        took = time.monotonic() - started
        states = [_state(estate, uuid) for uuid in uuids]
    finally:
        emulator_session.gateway.extras.mapping_settle_seconds = 0.0
    assert states == ["Creating"] * 3 and all(_read_again(target, u) for u in uuids)
    assert took < 4.0, f"the plan waited {took:.1f} s"
    planned = {c.call.params["UUID"]: c.summary for c in changes if c.call}
    assert sorted(planned) == sorted(uuids)
    assert all("(still Creating after 2 s: its undo enables it)" in s for s in planned.values())
