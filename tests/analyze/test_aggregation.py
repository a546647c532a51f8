"""Repeated CloudTrail findings (same detector, principal, function, kind of change) are one
finding with a count, first and last time and every trail file."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_ir.analyze import trail_rows
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import (
    ct_add_permission,
    ct_code_update,
    ct_config_hooks,
    ct_function_url,
)
from lambda_ir.analyze.incidents import correlate
from lambda_ir.evidence import Case
from lambda_ir.model import Severity
from tests.analyze.casebuild import ACCOUNT, REGION, CaseBuilder, role_identity, run_detector
from tests.analyze.casebuild import trail_event as event

ORDERS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"


def _url(n: int, function: str, session: str, cors: Any = None) -> dict[str, Any]:
    request = {"functionName": function, "authType": "NONE", **({"cors": cors} if cors else {})}
    return event(
        "CreateFunctionUrlConfig20211031",
        request,
        identity=role_identity("deployer", session),
        event_id=f"u{n}",
        time=f"2026-11-0{n}T12:00:00Z",
    )


def test_like_calls_of_one_role_are_one_finding(builder: CaseBuilder) -> None:
    first = builder.trail([_url(1, "orders", "s1"), _url(2, "orders", "s2")], name="a")
    second = builder.trail([_url(3, "orders", "s3"), _url(4, "billing", "s1")], name="b")
    builder.trail([_url(5, "orders", "s4", cors={"allowOrigins": ["*"]})], name="c")
    found = run_detector(builder, ct_function_url.DETECTOR)
    assert len(found) == 3  # orders x3 (two sessions of one role), billing, orders with CORS *
    orders = next(f for f in found if f.resource == ORDERS and f.details.get("events"))
    assert orders.details["events"] == 3
    assert orders.details["event_ids"] == ["u1", "u2", "u3"]
    assert orders.time == "2026-11-01T12:00:00Z"
    assert orders.details["last"] == "2026-11-03T12:00:00Z"
    assert {ref.path for ref in orders.evidence} == {first.path, second.path}
    assert orders.summary.endswith(
        "Seen 3 times from 2026-11-01T12:00:00Z to 2026-11-03T12:00:00Z."
    )
    alone = [f for f in found if not f.details.get("events")]
    assert sorted(f.details["event_id"] for f in alone) == ["u4", "u5"]
    assert all("Seen" not in f.summary for f in alone)  # one call reads as before


def test_grants_group_by_grant_and_code_changes_by_person(builder: CaseBuilder) -> None:
    user = {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/bob", "userName": "bob"}
    grants = [
        event(
            "AddPermission20150331v2",
            {"functionName": "orders", "principal": principal, "statementId": f"s{n}"},
            identity=user,
            event_id=f"g{n}",
        )
        for n, principal in enumerate(("*", "*", "999988887777"))
    ]
    code = [
        event(
            "UpdateFunctionCode20150331v2",
            {"functionName": "orders"},
            identity=user,
            event_id=f"c{n}",
            source_ip="203.0.113.9",
        )
        for n in range(2)
    ]
    builder.trail([*grants, *code])
    permissions = run_detector(builder, ct_add_permission.DETECTOR)
    assert {(f.severity, f.details.get("events", 1)) for f in permissions} == {
        (Severity.HIGH, 2),  # two grants to anyone
        (Severity.MEDIUM, 1),  # one to another account
    }
    [change] = run_detector(builder, ct_code_update.DETECTOR)
    assert change.details["events"] == 2 and change.details["event_ids"] == ["c0", "c1"]


def test_a_group_of_one_lists_what_a_group_of_several_lists(builder: CaseBuilder) -> None:
    """`select_groups` makes a group of one event's lists from its row and aggregates only
    larger groups: both carry their ids, trail files, operations, last time and their
    distinct addresses and keys (none for a call with neither), in the same shapes."""

    def call(n: int, function: str, ip: str, key: str) -> dict[str, Any]:
        identity = {**role_identity("deployer", f"s{n}"), "accessKeyId": key}
        return _url(n, function, f"s{n}") | {"sourceIPAddress": ip, "userIdentity": identity}

    first = builder.trail([call(1, "orders", "192.0.2.7", "ASIAKEY1"), call(2, "solo", "", "")])
    second = builder.trail([call(3, "orders", "198.51.100.7", "ASIAKEY2")], name="b")
    builder.trail([call(4, "orders", "192.0.2.7", "ASIAKEY1")], name="c")
    builder.trail([call(5, "alone", "203.0.113.5", "ASIAKEY5")], name="d")
    view = CaseView(Case.open(builder.root))
    where = "operation = 'CreateFunctionUrlConfig'"
    groups = {
        g.first.function_name: g for g in trail_rows.select_groups(view, where, by="function_name")
    }
    assert list(groups) == ["orders", "solo", "alone"]  # by each group's earliest call
    orders, solo, alone = groups["orders"], groups["solo"], groups["alone"]
    assert orders.event_ids == ("u1", "u3", "u4") and orders.size == 3
    assert [ref.path for ref in orders.evidence[:2]] == [first.path, second.path]
    assert orders.addresses == ("192.0.2.7", "198.51.100.7")
    assert orders.access_keys == ("ASIAKEY1", "ASIAKEY2")
    assert orders.last == "2026-11-04T12:00:00Z"
    assert orders.operations == solo.operations == alone.operations
    assert orders.operations == ("CreateFunctionUrlConfig",)
    assert solo.event_ids == ("u2",) and solo.evidence == (solo.first.evidence,)
    assert solo.addresses == () and solo.access_keys == ()
    assert solo.last == solo.first.time == "2026-11-02T12:00:00Z"
    assert alone.event_ids == ("u5",) and alone.size == 1
    assert alone.addresses == ("203.0.113.5",) and alone.access_keys == ("ASIAKEY5",)
    assert alone.last == "2026-11-05T12:00:00Z"


def test_groups_read_in_batches_refuse_a_query_meanwhile(
    builder: CaseBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Groups come from DuckDB a batch at a time; another query on the index in between would
    end the result early, which is an error, never a silently shorter list."""
    builder.trail([_url(n, f"fn-{n}", "s1") for n in range(1, 4)])
    view = CaseView(Case.open(builder.root))
    where = "operation = 'CreateFunctionUrlConfig'"
    assert len(list(trail_rows.select_groups(view, where, by="function_name"))) == 3
    monkeypatch.setattr(trail_rows, "GROUP_BATCH", 1)
    groups = trail_rows.select_groups(view, where, by="function_name")
    assert next(groups).first.function_name == "fn-1"
    view.index.execute("SELECT 1").fetchall()
    ended = r"queried while groups were read: the result ended after 1$"
    with pytest.raises(RuntimeError, match=ended):
        list(groups)


def test_grants_and_code_changes_hours_apart_are_findings_of_their_own(
    builder: CaseBuilder,
) -> None:
    """Like grants and code changes by one user group per session (the incidents' gap): a
    public grant at 23:00 from another key is not merged into the 01:00 one; two code changes an
    hour apart from two keys (one address: a new one is a kind of its own) are one finding
    naming both keys."""
    keys = ("AKIABOBKEY0000000001", "AKIAOTHERKEY00000002")

    def user(key: str) -> dict[str, Any]:
        arn = f"arn:aws:iam::{ACCOUNT}:user/bob"
        return {"type": "IAMUser", "arn": arn, "userName": "bob", "accessKeyId": key}

    grants = [
        event(
            "AddPermission20150331v2",
            {"functionName": "orders", "principal": "*", "statementId": f"s{n}"},
            identity=user(key),
            event_id=f"g{n}",
            time=f"2026-11-01T{hour:02d}:00:00Z",
            source_ip=ip,
        )
        for n, (hour, key, ip) in enumerate(
            ((1, keys[0], "192.0.2.7"), (23, keys[1], "203.0.113.66"))
        )
    ]
    code = [
        event(
            "UpdateFunctionCode20150331v2",
            {"functionName": "orders"},
            identity=user(key),
            event_id=f"c{n}",
            time=f"2026-11-01T1{n}:00:00Z",
            source_ip=ip,
        )
        for n, (key, ip) in enumerate(zip(keys, ("192.0.2.7", "192.0.2.7"), strict=True))
    ]
    builder.trail([*grants, *code])
    permissions = sorted(run_detector(builder, ct_add_permission.DETECTOR), key=lambda f: f.id)
    assert sorted(f.details["event_id"] for f in permissions) == ["g0", "g1"]
    late = next(f for f in permissions if f.details["event_id"] == "g1")
    assert late.actor is not None and late.actor.access_key_id == keys[1]
    [change] = run_detector(builder, ct_code_update.DETECTOR)
    assert change.details["event_ids"] == ["c0", "c1"]
    assert change.details["access_keys"] == list(keys)
    assert change.details["source_ips"] == ["192.0.2.7"]


def test_like_layer_calls_list_every_address_and_key(builder: CaseBuilder) -> None:
    layer = f"arn:aws:lambda:{REGION}:999988887777:layer:helper:3"
    calls = [
        event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": "orders", "layers": [layer]},
            identity={**role_identity("deployer", f"s{n}"), "accessKeyId": f"ASIAKEY{n}"},
            event_id=f"l{n}",
            source_ip=address,
            time=f"2026-11-01T{12 + n}:00:00Z",  # one session: hours apart
        )
        for n, address in enumerate(("198.51.100.7", "203.0.113.9", "198.51.100.7"))
    ]
    builder.trail(calls)
    [finding] = run_detector(builder, ct_config_hooks.DETECTOR)
    assert finding.details["events"] == 3
    assert finding.details["source_ips"] == ["198.51.100.7", "203.0.113.9"]
    assert finding.details["access_keys"] == ["ASIAKEY0", "ASIAKEY1", "ASIAKEY2"]


def test_like_layer_calls_days_apart_are_findings_of_their_own(builder: CaseBuilder) -> None:
    """The same foreign layer set by one user on day 12 and again on day 20 is two findings
    (the incidents' gap), each named by its own first call, so the day-20 incident has its
    layer step and the day-12 one is not stretched to day 20."""
    layer = f"arn:aws:lambda:{REGION}:999988887777:layer:x:1"
    eve = {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/eve", "userName": "eve"}
    calls = [
        event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": "orders", "layers": [layer]},
            identity=eve,
            event_id=event_id,
            time=when,
        )
        for event_id, when in (
            ("L12", "2026-10-12T03:00:00Z"),
            ("L12b", "2026-10-12T05:00:00Z"),
            ("L20", "2026-10-20T03:00:00Z"),
        )
    ]
    builder.trail(calls)
    found = run_detector(builder, ct_config_hooks.DETECTOR)
    assert [(f.time, f.details.get("event_ids")) for f in found] == [
        ("2026-10-12T03:00:00Z", ["L12", "L12b"]),
        ("2026-10-20T03:00:00Z", None),
    ]
    assert found[0].details["last"] == "2026-10-12T05:00:00Z"
    assert len({f.id for f in found}) == 2
    incidents, _ = correlate(found)
    assert [(i.first, i.last) for i in incidents] == [
        ("2026-10-12T03:00:00Z", "2026-10-12T05:00:00Z"),
        ("2026-10-20T03:00:00Z", "2026-10-20T03:00:00Z"),
    ]
    assert all("strip-layers" in i.actions for i in incidents)


def test_like_calls_without_a_time_say_so_not_none(builder: CaseBuilder) -> None:
    """Like calls whose records hold no eventTime (`event_time` NULL) are one finding whose
    summary says none has a time; its `time` and `details.last` stay null."""
    calls = [_url(n, "orders", f"s{n}") for n in (1, 2, 3)]
    for call in calls:
        del call["eventTime"]
    builder.trail(calls)
    [finding] = run_detector(builder, ct_function_url.DETECTOR)
    assert finding.time is None and finding.details["last"] is None
    assert finding.summary.endswith("Seen 3 times, none at a time the index could read.")
    assert "None" not in finding.summary


def test_like_layer_calls_of_which_the_last_has_no_time(builder: CaseBuilder) -> None:
    """`LIR-CT-003` groups a timed call with a later untimed one (no gap between them can be
    measured): the span names the first time and says the last is unknown."""
    layer = f"arn:aws:lambda:{REGION}:999988887777:layer:helper:3"
    calls = [
        event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": "orders", "layers": [layer]},
            identity=role_identity("deployer", f"s{n}"),
            event_id=f"l{n}",
        )
        for n in range(2)
    ]
    del calls[1]["eventTime"]
    builder.trail(calls)
    [finding] = run_detector(builder, ct_config_hooks.DETECTOR)
    assert finding.details["events"] == 2 and finding.details["last"] is None
    assert finding.summary.endswith(
        "Seen 2 times from 2026-11-02T12:00:00Z to an unknown time (the event gives none the "
        "index could read)."
    )
