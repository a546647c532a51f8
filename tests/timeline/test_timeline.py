"""The merged timeline over a fixture case: order, sources, Timesketch fields, redaction."""

from __future__ import annotations

import csv
import gzip
import io
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.model import TimelineEvent
from lambda_ir.timeline import build_timeline, to_csv, to_jsonl, write_timeline
from lambda_ir.timeline.clock import utc_iso
from lambda_ir.timeline.findings import read_findings
from lambda_ir.timeline.merge import timeline_size
from lambda_ir.timeline.versions import read_versions, version_events
from tests.timeline.casebuilder import (
    ACCOUNT,
    ATTACKER,
    HASH_V1,
    HASH_V2,
    REGION,
    REQ_1,
    REQ_2,
    SECRET_VALUE,
    BuiltCase,
    build_case,
)


@pytest.fixture
def built(tmp_path: Path) -> BuiltCase:
    return build_case(tmp_path / "case")


def test_every_evidence_kind_lands_in_utc_order(built: BuiltCase) -> None:
    events = list(build_timeline(built.case, built.index()))
    times = [e.time for e in events]
    assert times == sorted(times)
    kinds = {(e.source, e.kind) for e in events}
    assert {
        ("cloudtrail", "UpdateFunctionCode"),
        ("lambda", "version-modified"),
        ("lambda", "code-changed"),
        ("lambda", "config-changed"),
        ("lambda", "alias-state"),
        ("logs", "invocation"),
        ("logs", "timeout"),
        ("logs", "log-error"),
        ("finding", "LIR-CODE-001"),
    } <= kinds
    assert all(e.time.endswith("Z") and len(e.time) == 24 for e in events)
    assert all(e.evidence and e.evidence[0].path for e in events)


def test_code_hash_change_names_both_hashes(built: BuiltCase) -> None:
    changes = [e for e in version_events(read_versions(built.case)) if e.kind == "code-changed"]
    assert len(changes) == 1
    assert HASH_V1 in changes[0].summary and HASH_V2 in changes[0].summary
    assert changes[0].time == "2026-11-28T22:14:05.000Z"
    config = [e for e in version_events(read_versions(built.case)) if e.kind == "config-changed"]
    assert "Layers" in config[0].summary


def test_cloudtrail_events_carry_actor_and_alias_move(built: BuiltCase) -> None:
    trail = [e for e in build_timeline(built.case, built.index()) if e.source == "cloudtrail"]
    assert len(trail) == 4
    assert all(e.actor == ATTACKER for e in trail)
    alias = next(e for e in trail if e.kind.startswith("UpdateAlias"))
    assert "alias live → version 2" in alias.summary
    denied = next(e for e in trail if e.kind.startswith("AddPermission"))
    assert "failed: ResourceConflictException" in denied.summary


def test_logs_summarise_each_request(built: BuiltCase) -> None:
    logs = [e for e in build_timeline(built.case, built.index()) if e.source == "logs"]
    invocations = [e for e in logs if e.kind == "invocation"]
    assert [e.summary.split(":")[0] for e in invocations] == [
        f"invocation {REQ_1}",
        f"invocation {REQ_2}",
    ]
    assert "1520.4 ms" in invocations[0].summary and "cold start 412.5 ms" in invocations[0].summary
    error = next(e for e in logs if e.kind == "log-error")
    assert (
        error.summary
        == f"log-error in request {REQ_1}: [ERROR] ConnectionError: pool.minexmr.com:4444 refused"
    )
    assert "status timeout" in invocations[1].summary
    assert any(e.kind == "timeout" and "30.03 seconds" in e.summary for e in logs)


def test_secrets_are_redacted_in_every_output(built: BuiltCase) -> None:
    data, count = to_jsonl(build_timeline(built.case, built.index()))
    assert count > 10
    assert SECRET_VALUE.encode() not in data
    assert b"[REDACTED]" in data


def test_jsonl_is_timesketch_importable(built: BuiltCase) -> None:
    result = write_timeline(built.case, built.index(), "jsonl")
    lines = result.path.read_bytes().splitlines()
    assert len(lines) == result.events
    for raw in lines:
        record = orjson.loads(raw)
        assert record["message"] and record["timestamp_desc"]
        assert record["datetime"] == record["time"]
        assert record["timestamp"] > 1_700_000_000_000_000  # epoch microseconds
        assert {"source", "kind", "resource", "actor", "evidence"} <= record.keys()
    custody = (built.case.root / "custody.jsonl").read_text().splitlines()
    assert result.sha256 in custody[-1]


def test_csv_defuses_formulas() -> None:
    hostile = TimelineEvent(
        time="2026-11-28T22:20:01.000Z",
        source="cloudtrail",
        kind="Invoke",
        resource='=HYPERLINK("http://x","y")',
        summary="@SUM(1+1)",
        actor="+cmd",
    )
    data, count = to_csv([hostile])
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert count == 1
    assert rows[0]["resource"] == '\'=HYPERLINK("http://x","y")'
    assert rows[0]["message"] == "'@SUM(1+1)" and rows[0]["actor"] == "'+cmd"


def test_without_index_the_gap_is_said(built: BuiltCase) -> None:
    warnings: list[str] = []
    events = list(build_timeline(Case.open(built.case.root), None, warnings))
    assert events and not any(e.source in ("cloudtrail", "logs") for e in events)
    assert any("no index" in w for w in warnings)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-28T22:14:05.000+0000", "2026-11-28T22:14:05.000Z"),
        ("2026-11-28T22:14:05Z", "2026-11-28T22:14:05.000Z"),
        ("2026-11-28T23:14:05.5+01:00", "2026-11-28T22:14:05.500Z"),
        (1764368045000, "2025-11-28T22:14:05.000Z"),
        ("not a date", None),
        (None, None),
    ],
)
def test_utc_iso_normalises_every_shape(value: object, expected: str | None) -> None:
    assert utc_iso(value) == expected


def test_only_our_own_invocation_wording_skips_redaction() -> None:
    from lambda_ir.timeline.merge import _redacted

    ours = TimelineEvent(
        time="2026-11-28T22:20:02.000Z",
        source="logs",
        kind="invocation",
        resource="fn:2",
        summary=f"invocation {REQ_1}: 1520.4 ms (billed 1521), memory 250/256 MB, status error",
    )
    assert _redacted(ours) is ours
    forged = TimelineEvent(
        time=ours.time,
        source="logs",
        kind="invocation",
        resource="fn:2",
        summary=f"invocation token={SECRET_VALUE}: 1 ms (billed 1), memory 1/1 MB",
    )
    assert SECRET_VALUE not in _redacted(forged).summary


def test_streamed_file_equals_the_in_memory_rendering(built: BuiltCase) -> None:
    for fmt, render in (("jsonl", to_jsonl), ("csv", to_csv)):
        result = write_timeline(built.case, built.index(), fmt)
        expected, count = render(build_timeline(built.case, built.index()))
        assert result.path.read_bytes() == expected and result.events == count
        assert result.path.stat().st_mode & 0o777 == 0o644
    assert not list((built.case.root / ".tmp").glob("w-*"))  # nothing left staged


def test_the_timeline_is_counted_as_it_is_built(built: BuiltCase) -> None:
    index = built.index()
    findings = read_findings(built.case)
    events = list(build_timeline(built.case, index, findings=findings))
    by_attacker = sum(1 for e in events if e.source == "cloudtrail" and e.actor == ATTACKER)
    assert by_attacker and {e.source for e in events} >= {"cloudtrail", "logs", "finding"}
    mine = ("actor_arn = ?", [ATTACKER])  # a condition on trail_events, as OwnCalls.where
    assert timeline_size(built.case, index, findings, mine) == (len(events), by_attacker)
    assert timeline_size(built.case, None, findings) == (
        sum(1 for e in build_timeline(built.case, None, findings=findings)),
        0,
    )


def _with_trail(root: Path, name: str, records: list[dict[str, object]]) -> Case:
    """The case at `root` with `records` added as one more LookupEvents artifact."""
    case = Case.open(root)
    case.put_bytes(
        gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in records)),
        f"trail/{ACCOUNT}/{REGION}/{name}.jsonl.gz",
        kind="trail",
        api="cloudtrail:LookupEvents",
        params={"window": name},
        account=ACCOUNT,
        region=REGION,
    )
    return case


def test_a_call_without_an_event_name_or_source_reads_without_none(tmp_path: Path) -> None:
    """A record without eventName, eventSource or a function: its line says the call is
    unnamed and names no resource, never "None on None"."""
    root = tmp_path / "case"
    build_case(root)
    record = {
        "eventID": "nameless",
        "eventTime": "2026-11-02T12:00:00Z",
        "awsRegion": REGION,
        "recipientAccountId": ACCOUNT,
        "userIdentity": {"type": "IAMUser", "arn": ATTACKER},
        "sourceIPAddress": "203.0.113.66",
    }
    case = _with_trail(root, "nameless", [record])
    with open_index(case) as index:
        (event,) = [e for e in build_timeline(case, index) if e.event_id == "nameless"]
    assert (event.kind, event.resource) == ("unknown", "")
    assert event.summary == "a call without an eventName by mallory from 203.0.113.66"


def test_calls_whose_time_cannot_be_read_are_counted_not_lost(tmp_path: Path) -> None:
    """`analyze` raised findings on such calls while the timeline left them out in silence."""
    root = tmp_path / "case"
    build_case(root)
    times = [None, 1795904400000, "Nov 2, 2026 12:00:00 PM", "-0044-03-15T12:00:00Z"]
    times.append("294247-01-01T00:00:00Z")
    records = [
        {
            "eventID": f"bad-{number}",
            "eventTime": when,
            "eventSource": "lambda.amazonaws.com",
            "eventName": "UpdateFunctionCode20150331v2",
            "awsRegion": REGION,
            "recipientAccountId": ACCOUNT,
            "requestParameters": {"functionName": "orders-api"},
        }
        for number, when in enumerate(times)
    ]
    case = _with_trail(root, "odd-times", records)
    with open_index(case) as index:
        result = write_timeline(case, index)
        assert timeline_size(case, index, read_findings(case))[0] == result.total
    said = (
        "5 CloudTrail event(s) left out of the timeline: their eventTime is not a time it can "
        "read (missing, not ISO-8601, or outside the years 1 to 9999)"
    )
    (warning,) = [w for w in result.warnings if w.startswith(said)]
    assert warning.endswith("(eventID bad-0, bad-1, bad-2, …)")
    last = orjson.loads((root / "custody.jsonl").read_bytes().splitlines()[-1])
    assert last["action"] == "timeline" and warning in last["details"]["warnings"]
    done = subprocess.run(
        [sys.executable, "-m", "lambda_ir", "--json", "timeline", "--case", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert said in done.stderr  # on the terminal, beside the JSON summary
    assert warning in orjson.loads(done.stdout)["warnings"]
