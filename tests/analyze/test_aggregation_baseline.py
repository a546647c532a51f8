"""LIR-CT-012 aggregated per principal, function and kind of novelty (not per day); incidents
placing an aggregated finding at its first call; the usual-hours window of the baseline.

Times are fixed data that never pass through a date-checking API: the baseline reads only
the events' own dates, so these tests hold whatever today's date is.
"""

from __future__ import annotations

from typing import Any

from lambda_ir.analyze.detectors import ct_unusual_change
from lambda_ir.analyze.incidents import GAP_HOURS, correlate
from lambda_ir.model import Severity
from tests.analyze.casebuild import ACCOUNT, CaseBuilder, role_identity, run_detector, trail_event

TERRAFORM = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io)"
CI_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ci"


def _release(
    day: int, hour: int, n: int, *, ip: str = "192.0.2.10", fn: str = "orders"
) -> dict[str, Any]:
    return trail_event(
        "UpdateFunctionCode20150331v2",
        {"functionName": fn, "publish": True},
        identity=role_identity("ci", f"run-{n}"),
        event_id=f"r{n:03d}",
        time=f"2026-10-{day:02d}T{hour:02d}:20:00Z",
        user_agent=TERRAFORM,
        source_ip=ip,
    )


def _history() -> list[dict[str, Any]]:
    """Ten days of CI releases of `orders` and `billing` from one runner network, at 10:00,
    12:00 and 13:00 in turn: no single hour is seen on two days before the fourth day."""
    out = []
    for day in range(1, 11):
        hour = (10, 12, 13)[day % 3]
        out.append(_release(day, hour, day))
        out.append(_release(day, hour, 100 + day, fn="billing"))
    return out


def test_like_unusual_changes_in_one_session_are_one_finding(builder: CaseBuilder) -> None:
    late = [  # the same role from one new network: on orders thrice in a session, billing a day on
        _release(20, 10, 201, ip="203.0.113.5"),
        _release(20, 12, 202, ip="203.0.113.6"),
        _release(20, 13, 203, ip="203.0.113.7"),
        _release(21, 13, 204, ip="203.0.113.7", fn="billing"),
    ]
    late[1]["eventName"] = "UpdateFunctionConfiguration20150331v2"
    builder.trail([*_history(), *late])
    found = sorted(run_detector(builder, ct_unusual_change.DETECTOR), key=lambda f: f.resource)
    assert [f.resource.rsplit(":", 1)[-1] for f in found] == ["billing", "orders"]
    billing, orders = found
    # the network, and that the role, which kept to its runners' for ten days, moved at all
    assert orders.severity is Severity.MEDIUM
    assert orders.details["baseline"]["new"] == ["network", "pinned"]
    # the next day the new network was seen on one day only: not established, still pinned
    assert billing.severity is Severity.MEDIUM
    assert billing.details["baseline"]["new"] == ["network", "pinned"]
    assert orders.details["events"] == 3
    assert orders.details["event_ids"] == ["r201", "r202", "r203"]
    assert orders.details["operations"] == ["UpdateFunctionCode", "UpdateFunctionConfiguration"]
    assert orders.time == "2026-10-20T10:20:00Z"
    assert orders.details["last"] == "2026-10-20T13:20:00Z"
    assert "Seen 3 times from 2026-10-20T10:20:00Z to 2026-10-20T13:20:00Z." in orders.summary
    assert orders.details["source_ips"] == ["203.0.113.5", "203.0.113.6", "203.0.113.7"]
    assert len(orders.evidence) == 1  # one trail file holds all three
    assert billing.details["event_id"] == "r204" and "events" not in billing.details

    incidents, tagged = correlate(found)
    # The aggregate belongs where its first call falls: billing's change a day later is
    # an incident of its own, not chained to it through orders' last call.
    assert len(incidents) == 2
    first = next(i for i in incidents if orders.id in i.findings)
    assert (first.first, first.last) == ("2026-10-20T10:20:00Z", "2026-10-20T13:20:00Z")
    assert billing.id not in first.findings
    assert {f.id: f.incident for f in tagged}[orders.id] == first.id
    assert GAP_HOURS < 24


def test_an_unusual_change_without_a_recorded_address_says_so(builder: CaseBuilder) -> None:
    """A release far from the usual hours whose record gives no sourceIPAddress: the summary
    says the address is unrecorded, not "from  at"."""
    late = _release(12, 17, 401)
    del late["sourceIPAddress"]
    builder.trail([*_history(), late])
    (finding,) = run_detector(builder, ct_unusual_change.DETECTOR)
    assert finding.summary.startswith(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/ci/run-401 changed orders (UpdateFunctionCode) "
        "from an unrecorded address at 2026-10-12T17:20:00Z; "
    )


def test_ci_releasing_at_a_new_hour_inside_its_window_is_quiet(builder: CaseBuilder) -> None:
    """Hours seen within ±2 h on two or more days are usual: 11:20 sits between the CI's
    10:00/12:00/13:00 releases (none of them on two days within ±1 h before day 4)."""
    builder.trail([*_history(), _release(4, 11, 301), _release(12, 11, 302)])
    assert run_detector(builder, ct_unusual_change.DETECTOR) == []


def test_a_release_far_from_the_usual_hours_is_raised(builder: CaseBuilder) -> None:
    builder.trail([*_history(), _release(12, 17, 401), _release(12, 23, 402)])
    # 17:20 and 23:20 are both far from 10:00-13:00: one kind of novelty and session, one finding
    (finding,) = run_detector(builder, ct_unusual_change.DETECTOR)
    assert finding.details["event_ids"] == ["r401", "r402"]
    assert finding.severity is Severity.LOW
    assert finding.details["baseline"]["new"] == ["hours"]
    assert "17:20 UTC is outside the usual hours by " + CI_ROLE in finding.summary


CLI = "aws-cli/2.15.0 Python/3.11.6 Linux/6.5 exe/x86_64.ubuntu.22"


def _user_change(
    day: int, n: int, *, key: str, ip: str, hour: int = 11, agent: str = CLI
) -> dict[str, Any]:
    return trail_event(
        "UpdateFunctionConfiguration20150331v2",
        {"functionName": "orders", "timeout": 30},
        identity={
            "type": "IAMUser",
            "arn": DEV,
            "accountId": ACCOUNT,
            "accessKeyId": key,
            "userName": "dev",
        },
        event_id=f"u{n:03d}",
        time=f"2026-10-{day:02d}T{hour:02d}:20:00Z",
        user_agent=agent,
        source_ip=ip,
    )


DEV = f"arn:aws:iam::{ACCOUNT}:user/dev"


def test_new_network_changes_from_another_key_and_network_are_not_merged(
    builder: CaseBuilder,
) -> None:
    """The developer's own new-network change on day 12 and an attacker's on day 20 (the same
    user's other key, another /24) are one kind of novelty: still two findings, the second
    naming the attacker's address and key, each its own incident."""
    key = "AKIADEVELOPER0000001"
    office = [_user_change(day, day, key=key, ip="192.0.2.44") for day in range(1, 11)]
    builder.trail(
        [
            *_history(),
            *office,
            _user_change(12, 501, key=key, ip="198.51.100.9"),
            _user_change(20, 502, key="AKIASTOLENKEY0000002", ip="203.0.113.66"),
        ]
    )
    found = sorted(run_detector(builder, ct_unusual_change.DETECTOR), key=lambda f: f.time or "")
    assert [f.details.get("event_id") for f in found] == ["u501", "u502"]
    developer, attacker = found
    assert developer.details["baseline"]["new"] == attacker.details["baseline"]["new"]
    assert attacker.actor is not None
    assert (attacker.actor.source_ip, attacker.actor.access_key_id) == (
        "203.0.113.66",
        "AKIASTOLENKEY0000002",
    )
    incidents, _ = correlate(found)
    assert len(incidents) == 2


BOTO = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5 lang/python#3.11.6"


def test_one_session_from_two_addresses_is_one_finding_naming_both(builder: CaseBuilder) -> None:
    """Two like changes two hours apart from two new networks and keys with a new tool: one
    (MEDIUM) finding that lists both addresses and keys, and its incident's actor holds both
    keys to deactivate."""
    key, other = "AKIADEVELOPER0000001", "AKIASTOLENKEY0000002"
    office = [_user_change(day, day, key=key, ip="192.0.2.44") for day in range(1, 11)]
    builder.trail(
        [
            *_history(),
            *office,
            _user_change(12, 601, key=key, ip="198.51.100.9", agent=BOTO),
            _user_change(12, 602, key=other, ip="203.0.113.66", hour=13, agent=BOTO),
        ]
    )
    (finding,) = run_detector(builder, ct_unusual_change.DETECTOR)
    assert finding.severity is Severity.MEDIUM
    assert finding.details["event_ids"] == ["u601", "u602"]
    assert finding.details["source_ips"] == ["198.51.100.9", "203.0.113.66"]
    assert finding.details["access_keys"] == [key, other]
    (incident,), _ = correlate([finding])
    (actor,) = incident.actors
    assert set(actor.access_keys) == {key, other}
    assert set(actor.addresses) == {"198.51.100.9", "203.0.113.66"}
    assert {f"deactivate-key={k}" for k in (key, other)} <= set(incident.actions)
