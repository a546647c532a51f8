"""When did the incident begin? Stolen keys have a legitimate history that must stay out."""

from __future__ import annotations

import dataclasses

from lambda_ir.model import Actor, EvidenceRef, Finding, Severity, TimelineEvent
from lambda_ir.report.facts import _since

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
