"""The demo's story end to end: emulated Denonia incident -> collect -> analyze -> report.

The emulator (moto on loopback plus our layer) plays the incident through boto3; the
collector gathers it over HTTP; analysis and the report run offline on the case. The page
is opened in Debian's chromium and kept as `build/demo-report-screenshot.png`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from lambda_ir.emulator.scenarios.denonia import TARGET_FUNCTION
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.model import Severity
from lambda_ir.report import write_report
from lambda_ir.report.response import suspects
from lambda_ir.timeline import write_timeline
from tests.report.test_browser import ARGS, CHROMIUM, TIMEOUT_MS

SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "demo-report-screenshot.png"
SARIF_SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")
REPORT_BUDGET = 10 * 1024 * 1024

pytestmark = pytest.mark.slow


# The emulator runs in a child process: moto's state is process-wide, and resetting it here
# would wipe the scenarios another test module seeded in this worker.
_COLLECT = """
import sys
from pathlib import Path
import boto3
from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.emulator.scenarios import seed
from lambda_ir.emulator.scenarios.denonia import TARGET_FUNCTION, TARGET_REGION
from lambda_ir.emulator.testing import running_emulator
from lambda_ir.evidence import Case

with running_emulator(flush_interval=3600) as emulator:
    (incident,) = seed(emulator, ["denonia"])
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    case = Case.create(Path(sys.argv[1]), {"demo": "denonia"})
    start, end = incident.window
    scope = Scope(
        regions=(TARGET_REGION,),
        functions=(TARGET_FUNCTION,),
        since=start.isoformat(),
        until=end.isoformat(),
    )
    options = CollectOptions(workers=4, quotas=False, endpoint_url=emulator.endpoint_url)
    collect(case, session, scope, options)

    # Analyze and report, then run every command the report suggests as a user pastes it,
    # while the emulator still plays the incident (contain only plans: no --apply).
    import json, os, shlex
    from lambda_ir.analyze.detectors import ALL
    from lambda_ir.analyze.engine import analyze_case
    from lambda_ir.evidence.index import open_index
    from lambda_ir.report import write_report
    from lambda_ir.report.response import checklist
    from lambda_ir.report.sections import diff_command

    analyze_case(case, ALL)
    with open_index(case) as index:
        facts = write_report(case, index, "2026-11-29T10:00:00Z").facts
    commands = [s.command for s in checklist(facts) if s.command]
    commands += [
        c for f in facts.functions for row in f.versions if (c := diff_command(facts, f, row))
    ]
    import re  # and the commands findings suggest in their summaries
    commands += [c for f in facts.findings for c in re.findall(r"`(lambda-ir [^`]+)`", f.summary)]
    commands = list(dict.fromkeys(commands))
    os.environ.update(AWS_ENDPOINT_URL=emulator.endpoint_url, AWS_ACCESS_KEY_ID="testing",
                      AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    # Each command through the `lambda-ir` console script's own entry point (`main`), argv as
    # the shell splits it, in this process: a subprocess each cost a Python start and imports.
    import contextlib, io
    from lambda_ir.cli.main import main
    pasted = Path(sys.argv[2])
    results = []
    for command in commands:
        argv = shlex.split(command)
        out, err, code = io.StringIO(), io.StringIO(), 0
        sys.argv = argv
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        results.append([command, argv[0], code, out.getvalue()[-2000:], err.getvalue()[-2000:]])
    pasted.write_text(json.dumps(results))
"""
PASTED = "pasted.json"


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    root = tmp_path_factory.mktemp("demo") / "case"
    pasted = root.parent / PASTED
    done = subprocess.run(
        [sys.executable, "-c", _COLLECT, str(root), str(pasted)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return Case.open(root)


def test_demo_report_tells_the_incident(demo_case: Case) -> None:
    with open_index(demo_case) as index:
        timeline = write_timeline(demo_case, index)
        result = write_report(demo_case, index, "2026-11-29T10:00:00Z")
    facts = result.facts
    assert timeline.events == facts.events_total > 0
    assert facts.count(Severity.CRITICAL) >= 1
    assert [a.rsplit(":", 1)[-1] for a in facts.affected] == [TARGET_FUNCTION]
    assert {r.name for r in facts.roles} == {f"{TARGET_FUNCTION}-us-east-1-role"}
    assert {e.source for e in facts.events} >= {"cloudtrail", "lambda", "logs", "finding"}
    (function,) = [f for f in facts.functions if f.name == TARGET_FUNCTION]
    changed = [row for row in function.versions if row.diff is not None]
    assert changed and all(row.code_path for row in function.versions)
    assert any(row.diff and row.diff.names("added") + row.diff.names("changed") for row in changed)
    sarif = orjson.loads((demo_case.root / "findings.sarif").read_bytes())
    jsonschema.validate(sarif, orjson.loads(SARIF_SCHEMA.read_bytes()))
    code = [r for r in sarif["runs"][0]["results"] if r["ruleId"].startswith("yara:")]
    assert code and all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bootstrap"
        for r in code
    )
    models = pytest.importorskip("py_ocsf_models.events.findings.detection_finding")
    for line in (demo_case.root / "findings.ocsf.jsonl").read_bytes().splitlines():
        models.DetectionFinding(**orjson.loads(line))
    markdown = (demo_case.root / "report.md").read_text()
    assert TARGET_FUNCTION in markdown and "## What could not be collected" in markdown


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_demo_report_in_the_browser(demo_case: Case, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with open_index(demo_case) as index:
        result = write_report(demo_case, index, "2026-11-29T10:00:00Z")
    with sync_api.sync_playwright() as playwright:
        browser: Any = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(TIMEOUT_MS)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(result.html.as_uri())
        page.wait_for_function("document.getElementById('timeline-chart').dataset.rendered")
        assert problems == []
        # The first screen names the compromised function, the key id and the addresses.
        now = page.locator("#now").inner_text()
        key = next(s for s in suspects(result.facts) if s.access_keys[0].startswith("AKIA"))
        assert TARGET_FUNCTION in page.locator("#at-risk").inner_text()
        assert key.access_keys[0] in now and all(a in now for a in key.addresses)
        assert "203.0.113.66" in key.addresses  # the demo attacker's address
        # A finding's evidence opens in place: the CloudTrail record from its trail file.
        row = page.locator("#findings > tbody > tr", has_text="LIR-CT-004")
        row.locator("details.evidence > summary").click()
        record = row.locator("pre.ev-cloudtrail")
        assert record.is_visible() and '"eventName": "UpdateFunctionCode' in record.inner_text()
        assert "(trail/" in row.locator(".excerpt-title").first.inner_text()
        page.uncheck("input[data-severity-filter][value=critical]")
        shown = page.locator("#findings-shown").inner_text()
        assert shown.startswith(
            f"{len(result.facts.findings) - result.facts.count(Severity.CRITICAL)} of"
        )
        page.check("input[data-severity-filter][value=critical]")
        shot = tmp_path / "demo-report.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, SCREENSHOT)
    # The stated budget (README): the demo's page, evidence excerpts included, under 10 MB.
    assert result.html.stat().st_size < REPORT_BUDGET


def test_every_command_the_demo_report_suggests_works_when_pasted(demo_case: Case) -> None:
    results = orjson.loads((demo_case.root.parent / PASTED).read_bytes())
    commands = [command for command, *_ in results]
    assert any(" contain " in c and "deactivate-key=AKIA" in c for c in commands)
    # The public statement is LOW exposure; the attacker's grant (LIR-CT-001) keeps its removal.
    assert any(" contain " in c and "--action block-public" in c for c in commands)
    assert any(c.startswith("lambda-ir diff ") for c in commands)
    findings = orjson.loads((demo_case.root / "findings.json").read_bytes())
    suggested = [f for f in findings if "`lambda-ir diff --case " in f["summary"]]
    assert suggested  # LIR-CHG-001 names its diff command, complete
    assert any(c.startswith("lambda-ir search ") and "--ioc" in c for c in commands)
    html = (demo_case.root / "report.html").read_text()
    for command, program, code, out, err in results:
        assert program == "lambda-ir"
        assert code == 0, f"{command}\n{out}\n{err}"
        assert "Traceback" not in err, command
        # Every command is on the page, as text to copy (findings' in their summaries).
        assert command.replace("'", "&#x27;") in html
