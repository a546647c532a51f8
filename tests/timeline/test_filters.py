"""`lambda-ir timeline --since/--until/--function/--actor/--source` and the pivot fields.

Times in the fixture are fixed evidence data (never passed to a date-checking API), so the
window filters do not depend on today's date.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from lambda_ir.evidence.index import open_index
from lambda_ir.model import PIVOT_FIELDS, TimelineEvent
from lambda_ir.timeline import build_timeline
from lambda_ir.timeline.filters import FilterError, make_filter
from tests.report.twins import HOT, MALLORY, arn, build_twins
from tests.timeline.casebuilder import ACCOUNT, ATTACKER, REGION, BuiltCase, build_case


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltCase:
    return build_case(tmp_path_factory.mktemp("filters") / "case")


def _events(built: BuiltCase, **options: object) -> list[TimelineEvent]:
    only = make_filter(**options)  # type: ignore[arg-type]
    return list(only.apply(build_timeline(built.case, built.index())))


def _kept(built: BuiltCase, **options: object) -> list[str]:
    return [f"{e.source}:{e.kind}" for e in _events(built, **options)]


def test_source_window_actor_and_key(built: BuiltCase) -> None:
    everything = _events(built)
    assert len(everything) == 15
    trail = _kept(built, sources=["cloudtrail"])
    assert trail == [
        "cloudtrail:UpdateFunctionCode",
        "cloudtrail:PublishVersion",
        "cloudtrail:UpdateAlias",
        "cloudtrail:AddPermission",
    ]
    # A date alone is that whole day (the alias state is dated at collection, so the
    # expectation is computed from the events, not from today's date).
    day = [e for e in everything if e.time.startswith("2026-11-28")]
    assert _events(built, since="2026-11-28", until="2026-11-28") == day and len(day) >= 13
    window = _kept(built, since="2026-11-28T22:14:00Z", until="2026-11-28T22:15:30Z")
    assert window == [
        "cloudtrail:PublishVersion",
        "lambda:version-modified",
        "lambda:code-changed",
        "lambda:config-changed",
        "finding:LIR-CODE-001",
        "cloudtrail:UpdateAlias",
    ]
    assert _kept(built, actors=["ASIAEXAMPLE"]) == trail  # by access key id
    by_name = _kept(built, actors=["mallory"])  # by part of the ARN: the calls and a finding
    assert by_name == _kept(built, actors=[ATTACKER]) == [*trail, "finding:LIR-POL-001"]
    assert _kept(built, actors=["nobody"]) == []


def test_function_by_arn_keeps_its_own_region_and_account(tmp_path: Path) -> None:
    twins = build_twins(tmp_path / "case")
    with open_index(twins.case) as index:
        events = list(build_timeline(twins.case, index))
    hot = list(make_filter(functions=[arn(HOT)]).apply(events))
    assert hot and all((e.account, e.region) == HOT for e in hot)
    everywhere = list(make_filter(functions=["image-resizer"]).apply(events))
    assert len({(e.account, e.region) for e in everywhere}) == 3
    version = list(make_filter(functions=[f"{arn(HOT)}:2"]).apply(events))
    assert version and all(e.version == "2" for e in version)
    trail = [e for e in hot if e.source == "cloudtrail"]
    assert trail and all(e.actor == MALLORY for e in trail)


def test_bad_filters_are_refused() -> None:
    with pytest.raises(FilterError, match="not an ISO-8601"):
        make_filter(since="yesterday")
    with pytest.raises(FilterError, match="is after"):
        make_filter(since="2026-11-29", until="2026-11-28")
    with pytest.raises(FilterError, match="unknown source"):
        make_filter(sources=["s3"])


def test_cli_filters_and_jsonl_pivot_fields(built: BuiltCase) -> None:
    root = built.case.root
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambda_ir",
            "timeline",
            "--case",
            str(root),
            "--source",
            "cloudtrail",
            "--function",
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-api",
            "--since",
            "2026-11-28T22:12:00Z",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"3 events (of 15) -> {root / 'timeline-filtered.jsonl'}"
    written = (root / "timeline-filtered.jsonl").read_bytes()
    rows = [orjson.loads(line) for line in written.splitlines()]
    assert [r["kind"] for r in rows] == ["PublishVersion", "UpdateAlias", "AddPermission"]
    for row in rows:
        assert set(PIVOT_FIELDS) <= row.keys()
        assert (row["account"], row["region"], row["function"]) == (ACCOUNT, REGION, "orders-api")
        assert row["source_ip"] == "203.0.113.7" and row["access_key_id"] == "ASIAEXAMPLE"
        assert row["event_id"].startswith("e")
    custody = orjson.loads((root / "custody.jsonl").read_bytes().splitlines()[-1])
    assert custody["details"]["filter"]["sources"] == ["cloudtrail"]


def _timeline(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lambda_ir", "timeline", "--case", str(root), *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_cli_window_as_a_time_ago(built: BuiltCase) -> None:
    """`--since 7d` was refused as "not an ISO-8601 date", though `collect --since 7d` is how
    a responder names a window. The fixture's events are of late 2026: ten years ago is
    before them all, whatever today is."""
    root = built.case.root
    done = _timeline(root, "--since", "3650d")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"15 events (of 15) -> {root / 'timeline-filtered.jsonl'}"
    custody = orjson.loads((root / "custody.jsonl").read_bytes().splitlines()[-1])
    since = custody["details"]["filter"]["since"]
    assert since.endswith("Z") and since < "2026-11-28"  # the time it named, recorded
    assert _timeline(root, "--until", "3650d").stdout.startswith("0 events (of 15)")
    refused = _timeline(root, "--since", "7 fortnights")
    assert refused.returncode != 0 and "not an ISO-8601 date or time" in refused.stderr
