"""A caller from another account (`userIdentity.type` AWSAccount) has no ARN: every output
names it `account:<account>/<principal id>`, as baselines and incidents do. It was an empty
cell in findings.csv and the timeline, and the summary left its changes out."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from lambda_ir.analyze.detectors import ALL
from lambda_ir.analyze.engine import analyze_case
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.report.facts import build_facts
from lambda_ir.report.findings_csv import render_csv
from lambda_ir.report.summary import key_actions
from lambda_ir.timeline.findings import read_findings
from lambda_ir.timeline.merge import build_timeline
from tests.analyze.casebuild import ACCOUNT, CaseBuilder, trail_event

STRANGER = {
    "type": "AWSAccount",
    "principalId": "AROASTRANGER00000001:x",
    "accountId": "999988887777",
}
NAME = "account:999988887777/AROASTRANGER00000001"


def test_another_accounts_caller_is_named_in_every_output(tmp_path: Path) -> None:
    builder = CaseBuilder(tmp_path / "case")
    builder.trail(
        [
            trail_event(
                "AddPermission20150331v2",
                {
                    "functionName": "orders",
                    "statementId": "open",
                    "action": "lambda:InvokeFunction",
                    "principal": "*",
                },
                identity=STRANGER,
                event_id="grant-1",
                time="2026-10-22T02:10:00Z",
                source_ip="203.0.113.66",
            )
        ]
    )
    case = Case.open(builder.root)
    analyze_case(case, ALL)
    findings = read_findings(case)
    (grant,) = [f for f in findings if f.detector == "LIR-CT-001"]
    assert grant.actor is not None and grant.actor.key == NAME
    assert grant.summary.startswith(f"{NAME} allowed anyone")

    rows = list(csv.DictReader(io.StringIO(render_csv([grant]))))
    assert [row["principal"] for row in rows] == [NAME]

    with open_index(case) as index:
        events = list(build_timeline(case, index, findings=findings))
        facts = build_facts(case, events, "2026-10-23T00:00:00Z", index=index)
    trail = [e for e in events if e.source == "cloudtrail"]
    assert [e.actor for e in trail] == [NAME]
    assert {e.actor for e in events if e.source == "finding"} == {NAME}
    assert any("AddPermission" in line for line in key_actions(facts)), key_actions(facts)
    assert ACCOUNT in grant.resource
