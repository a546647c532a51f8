"""Small sources on their own: runtime snapshots, weighted aliases, findings without a time."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from lambda_ir.analyze.engine import findings_json
from lambda_ir.evidence import Case
from lambda_ir.model import EvidenceRef, Finding, Severity
from lambda_ir.timeline.aliases import alias_events, describe_alias
from lambda_ir.timeline.findings import BLOCK, finding_blocks, finding_events, read_findings
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


def test_runtime_items_missing_fields_read_without_none(tmp_path: Path) -> None:
    """A snapshot (written in the sandbox, so as the function left it) whose /tmp file has no
    size, whose process has no pid, command line or name, and which names no function: the
    timeline says what is missing, never "None"."""
    case = Case.create(tmp_path / "case")
    snapshot = {
        "captured_at": "2026-11-28T22:20:00Z",
        "environment": {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"},
        "collector": {"pid": 1},
        "processes": [{"started_at": "2026-11-28T22:19:00Z", "exe": "/tmp/x"}],
        "tmp": {"entries": [{"type": "file", "path": "/tmp/x", "mtime": "2026-11-28T22:18:00Z"}]},
    }
    case.put_json("runtime/a.json", snapshot, kind="runtime", meta={})
    written, started, _ = runtime_events(case)
    assert written.summary == "/tmp/x written in a function (size not recorded, sha256 not hashed)"
    assert started.summary == (
        "a process started in a function (no command line or name recorded) (exe /tmp/x, "
        "sha256 unreadable)"
    )


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


def _finding(number: int, **details: object) -> Finding:
    return Finding(
        id=f"D-1:{number:04d}",
        detector="D-1",
        title="t",
        severity=Severity.HIGH,
        resource=f"arn:aws:lambda:us-east-1:111122223333:function:f{number}",
        account="111122223333",
        region="us-east-1",
        summary='a "quoted" summary\n  },\n  { that looks like a boundary',
        evidence=(EvidenceRef("trail/a.json.gz", "0" * 64),),
        time=f"2026-11-28T22:{number % 60:02d}:00Z",
        details={"nested": [{"a": number}, {"b": {"c": []}}], **details},
    )


def test_findings_json_is_read_a_block_at_a_time(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case")
    findings = [_finding(n) for n in range(40)] + [_finding(40, long="x" * 5000)]
    case.write_derived("findings.json", findings_json(findings))
    path = case.root / "findings.json"
    whole = orjson.loads(path.read_bytes())
    blocks = list(finding_blocks(path, size=700))  # several findings a block, one longer
    assert len(blocks) > 5 and [r for block in blocks for r in block] == whole
    read = read_findings(case)
    assert [(f.id, f.summary, f.details) for f in read] == [
        (f.id, f.summary, f.details) for f in findings
    ]


@pytest.mark.parametrize(
    ("text", "ids", "warning"),
    [
        # compact, as another tool may write it: parsed whole
        (b'[{"id":"a","detector":"D","title":"t","severity":"low"}]', ["a"], None),
        # laid out like analyze's, a "boundary" inside the one finding, over a block long:
        # the block does not parse, so the file is parsed whole
        (
            b'[\n  {"id": "a", "detector": "D", "title": "t", "severity": "low", "x": [{\n  },'
            b'\n  {\n}], "pad": "' + b"x" * BLOCK + b'"}\n]\n',
            ["a"],
            None,
        ),
        (b'[\n  {\n    "id": "a"', [], "findings.json: not valid JSON"),  # cut short
        (b'{"id": "a"}', [], None),  # not a list: no findings
    ],
)
def test_findings_json_in_another_layout_is_read_whole(
    tmp_path: Path, text: bytes, ids: list[str], warning: str | None
) -> None:
    case = Case.create(tmp_path / "case")
    case.write_derived("findings.json", text)
    warnings: list[str] = ["earlier"]
    assert [f.id for f in read_findings(case, warnings)] == ids
    assert warnings == ["earlier"] if warning is None else warnings[1].startswith(warning)
    if len(text) > BLOCK:
        with pytest.raises(orjson.JSONDecodeError):
            list(finding_blocks(case.root / "findings.json"))
