"""Small sources on their own: runtime snapshots, weighted aliases, findings without a time."""

from __future__ import annotations

from pathlib import Path

import orjson

from lambda_ir.evidence import Case
from lambda_ir.timeline.aliases import alias_events, describe_alias
from lambda_ir.timeline.findings import finding_events, read_findings
from lambda_ir.timeline.runtime import runtime_events


def test_runtime_snapshots_use_their_capture_time(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case")
    snapshot = {
        "captured_at": "2026-11-28T22:20:00Z",
        "function": "orders-api",
        "processes": [{"pid": 1}, {"pid": 7}],
        "connections": [{"remote": "203.0.113.9:4444"}],
    }
    case.put_json("runtime/a.json", snapshot, kind="runtime", meta={})
    case.put_json("runtime/b.json", {"function": "orders-api"}, kind="runtime")
    captured, undated = runtime_events(case)
    assert captured.time == "2026-11-28T22:20:00.000Z"
    assert captured.summary == "runtime snapshot of orders-api: 2 processes, 1 connections"
    assert undated.summary.endswith("(time of collection; the snapshot carries no capture time)")
    assert captured.evidence[0].path == "runtime/a.json"


def test_weighted_alias_reads_as_a_split() -> None:
    alias = {
        "Name": "live",
        "FunctionVersion": "2",
        "RoutingConfig": {"AdditionalVersionWeights": {"3": 0.1}},
    }
    assert describe_alias(alias) == "live → 2 (weighted: 3 at 10%)"


def test_alias_state_is_dated_at_collection(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case")
    entry = case.put_json(
        "raw/a.json",
        {"Aliases": [{"Name": "live", "FunctionVersion": "4"}]},
        kind="alias",
        params={"FunctionName": "fn"},
    )
    (event,) = alias_events(case)
    assert event.resource == "fn:live" and event.kind == "alias-state"
    assert event.time[:19] == entry.acquired_at[:19]


def test_undated_findings_stay_off_the_timeline_and_bad_ones_are_warnings(
    tmp_path: Path,
) -> None:
    case = Case.create(tmp_path / "case")
    good = {
        "id": "a",
        "detector": "D-1",
        "title": "t",
        "severity": "high",
        "resource": "r",
        "account": "1",
        "region": "eu-west-1",
        "summary": "s",
        "evidence": [],
        "time": None,
    }
    dated = {**good, "id": "b", "time": "2026-11-28T22:00:00+00:00", "severity": "low"}
    case.write_derived("findings.json", orjson.dumps([good, dated, {"id": "broken"}]))
    warnings: list[str] = []
    findings = read_findings(case, warnings)
    assert [f.id for f in findings] == ["a", "b"]  # most severe first
    assert warnings == ["findings.json: finding 2 unreadable ('detector')"]
    (event,) = finding_events(findings)
    assert event.time == "2026-11-28T22:00:00.000Z" and event.summary == "[low] t: s"
