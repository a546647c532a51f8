"""When did the incident begin? Stolen keys have a legitimate history that must stay out."""

from __future__ import annotations

import dataclasses

from lambda_ir.model import Actor, EvidenceRef, Finding, Severity, TimelineEvent
from lambda_ir.report.facts import _keep, _since

CI = "arn:aws:iam::123456789012:user/ci-deployer"
REF = (EvidenceRef("trail/x.jsonl.gz", "0" * 64),)


def _finding(time: str, severity: Severity) -> Finding:
    return Finding(
        id=time,
        detector="LIR-CT-004",
        title="t",
        severity=severity,
        resource="arn:aws:lambda:us-east-1:123456789012:function:f",
        account="123456789012",
        region="us-east-1",
        summary="s",
        evidence=REF,
        time=time,
        actor=Actor(arn=CI, source_ip="203.0.113.66"),
    )


def _call(time: str) -> TimelineEvent:
    return TimelineEvent(time, "cloudtrail", "GetFunction", "f", "read", actor=CI)


def test_legitimate_history_of_the_stolen_key_is_not_the_start() -> None:
    findings = (_finding("2026-11-26T02:16:05Z", Severity.HIGH),)
    events = (_call("2026-11-01T10:00:00.000Z"), _call("2026-11-26T02:13:07.000Z"))
    assert _since(findings, events) == "2026-11-26T02:13:07.000Z"


def test_high_findings_anchor_before_medium_ones() -> None:
    findings = (
        _finding("2026-11-20T00:00:00Z", Severity.MEDIUM),
        _finding("2026-11-26T02:16:05Z", Severity.CRITICAL),
    )
    assert _since(findings, ()) == "2026-11-26T02:16:05.000Z"


def test_no_dated_finding_falls_back_to_the_flagged_actors_first_call() -> None:
    undated = dataclasses.replace(_finding("x", Severity.HIGH), time=None)
    assert _since((undated,), (_call("2026-11-02T00:00:00.000Z"),)) == "2026-11-02T00:00:00.000Z"
    assert _since((), ()) is None


def _event(time: str, kind: str = "GetFunction") -> TimelineEvent:
    return TimelineEvent(time, "cloudtrail", kind, "f", "read", actor=CI)


def test_the_page_keeps_the_incident_window_not_the_routine_weeks_before_it() -> None:
    # Ten routine calls on 1 Nov, then the attack on the 26th: with room for four events
    # the page keeps the attack's two and the latest two before the window, not 1 Nov's
    # first four; invocations fill nothing when calls take all the room.
    history = [_event(f"2026-11-01T10:{n:02d}:00.000Z") for n in range(10)]
    attack = [_event("2026-11-26T02:13:07.000Z"), _event("2026-11-26T02:16:05.000Z")]
    invocation = _event("2026-11-26T02:20:00.000Z", "invocation")
    floor = "2026-11-25T01:16:05.000Z"
    kept, total = _keep([*history, *attack, invocation], 4, floor=floor, stop=True)
    assert kept == (*history[-2:], *attack) and total == 13
    # without a floor (no dated sign), the first events, as before
    kept, total = _keep([*history, *attack], 4, floor=None, stop=False)
    assert kept == tuple(history[:4]) and total == 12
    # the window holds all it can carry: read no further, the count is left to DuckDB
    later = [_event(f"2026-11-26T03:{n:02d}:00.000Z") for n in range(5)]
    kept, total = _keep([*history, *attack, *later], 4, floor=floor, stop=True)
    assert kept == (*attack, *later[:2]) and total is None
