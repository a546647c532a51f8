"""The reports for people stay readable on a busy case: every long list shows its first
entries, most important first, and says how many more there are and where they all are.

A million-event case made a 636 MB report.html (159k findings, 3,600 functions at risk, 300k
addresses) that no browser opened. The machine outputs keep everything.
"""

from __future__ import annotations

import re

from lambda_ir.model import Actor, EvidenceRef, Finding, FunctionRef, Severity
from lambda_ir.report import listing, render_all
from lambda_ir.report.facts import ReportFacts
from lambda_ir.report.functions import FunctionFacts
from lambda_ir.report.incidents import Incident, IncidentActor
from lambda_ir.report.response import checklist

ACCOUNT, REGION = "111122223333", "eu-west-1"
FUNCTIONS = 150  # more than listing.FUNCTIONS
FINDINGS = 1200  # more than listing.FINDINGS, 8 per function
INCIDENTS = 60  # more than listing.INCIDENTS


def _arn(n: int) -> str:
    return FunctionRef(ACCOUNT, REGION, f"fn-{n:03d}").arn


def _finding(n: int) -> Finding:
    function = n % FUNCTIONS
    # each function's findings come from its own session of role `role-<function % 3>`
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/role-{function % 3}/s{function:03d}"
    return Finding(
        id=f"LIR-CT-004:{n:05d}",
        detector="LIR-CT-004",
        title="Function code changed",
        severity=Severity.HIGH if function < 120 else Severity.MEDIUM,
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
    findings = html[html.index('<table id="findings">') : html.index('id="timeline"')]
    assert findings.count("<tr data-severity=") == listing.FINDINGS
    assert f"The {listing.FINDINGS} most severe of {FINDINGS} findings are listed" in html
    assert "(960 high" not in html and "(960)" in html  # the filter counts are of all findings

    incidents = html[html.index('<table id="incidents">') : html.index('id="at-risk"')]
    assert incidents.count("<tr><td>") == listing.INCIDENTS
    assert f"… and {INCIDENTS - listing.INCIDENTS} more (incidents.json has them all)" in html
    first = incidents.split("<tr><td>")[1]  # an incident's 20 functions and 15 addresses
    assert "fn-009" in first and "fn-010" not in first and "… 10 more" in first
    assert "203.0.113.9" in first and "203.0.113.10" not in first and "… 5 more" in first

    at_risk = html[html.index('<ul id="at-risk">') : html.index('id="who"')]
    assert at_risk.count("<li>") == listing.FUNCTIONS
    assert f"… and {FUNCTIONS - listing.FUNCTIONS} more (findings.json and findings.csv" in html

    # the function sections: the most at risk first, then counted
    sections = re.findall(r'<div class="fn" id="fn-[^"]+"><h3>(fn-\d+)', html)
    assert len(sections) == listing.FUNCTIONS and sections[0] == "fn-000"
    assert f"… and {FUNCTIONS - listing.FUNCTIONS} more (the least at risk" in html

    who = html[html.index('<table id="who">') : html.index('id="checklist"')]
    assert who.count("<tr><td>") == listing.PRINCIPALS
    assert f"… and {FUNCTIONS - listing.PRINCIPALS} more (incidents.json names" in html

    steps = html[html.index('<ol id="checklist">') : html.index('id="indicators"')]
    assert steps.count("<li>") == listing.STEPS
    assert "more (`lambda-ir contain --incident ID` plans each incident" in html

    indicators = html[html.index('<table id="indicators">') : html.index('id="summary"')]
    assert indicators.count("<tr><td>") == listing.INDICATORS
    assert "more (indicators.txt and indicators.stix.json have them all)" in html


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
    assert "… and 50 more (the least at risk" in text
    indicators = next(line for line in text.splitlines() if line.startswith("Indicators ("))
    listed = indicators.split(": ", 1)[1].split(", ")
    assert len(listed) == listing.INDICATORS + 1 and listed[-1].endswith("more in those files")
    # the CSV and the indicator list hold every finding and every indicator
    assert outputs["findings.csv"].decode().count("LIR-CT-004:") == FINDINGS
    assert len(outputs["indicators.txt"].decode().split("\n#")) > listing.INDICATORS


def test_a_suspect_session_of_an_execution_role_revokes_it_on_its_most_at_risk_function() -> None:
    steps = checklist(_facts())
    revoke = [s for s in steps if s.command.endswith("--action revoke-sessions")]
    # three roles, each run by 50 functions: revoked once each, on the first of its functions
    assert [s.what for s in revoke] == [
        f"Revoke the sessions of execution role role-{n}" for n in range(3)
    ]
    assert [s.command.split("--function ")[1].split()[0] for s in revoke] == [
        _arn(n) for n in range(3)
    ]
