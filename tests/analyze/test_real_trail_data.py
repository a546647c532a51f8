"""Real CloudTrail: Stratus Red Team detonations and Panther's labelled Lambda test cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambda_ir.analyze.detectors import ALL
from lambda_ir.analyze.engine import analyze_case
from lambda_ir.model import Finding, Severity
from tests.analyze.casebuild import DATA, CaseBuilder

STRATUS = DATA / "stratus-red-team-detonation-logs"
PANTHER = DATA / "panther-analysis-lambda-tests"
# Technique file -> the detector that must fire on it.
LAMBDA_TECHNIQUES = {
    "aws.persistence.lambda-backdoor-function.json": "LIR-CT-001",
    "aws.persistence.lambda-layer-extension.json": "LIR-CT-003",
    "aws.persistence.lambda-overwrite-code.json": "LIR-CT-004",
}
# Non-Lambda techniques that still blind Lambda coverage: a trail finding (not a Lambda one).
TRAIL_GAP_TECHNIQUES = {
    "aws.defense-evasion.cloudtrail-event-selectors.json",
    "aws.defense-evasion.cloudtrail-stop.json",
    "aws.defense-evasion.cloudtrail-delete.json",
}


def _analyze(tmp_path: Path, records: list[dict]) -> list[Finding]:
    builder = CaseBuilder(tmp_path / "case")
    builder.trail(records)
    result, _ = analyze_case(builder.case, ALL)
    assert not result.warnings
    return list(result.findings)


def _lambda_findings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if ":lambda:" in f.resource]


def test_stratus_has_35_files() -> None:
    assert len(list(STRATUS.glob("aws.*.json"))) == 35


@pytest.mark.parametrize("name", sorted(p.name for p in STRATUS.glob("aws.*.json")))
def test_stratus_technique(tmp_path: Path, name: str) -> None:
    records = json.loads((STRATUS / name).read_text())
    findings = _analyze(tmp_path, records)
    lam = _lambda_findings(findings)
    if name not in LAMBDA_TECHNIQUES:
        assert lam == [], [f.summary for f in lam]
        if name in TRAIL_GAP_TECHNIQUES:
            assert [f.detector for f in findings] == ["LIR-CT-009"]
        else:
            assert findings == []
        return
    wanted = LAMBDA_TECHNIQUES[name]
    assert [f.detector for f in lam] == [wanted]
    finding = lam[0]
    record = records[0]
    # The attacker's identity, where and when, and the evidence file cited.
    assert finding.actor is not None
    assert finding.actor.arn == record["userIdentity"]["arn"]
    assert finding.actor.source_ip == record["sourceIPAddress"]
    assert finding.actor.user_agent.startswith("stratus-red-team_")
    assert finding.time == record["eventTime"]
    assert finding.account == record["recipientAccountId"]
    assert finding.evidence[0].path.startswith("trail/")
    assert finding.severity.rank >= Severity.MEDIUM.rank
    assert "stratus-red-team" in finding.resource


# Panther rule -> the detector of ours that answers the same question.
PANTHER_RULES = {
    "AWS.Lambda.UpdateFunctionConfiguration": "LIR-CT-003",
    "AWS.Potential.Backdoor.Lambda": "LIR-CT-001",
    "AWS.LAMBDA.CRUD": "LIR-CT-008",
    "AWS.Lambda.UpdateFunctionCode": "LIR-CT-004",
}
# Panther: case name -> (our verdict: a finding at low or above?, why we differ when we do).
PANTHER_DISAGREE = {
    "AssumedRole Updates Lambda Configuration with Layers (Normal CI/CD)": (
        "We flag any layer attachment (at LOW for a pipeline role): layers are a persistence "
        "vector whoever adds them; Panther drops non-human principals."
    ),
    "Lambda DeleteFunction Authorized Account": (
        "Panther allow-lists a `DeployRole` user by name; we report deletions by people at "
        "MEDIUM because the function's evidence is gone either way."
    ),
}


def _panther_cases() -> list[tuple[str, str, bool, dict]]:
    out = []
    for path in sorted(PANTHER.glob("aws_*.tests.json")):
        document = json.loads(path.read_text())
        for case in document["tests"]:
            if "log" in case:
                out.append(
                    (document["rule_id"], case["name"], case["expected_result"], case["log"])
                )
    return out


@pytest.mark.parametrize(("rule", "name", "expected", "log"), _panther_cases())
def test_panther_case(tmp_path: Path, rule: str, name: str, expected: bool, log: dict) -> None:
    findings = _lambda_findings(_analyze(tmp_path, [log]))
    # An INFO finding is kept for the record, not raised: Panther's "no alert".
    ours = any(
        f.detector == PANTHER_RULES[rule] and f.severity is not Severity.INFO for f in findings
    )
    if name in PANTHER_DISAGREE:
        assert ours != expected, PANTHER_DISAGREE[name]
    else:
        assert ours == expected, (rule, name, [f.summary for f in findings])
    for finding in findings:
        assert finding.actor is not None and finding.actor.arn == log["userIdentity"]["arn"]


def test_panther_agreement_is_reported() -> None:
    cases = _panther_cases()
    assert len(cases) == 17
    agree = len(cases) - len(PANTHER_DISAGREE)
    print(f"Panther Lambda CloudTrail cases: {agree}/{len(cases)} agree")
    assert agree >= 15
