"""The Sigma engine on SigmaHQ's CloudTrail rules: every rule compiles or says why not, and
each supported rule matches an event built from its own detection and not the others."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import sigma_rules
from lambda_ir.analyze.sigma.backend import TrailBackend, share_fields
from lambda_ir.analyze.sigma.rules import load_rules
from lambda_ir.analyze.trail_rows import select_events
from lambda_ir.evidence import Case
from lambda_ir.model import Severity
from tests.analyze.casebuild import DATA, CaseBuilder, run_detector, trail_event
from tests.analyze.sigma_events import build_events

SIGMA = DATA / "sigma-aws-cloudtrail"
RULES = sorted(SIGMA.glob("*.yml"))


def test_every_rule_compiles_or_is_listed_with_a_reason() -> None:
    compiled, unsupported = load_rules([SIGMA])
    assert len(RULES) == 57
    assert {r.path for r in compiled} | {u.path for u in unsupported} == {str(p) for p in RULES}
    assert all(u.reason for u in unsupported)
    print(f"Sigma CloudTrail: {len(compiled)} compiled, {len(unsupported)} unsupported")
    assert len(compiled) == 57  # measured: all of SigmaHQ's CloudTrail rules compile


def test_unsupported_rules_say_why(tmp_path: Path) -> None:
    (tmp_path / "win.yml").write_text(
        "title: w\nlogsource: {product: windows}\ndetection: {sel: {EventID: 1}, condition: sel}\n"
    )
    (tmp_path / "kw.yml").write_text(
        "title: k\nlogsource: {product: aws, service: cloudtrail}\n"
        "detection: {keywords: [evil], condition: keywords}\n"
    )
    (tmp_path / "broken.yml").write_text("title: [unclosed\n")
    compiled, unsupported = load_rules([tmp_path])
    reasons = {Path(u.path).name: u.reason for u in unsupported}
    assert compiled == []
    assert "not aws/cloudtrail" in reasons["win.yml"]
    assert "not supported" in reasons["kw.yml"].lower() or "keyword" in reasons["kw.yml"].lower()
    assert "does not parse" in reasons["broken.yml"]


@pytest.fixture(scope="module")
def all_events(tmp_path_factory: pytest.TempPathFactory) -> CaseView:
    """One case holding every rule's positive and negative events (ids prefixed by rule)."""
    records = []
    for rule_path in RULES:
        positive, negatives = build_events(rule_path.read_text())
        for event in (positive, *negatives):
            event["eventID"] = f"{rule_path.stem}:{event['eventID']}"
            records.append(event)
    builder = CaseBuilder(tmp_path_factory.mktemp("sigma") / "case")
    builder.trail(records)
    return CaseView(Case.open(builder.root))


@pytest.mark.parametrize("rule_path", RULES, ids=lambda p: p.stem)
def test_rule_matches_its_own_positive_not_its_negatives(
    all_events: CaseView, rule_path: Path, tmp_path: Path
) -> None:
    shutil.copy(rule_path, tmp_path)
    (rule,), unsupported = load_rules([tmp_path])
    assert unsupported == []
    assert sigma_rules.evaluate(all_events, [rule])
    hits = "event_id IN (SELECT event_id FROM sigma_hits WHERE rule = 0)"
    matched = {row.event_id for row in select_events(all_events, hits)}
    own = {m for m in matched if m.startswith(f"{rule_path.stem}:")}
    assert own == {f"{rule_path.stem}:positive"}, build_events(rule_path.read_text())


def test_detector_runs_a_rule_folder_end_to_end(tmp_path: Path) -> None:
    rule_path = SIGMA / "aws_lambda_function_url.yml"
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    shutil.copy(rule_path, rules_dir)
    positive, negatives = build_events(rule_path.read_text())
    builder = CaseBuilder(tmp_path / "case")
    entry = builder.trail([positive, *negatives])
    found = run_detector(builder, sigma_rules.DETECTOR, sigma_dirs=(rules_dir,))
    assert [f.details["event_id"] for f in found] == ["positive"]
    assert found[0].evidence[0].path == entry.path
    assert found[0].detector.startswith("sigma:")


def test_sigma_finding_carries_rule_metadata(tmp_path: Path) -> None:
    builder = CaseBuilder(tmp_path / "case")
    builder.trail(
        [
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {"functionName": "orders", "layers": ["arn:x"]},
            )
        ]
    )
    found = run_detector(builder, sigma_rules.DETECTOR, sigma_dirs=(SIGMA,))
    titles = {f.title for f in found}
    assert titles == {"Sigma: AWS New Lambda Layer Attached"}
    assert found[0].severity is Severity.LOW
    assert found[0].resource.endswith(":function:orders")
    assert found[0].actor is not None and found[0].actor.arn.endswith("user/mallory")


def test_a_match_without_an_event_name_says_so(builder: CaseBuilder, tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    shutil.copy(SIGMA / "aws_root_account_usage.yml", rules_dir)
    root = {"type": "Root", "arn": "arn:aws:iam::111122223333:root"}
    call = trail_event("ListFunctions20150331", {}, identity=root, event_id="r1")
    del call["eventName"]
    builder.trail([call])
    (found,) = run_detector(builder, sigma_rules.DETECTOR, sigma_dirs=(rules_dir,))
    assert found.summary.startswith(
        "Sigma rule 'AWS Root Credentials' matched a call without an eventName by "
        "arn:aws:iam::111122223333:root from 198.51.100.7; "
    )


def test_no_sigma_folder_means_no_sigma_findings(builder: CaseBuilder) -> None:
    builder.trail([trail_event("CreateFunctionUrlConfig", {"functionName": "x"})])
    assert run_detector(builder, sigma_rules.DETECTOR) == []


def test_rules_share_one_extract_per_field_and_values_are_never_rewritten() -> None:
    backend = TrailBackend()
    name = backend.escape_and_quote_field("eventName")
    issuer = backend.escape_and_quote_field("userIdentity.sessionContext.sessionIssuer.type")
    # A value quoting a field expression is a literal with its quotes doubled: left alone.
    literal = "'" + name.replace("'", "''") + "'"
    opening = "'(record->>'')'"  # the value `(record->>')`: a literal that ends like a field
    clauses = [f"{name} = 'A' AND {issuer} = 'Role'", f"{name} = {literal} OR {name} = {opening}"]
    paths, rewritten = share_fields(clauses)
    nested = '$."userIdentity"."sessionContext"."sessionIssuer"."type"'
    assert paths == f"""['$."eventName"', '{nested}']"""
    assert rewritten == ["f[1] = 'A' AND f[2] = 'Role'", f"f[1] = {literal} OR f[1] = {opening}"]


def test_a_rule_matching_everything_gives_its_earliest_events_and_one_count(
    builder: CaseBuilder, tmp_path: Path
) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    shutil.copy(SIGMA / "aws_new_lambda_layer_attached.yml", rules_dir)

    def layered(n: int) -> dict[str, object]:
        return trail_event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": f"fn-{n}", "layers": ["arn:x"]},
            event_id=f"e{n:04}",
            time=f"2026-11-02T{n // 3600:02}:{n // 60 % 60:02}:{n % 60:02}Z",
        )

    total = sigma_rules.MAX_PER_RULE + 7
    early = builder.trail([layered(n) for n in range(sigma_rules.MAX_PER_RULE)], "early")
    late = builder.trail([layered(n) for n in range(sigma_rules.MAX_PER_RULE, total)], "late")
    found = run_detector(builder, sigma_rules.DETECTOR, sigma_dirs=(rules_dir,))
    events = [f for f in found if "event_id" in f.details]
    (overflow,) = [f for f in found if "matched" in f.details]
    assert [f.details["event_id"] for f in events] == [
        f"e{n:04}" for n in range(sigma_rules.MAX_PER_RULE)
    ]
    assert overflow.details["matched"] == total and f"{total:,} events" in overflow.title
    assert {e.path for e in overflow.evidence} == {early.path, late.path}
    assert overflow.time == events[0].time and overflow.details["last"] == "2026-11-02T00:08:26Z"
    assert overflow.detector == events[0].detector


def test_an_event_its_file_holds_twice_matches_once(builder: CaseBuilder, tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    shutil.copy(SIGMA / "aws_new_lambda_layer_attached.yml", rules_dir)
    event = trail_event(
        "UpdateFunctionConfiguration20150331v2", {"functionName": "f", "layers": []}
    )
    builder.trail([event, event])
    found = run_detector(builder, sigma_rules.DETECTOR, sigma_dirs=(rules_dir,))
    assert [f.details.get("event_id") for f in found] == ["e1"]


def test_a_broad_rule_over_events_without_a_time_says_none_has_one(
    builder: CaseBuilder, tmp_path: Path
) -> None:
    """The overflow finding of a rule whose matches hold no eventTime says none has a time
    the index could read, never "from None to None"; its `time` stays null."""
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    shutil.copy(SIGMA / "aws_new_lambda_layer_attached.yml", rules_dir)
    events = [
        trail_event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": f"fn-{n}", "layers": ["arn:x"]},
            event_id=f"e{n:04}",
        )
        for n in range(sigma_rules.MAX_PER_RULE + 1)
    ]
    for event in events:
        del event["eventTime"]
    builder.trail(events)
    found = run_detector(builder, sigma_rules.DETECTOR, sigma_dirs=(rules_dir,))
    (overflow,) = [f for f in found if "matched" in f.details]
    total = f"{sigma_rules.MAX_PER_RULE + 1:,}"
    assert overflow.time is None and overflow.details["last"] is None
    assert f"matched {total} events, none at a time the index could read; " in overflow.summary
    assert "None" not in overflow.summary
