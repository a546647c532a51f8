"""The reports for people stay readable on a busy case: every long list shows its first
entries, most important first, and says how many more there are and where they all are.

A million-event case made a 636 MB report.html (159k findings, 3,600 functions at risk, 355k
indicators) that no browser opened. The machine outputs keep everything.
"""

from __future__ import annotations

import dataclasses
import re

from lambda_ir.model import Actor, EvidenceRef, Finding, FunctionRef, Severity
from lambda_ir.report import listing, render_all
from lambda_ir.report.facts import ReportFacts
from lambda_ir.report.functions import FunctionFacts
from lambda_ir.report.incidents import Incident, IncidentActor
from lambda_ir.report.response import checklist, listed_steps, suspects

ACCOUNT, REGION = "111122223333", "eu-west-1"
FUNCTIONS = 150  # more than listing.FUNCTIONS
FINDINGS = 1200  # more than listing.FINDINGS, 8 per function
INCIDENTS = 60  # more than listing.INCIDENTS


def _arn(n: int) -> str:
    return FunctionRef(ACCOUNT, REGION, f"fn-{n:03d}").arn


def _finding(n: int) -> Finding:
    function = n % FUNCTIONS
    # each function's findings come from its own session of role `role-<function % 3>`; the
    # first 30 functions (first in the case's order) are the least at risk
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/role-{function % 3}/s{function:03d}"
    # an even function's findings are policy grants (a checklist step each), an odd one's code
    detector = "LIR-CT-004" if n % 2 else "LIR-CT-001"
    return Finding(
        id=f"{detector}:{n:05d}",
        detector=detector,
        title="Function changed",
        severity=Severity.HIGH if function >= 30 else Severity.MEDIUM,
        resource=_arn(function),
        account=ACCOUNT,
        region=REGION,
        summary=f"change {n}",
        evidence=(EvidenceRef("trail/a.jsonl.zst", "ab"),),
        time=f"2026-11-{1 + n % 28:02d}T10:00:00Z",
        actor=Actor(
            arn=session,
            type="AssumedRole",
            access_key_id=f"AKIA{function:016d}",
            source_ip=f"198.51.{function}.{n % 200}",
        ),
        details={"from": "1", "to": "2"} if n < FUNCTIONS else {},  # a version change each
    )


def _function(n: int) -> FunctionFacts:
    return FunctionFacts(
        account=ACCOUNT,
        region=REGION,
        name=f"fn-{n:03d}",
        versions=(),
        configuration=(),
        environment=(),
        aliases=(),
        policies=(),
        urls=(),
        triggers=(),
        role=f"arn:aws:iam::{ACCOUNT}:role/role-{n % 3}",
        evidence=(),
    )


def _incident(n: int) -> Incident:
    return Incident(
        id=f"INC-{n:03d}",
        title=f"incident {n}",
        severity=Severity.HIGH,
        score=float(1000 - n),
        kind="activity",
        actors=(
            IncidentActor(
                principal=f"arn:aws:iam::{ACCOUNT}:role/role-{n % 3}",
                access_keys=tuple(f"AKIA{k:016d}" for k in range(12)),
                addresses=tuple(f"203.0.113.{a}" for a in range(15)),
                user_agents=("aws-cli/2.15",),
            ),
        ),
        functions=tuple(_arn(f) for f in range(20)),
        first="2026-11-01T10:00:00Z",
        last="2026-11-28T10:00:00Z",
        findings=(),
        actions=(),
    )


def _facts() -> ReportFacts:
    findings = sorted(
        (_finding(n) for n in range(FINDINGS)), key=lambda f: (-f.severity.rank, f.time, f.id)
    )
    return ReportFacts(
        case_id="busy",
        created="2026-11-29T00:00:00Z",
        generated="2026-11-29T10:00:00Z",
        scope="test",
        findings=tuple(findings),
        functions=tuple(_function(n) for n in range(FUNCTIONS)),
        roles=(),
        gaps=(),
        events=(),
        events_total=0,
        since=None,
        warnings=(),
        case_dir="/cases/busy",
        incidents=tuple(_incident(n) for n in range(INCIDENTS)),
    )


def test_the_page_lists_the_first_entries_of_each_long_list_and_counts_the_rest() -> None:
    html = render_all(_facts(), ("html",))["report.html"].decode()
    findings = html[html.index('<table id="findings"') : html.index('id="timeline"')]
    assert findings.count("<tr data-severity=") == listing.FINDINGS
    assert f"The {listing.FINDINGS} most severe of {FINDINGS} findings are listed" in html
    # the filters count all findings; the script says how many are listed of how many
    assert '<span class="sev sev-medium">medium</span> (240)' in html
    assert f'<table id="findings" data-total="{FINDINGS}">' in html
    # every link on the page leads somewhere on it: a version change of a function without a
    # section gives the `lambda-ir diff` command instead of a link
    targets = set(re.findall(r'href="#([^"]+)"', html))
    assert any(t.endswith("fn-030") for t in targets)
    assert targets <= set(re.findall(r'id="([^"]+)"', html))
    assert "diff of the versions: <code>lambda-ir diff --case /cases/busy " in html

    incidents = html[html.index('<table id="incidents">') : html.index('id="at-risk"')]
    assert incidents.count("<tr><td>") == listing.INCIDENTS
    assert f"… and {INCIDENTS - listing.INCIDENTS} more (incidents.json has them all)" in html
    first = incidents.split("<tr><td>")[1]  # an incident's 20 functions and 15 addresses
    assert "fn-009" in first and "fn-010" not in first and "… 10 more" in first
    assert "203.0.113.9" in first and "203.0.113.10" not in first and "… 5 more" in first

    at_risk = html[html.index('<ul id="at-risk">') : html.index('id="who"')]
    assert at_risk.count("<li>") == listing.FUNCTIONS
    assert f"… and {FUNCTIONS - listing.FUNCTIONS} more (findings.json names every one)" in html

    # the function sections: the most at risk first (not the case's order), then counted
    sections = re.findall(r'<div class="fn" id="fn-[^"]+"><h3>(fn-\d+)', html)
    assert len(sections) == listing.FUNCTIONS and sections[:2] == ["fn-030", "fn-031"]
    assert f"… and {FUNCTIONS - listing.FUNCTIONS} more (the least at risk" in html

    who = html[html.index('<table id="who">') : html.index('id="checklist"')]
    assert who.count("<tr><td>") == listing.PRINCIPALS
    assert f"… and {FUNCTIONS - listing.PRINCIPALS} more (findings.json and incidents.json" in html

    steps = html[html.index('<ol id="checklist">') : html.index('id="indicators"')]
    listed = 1 + listing.CREDENTIAL_STEPS + listing.FUNCTION_STEPS + 1  # verify ... block
    assert steps.count("<li>") == listed
    # 150 keys and 3 roles, a policy step for each of the 75 even functions, a throttle for
    # each of the 120 high ones (compromised: their findings are CloudTrail acts), verify
    # and block
    steps_in_all = FUNCTIONS + 3 + FUNCTIONS // 2 + (FUNCTIONS - 30) + 2
    assert f"… and {steps_in_all - listed} more (the principals" in html
    assert "lambda-ir contain --incident ID plans an incident&#x27;s containment)" in html

    indicators = html[html.index('<table id="indicators">') : html.index('id="summary"')]
    assert indicators.count("<tr><td>") == listing.INDICATORS
    assert f"more ({listing.ALL_INDICATORS})" in html


def test_the_markdown_lists_the_same_and_the_exports_keep_everything() -> None:
    facts = _facts()
    outputs = render_all(facts, ("md", "csv", "txt"))
    text = outputs["report.md"].decode()
    section = text[text.index("## Findings") : text.index("## Timeline")]
    rows = [line.split(" | ")[0] for line in section.splitlines() if line.startswith("| ")]
    # the 960 high findings first, then 40 of the 240 medium ones
    assert rows[1:] == ["| HIGH"] * 960 + ["| MEDIUM"] * (listing.FINDINGS - 960)
    assert f"The {listing.FINDINGS} most severe are listed here" in text
    assert text.count("- incident **HIGH**") == listing.INCIDENTS
    assert text.count("\n### fn-") == listing.FUNCTIONS
    assert text.index("\n### fn-030 ") < text.index("\n### fn-031 ") < text.index("\n### fn-129 ")
    assert "\n### fn-000 " not in text and "\n### fn-130 " not in text  # counted, not listed
    assert "… and 50 more (the least at risk" in text
    indicators = next(line for line in text.splitlines() if line.startswith("Indicators ("))
    listed = re.findall(r"`[^`]+`", indicators.split(": ", 1)[1])
    assert len(listed) == listing.INDICATORS and indicators.endswith(
        f"more ({listing.ALL_INDICATORS})"
    )
    # the CSV and the indicator list hold every finding and every indicator
    assert len(outputs["findings.csv"].decode().splitlines()) == 1 + FINDINGS  # and the header
    assert len(outputs["indicators.txt"].decode().split("\n#")) > listing.INDICATORS


def test_a_suspect_session_of_an_execution_role_revokes_it_on_its_most_at_risk_function() -> None:
    steps = checklist(_facts())
    revoke = [s for s in steps if s.command.endswith("--action revoke-sessions")]
    # three roles, each run by 50 functions: revoked once each, on the most at risk of its
    # functions (fn-030..032), not the first in the case's order (fn-000..002)
    assert [s.what for s in revoke] == [
        f"Revoke the sessions of execution role role-{n}" for n in range(3)
    ]
    assert [s.command.split("--function ")[1].split()[0] for s in revoke] == [
        _arn(n) for n in (30, 31, 32)
    ]


def test_a_cut_checklist_keeps_steps_of_every_kind() -> None:
    steps = checklist(_facts())
    shown, left_out = listed_steps(steps)
    assert [s.kind for s in shown] == (
        ["evidence"]
        + ["credential"] * listing.CREDENTIAL_STEPS
        + ["function"] * listing.FUNCTION_STEPS
        + ["indicators"]
    )
    assert left_out == len(steps) - len(shown) > 0
    # the function steps listed are those of the functions most at risk
    first = shown[1 + listing.CREDENTIAL_STEPS]
    assert first.command.split("--function ")[1].split()[0] == _arn(30)


def test_an_incidents_times_read_whole_when_one_or_both_are_missing() -> None:
    # An exposure incident carries no times: it printed "( – )".
    assert listing.span("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z") == (
        "2026-11-01T00:00:00Z – 2026-11-02T00:00:00Z"
    )
    assert listing.span("2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z") == "2026-11-01T00:00:00Z"
    assert listing.span(None, "2026-11-02T00:00:00Z") == "2026-11-02T00:00:00Z"
    assert listing.span("", None) == "no time"
    assert listing.serious_count(1) == "1 finding of medium or worse"


def test_a_caller_from_another_account_gets_a_step_that_shuts_its_account_out() -> None:
    # CloudTrail names another account's caller (AWSAccount) by no ARN: its findings gave no
    # suspect and no step. Its only way in is the function's resource policy.
    facts = _facts()
    stranger = Actor(arn="", type="AWSAccount", caller="999988887777/AROASTRANGER00000001")
    foreign = dataclasses.replace(
        facts.findings[0], id="LIR-CT-007:foreign", actor=stranger, severity=Severity.CRITICAL
    )
    facts = dataclasses.replace(facts, findings=(foreign, *facts.findings), incidents=())
    (suspect,) = [s for s in suspects(facts) if "999988887777" in s.principal]
    assert suspect.principal == "account:999988887777/AROASTRANGER00000001"
    steps = [s for s in checklist(facts) if "999988887777" in s.what]
    assert [s.what for s in steps] == [
        f"Remove account 999988887777's access to {facts.label(foreign.resource)}"
    ]
    assert steps[0].command.endswith(f"--function {foreign.resource} --action block-public")
