"""findings.json as `analyze` writes it reads back as the findings that were written."""

from __future__ import annotations

from pathlib import Path

from lambda_ir.analyze import engine
from lambda_ir.evidence import Case
from lambda_ir.model import Actor, EvidenceRef, Finding, Severity
from lambda_ir.timeline.findings import read_findings


def _finding(n: int, incident: str) -> Finding:
    return Finding(
        id=f"LIR-CT-002:{n:016x}",
        detector="LIR-CT-002",
        title="Function URL opened without authentication",
        severity=Severity.HIGH if n % 2 else Severity.LOW,
        resource=f"arn:aws:lambda:eu-west-1:111122223333:function:fn-{n}",
        account="111122223333",
        region="eu-west-1",
        summary=f"call {n}",
        evidence=(
            EvidenceRef("trail/a.jsonl.zst", "ab" * 32),
            EvidenceRef("code/b.zip", "cd" * 32, member="handler.py"),
        ),
        attack=("T1190",),
        # as the timeline reads every time back (`utc_iso`: milliseconds and a Z)
        time=f"2026-11-0{1 + n % 9}T03:14:0{n % 10}.000Z",
        actor=Actor(
            arn="arn:aws:iam::111122223333:user/dev",
            type="IAMUser",
            access_key_id="AKIAEXAMPLE",
            source_ip="203.0.113.7",
            user_agent="aws-cli/2.15.0",
        ),
        details={"event_id": f"e-{n}", "events": 2, "source_ips": ["203.0.113.7"]},
        incident=incident,
    )


def test_every_field_reads_back_as_written_the_incident_too(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case")
    written = [_finding(n, f"INC-{n % 3:012x}" if n % 4 else "") for n in range(7)]
    case.write_derived_stream(engine.FINDINGS_FILE, engine.findings_chunks(written))
    back = read_findings(case)
    assert sorted(back, key=lambda f: f.id) == written
    assert {f.incident for f in back} == {
        "",
        "INC-000000000000",
        "INC-000000000001",
        "INC-000000000002",
    }
