"""SARIF against the 2.1.0 schema, OCSF required attributes, and redaction in every output."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import jsonschema
import orjson
import pytest

from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.report import build_facts, render_all, write_report
from lambda_ir.report.ocsf import CLASS_UID, REQUIRED
from lambda_ir.report.write import FORMATS, render, stream
from lambda_ir.timeline import build_timeline
from tests.analyze.casebuild import CaseBuilder, function_config
from tests.timeline.casebuilder import ACCOUNT, REGION, SECRET_VALUE, BuiltCase, build_case

SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")


@pytest.fixture
def built(tmp_path: Path) -> BuiltCase:
    return build_case(tmp_path / "case")


def _outputs(built: BuiltCase) -> dict[str, bytes]:
    index = built.index()
    events = build_timeline(built.case, index)
    return render_all(build_facts(built.case, events, "2026-11-29T10:00:00Z"))


def test_sarif_validates_and_code_findings_point_into_the_package(built: BuiltCase) -> None:
    sarif = orjson.loads(_outputs(built)["findings.sarif"])
    jsonschema.validate(sarif, orjson.loads(SCHEMA.read_bytes()))
    run = sarif["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["LIR-CODE-001", "LIR-POL-001", "LIR-CFG-002"]
    code = run["results"][0]["locations"][0]["physicalLocation"]
    assert code["artifactLocation"]["uri"] == "app.py"
    assert code["region"] == {"startLine": 12}
    assert "blobs/sha256/aa/" in code["artifactLocation"]["description"]["text"]
    policy = run["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert policy == {
        "uri": "raw/111122223333/eu-west-1/lambda/functions/f/policy/_.json",
        "uriBaseId": "CASE",
    }
    assert run["results"][0]["level"] == "error"
    assert run["results"][2]["level"] == "warning"


def test_sarif_schema_rejects_a_broken_log(built: BuiltCase) -> None:
    sarif = orjson.loads(_outputs(built)["findings.sarif"])
    sarif["runs"][0]["results"][0]["level"] = "catastrophic"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(sarif, orjson.loads(SCHEMA.read_bytes()))


def test_ocsf_rows_carry_detection_finding_attributes(built: BuiltCase) -> None:
    rows = [orjson.loads(line) for line in _outputs(built)["findings.ocsf.jsonl"].splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert all(row.get(name) not in (None, "", {}) for name in REQUIRED), row
        assert row["class_uid"] == CLASS_UID == 2004
        assert row["category_uid"] == 2
        assert row["type_uid"] == 200401
        assert row["finding_info"]["uid"] and row["finding_info"]["title"]
        assert row["metadata"]["product"]["name"] == "lambda-ir" and row["metadata"]["version"]
        assert isinstance(row["time"], int)
    critical = rows[0]
    assert critical["severity_id"] == 5 and critical["time"] == 1795904045000
    assert critical["finding_info"]["attacks"] == [
        {"technique": {"uid": "T1496", "name": "T1496"}, "version": "v15"}
    ]
    assert rows[1]["unmapped"]["actor"]["arn"].endswith("/mallory")
    undated = rows[2]
    assert undated["time_dt"] == "2026-11-29T10:00:00Z"


def test_no_output_leaks_the_secret(built: BuiltCase) -> None:
    for name, data in _outputs(built).items():
        assert SECRET_VALUE.encode() not in data, name
    assert b"[REDACTED]" in _outputs(built)["report.md"]


def test_write_report_records_hashes_in_custody(built: BuiltCase) -> None:
    result = write_report(built.case, built.index(), "2026-11-29T10:00:00Z")
    assert sorted(p.name for p in result.paths) == [
        "findings.csv",
        "findings.ocsf.jsonl",
        "findings.sarif",
        "indicators.stix.json",
        "indicators.txt",
        "report.html",
        "report.md",
    ]
    last = orjson.loads((built.case.root / "custody.jsonl").read_text().splitlines()[-1])
    assert last["action"] == "reported"
    for path in result.paths:
        assert (
            last["details"]["outputs"][path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
        )


def test_written_exports_are_their_whole_render_and_hash_as_recorded(built: BuiltCase) -> None:
    # One finding or indicator a block: each export is streamed in several blocks.
    result = write_report(built.case, built.index(), "2026-11-29T10:00:00Z", block=1)
    for name in ("sarif", "ocsf", "csv", "stix"):
        assert len(list(stream(result.facts, name, 1))) >= 3, name  # two blocks or more
    last = orjson.loads((built.case.root / "custody.jsonl").read_text().splitlines()[-1])
    for name, file_name in FORMATS.items():
        written = result.path_of(file_name).read_bytes()
        assert written == render(result.facts, name), file_name
        digest = hashlib.sha256(written).hexdigest()
        assert result.outputs[file_name] == digest == last["details"]["outputs"][file_name]


def test_functions_carry_versions_and_file_level_code_diff(built: BuiltCase) -> None:
    index = built.index()
    facts = build_facts(built.case, build_timeline(built.case, index), "2026-11-29T10:00:00Z")
    (function,) = facts.functions
    assert [r.version for r in function.versions] == ["1", "2", "$LATEST"]
    first, second, latest = function.versions
    assert first.diff is None and latest.diff is None  # $LATEST has version 2's code
    assert second.changed == ("code", "Layers")
    assert second.diff is not None
    diff = second.diff
    assert (diff.names("added"), diff.names("removed"), diff.names("changed")) == (
        ("miner.py",),
        (),
        ("app.py",),
    )
    assert diff.label == "+1 −0 ~1 files"
    app = next(f for f in diff.files if f.name == "app.py")
    assert "+import miner" in app.text and "-    return 'ok'" in app.text
    # The CloudTrail upload in the fixture carries no codeSha256, so no attribution is made up.
    assert diff.uploaded_by == ""
    assert dict(function.environment)["DB_PASSWORD"].startswith("[REDACTED]")
    assert function.urls == ("https://abc.lambda-url.eu-west-1.on.aws/ (auth NONE)",)
    assert function.triggers == ("arn:aws:sqs:eu-west-1:111122223333:orders (Enabled)",)
    assert function.aliases == ("live → 2",)
    assert [g.why for g in facts.missing] == [
        "AccessDeniedException: not authorized to perform logs:FilterLogEvents",
        "denied: AccessDeniedException: not authorized to perform "
        "lambda:GetFunctionCodeSigningConfig",
        "log-group-missing: /aws/lambda/old-orders has no log group",
    ]
    assert [g.what for g in facts.gaps_of(function)] == [
        "lambda:GetFunctionCodeSigningConfig(FunctionName=orders-api)"
    ]
    assert [g.what for g in facts.absent] == [
        "lambda:GetPolicy(FunctionName=orders-api, Qualifier=1)"
    ]
    assert facts.affected == ("arn:aws:lambda:eu-west-1:111122223333:function:orders-api",)
    (role,) = facts.roles
    assert any(g.dangerous and "secretsmanager:GetSecretValue" in g.actions for g in role.grants)


def test_a_log_artifact_not_read_whole_is_a_collection_gap(built: BuiltCase) -> None:
    """Its events are in no finding, as surely as a denied call's: the page counted 0 gaps."""
    bad = f"logs/{ACCOUNT}/{REGION}/%2Faws%2Flambda%2Forders-api/late.jsonl.gz"
    built.case.put_bytes(
        gzip.compress(b'{"timestamp": 1795904400000, "message": "x"}\n' * 50)[:-12],
        bad,
        kind="logs",
        api="logs:FilterLogEvents",
        params={"logGroupName": "/aws/lambda/orders-api"},
        account=ACCOUNT,
        region=REGION,
    )
    case = Case.open(built.case.root)
    with open_index(case) as index:  # rebuilt: the manifest changed
        facts = build_facts(case, build_timeline(case, index), "2026-11-29T10:00:00Z", index=index)
    assert len(facts.missing) == 4
    (gap,) = [g for g in facts.missing if bad in g.what]
    assert gap.what == f"logs:FilterLogEvents(logGroupName=/aws/lambda/orders-api): {bad}"
    assert gap.why.startswith("collected, but not read whole: not read, none of its events")
    assert gap.where == f"{ACCOUNT}/{REGION}"
    (function,) = facts.functions
    assert gap in facts.gaps_of(function)
    assert "- **Collection gaps:** 4" in render_all(facts)["report.md"].decode()


def test_an_interrupted_last_collection_is_the_first_gap_until_one_completes(
    built: BuiltCase,
) -> None:
    """Ctrl-C left a case of only the functions reached; the report read as complete."""
    stopped = {"account": ACCOUNT, "regions": [REGION], "not_done": {"versions": 5}}
    built.case.log("collect-interrupted", stopped)
    facts = build_facts(built.case, [], "2026-11-29T10:00:00Z")
    first = facts.missing[0]
    assert (first.what, first.where) == ("collect (interrupted)", f"{ACCOUNT}/{REGION}")
    assert "5 queued call(s) were never made (versions 5)" in first.why
    assert len(facts.missing) == 4  # the case's three gaps, and this one
    page = render_all(facts)
    assert "- **Collection gaps:** 4" in page["report.md"].decode()
    assert (
        b"collect (interrupted)" in page["report.md"]
        and b"interrupted (Ctrl-C)" in page["report.html"]
    )
    built.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})  # a run completed
    again = build_facts(built.case, [], "2026-11-29T10:00:00Z")
    assert "collect (interrupted)" not in [g.what for g in again.missing]


def test_summary_tells_what_the_flagged_actor_changed(built: BuiltCase) -> None:
    from lambda_ir.report.summary import key_actions

    facts = build_facts(built.case, build_timeline(built.case, built.index()), "now")
    actions = key_actions(facts)
    assert [a.split(" ")[1] for a in actions] == [
        "UpdateFunctionCode",
        "PublishVersion",
        "UpdateAlias",
        "AddPermission",
    ]
    assert actions[0].startswith("2026-11-28T22:10:00.000Z ")


def test_an_empty_case_still_reports(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "empty")
    result = write_report(case, None, "2026-11-29T10:00:00Z")
    markdown = (case.root / "report.md").read_text()
    assert "No findings" in markdown and "No function configuration" in markdown
    assert orjson.loads((case.root / "findings.sarif").read_bytes())["runs"][0]["results"] == []
    assert (case.root / "findings.ocsf.jsonl").read_bytes() == b""
    assert any("no index" in w for w in result.warnings)
    assert 'id="timeline-chart"' in result.html.read_text()


def test_sarif_member_names_are_percent_encoded() -> None:
    from lambda_ir.model import EvidenceRef, Finding, Severity
    from lambda_ir.report.sarif import render_sarif

    finding = Finding(
        id="x",
        detector="yara:r",
        title="t",
        severity=Severity.LOW,
        resource="r",
        account="1",
        region="r",
        summary="s",
        evidence=(EvidenceRef("blobs/p", "a", member="src/a b#c.py"),),
    )
    location = render_sarif((finding,))["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "src/a%20b%23c.py"


def sarif_unescaped(text: str) -> str:
    """A SARIF plain-text message as a viewer shows it, in one pass: `{{` and `}}` as
    braces (SARIF 2.1.0 §3.11.5), `\\[`, `\\]` and `\\\\` unescaped as CodeQL's viewer
    does (§3.11.6)."""
    return re.sub(r"\\([\\\[\]])|\{\{|\}\}", lambda m: m.group(1) or m.group(0)[0], text)


# An embedded link (`[text](target)`, §3.11.6) a viewer follows: not escaped, in any part.
_LINK = re.compile(r"(?<!\\)(?:\\\\)*\[(?:[^\\\[\]]|\\.)*\]\(")
# A placeholder (`{n}`, §3.11.5) a viewer replaces: a brace not doubled.
_PLACEHOLDER = re.compile(r"(?<!\{)\{[0-9]+\}(?!\})")


@pytest.mark.parametrize(
    "evidence",
    [
        "[Verified safe - see runbook](https://evil.example/runbook)",
        "{0} and {1}",
        "a\\[x](1) and \\\\[y](2)",  # backslashes before the bracket
        'policy {"Effect": "Allow"} [not a link]',
    ],
)
def test_sarif_messages_say_what_the_evidence_says_and_link_nowhere(evidence: str) -> None:
    from lambda_ir.model import EvidenceRef, Finding, Severity
    from lambda_ir.report.sarif import render_sarif

    finding = Finding(
        id="x",
        detector="LIR-LOG-003",
        title=f"title {evidence}",
        severity=Severity.HIGH,
        resource="r",
        account="1",
        region="r",
        summary=f"log line: {evidence}",
        evidence=(EvidenceRef("blobs/p", "a", member=f"src/{evidence}.py"),),
    )
    run = render_sarif((finding,))["runs"][0]
    result, rule = run["results"][0], run["tool"]["driver"]["rules"][0]
    described = result["locations"][0]["physicalLocation"]["artifactLocation"]["description"]
    for text in (result["message"]["text"], rule["shortDescription"]["text"], described["text"]):
        assert not _LINK.search(text) and not _PLACEHOLDER.search(text), text
    assert sarif_unescaped(result["message"]["text"]) == f"title {evidence}: log line: {evidence}"
    assert sarif_unescaped(rule["shortDescription"]["text"]) == f"title {evidence}"


def test_ocsf_rows_validate_as_detection_findings(built: BuiltCase) -> None:
    models = pytest.importorskip("py_ocsf_models.events.findings.detection_finding")
    fields = set(models.DetectionFinding.model_fields)
    for line in _outputs(built)["findings.ocsf.jsonl"].splitlines():
        row = orjson.loads(line)
        finding = models.DetectionFinding(**row)  # raises on a wrong type or missing field
        assert finding.class_uid == 2004 and int(finding.type_uid) == 200401
        assert set(row) <= fields, set(row) - fields  # nothing the class does not define


def test_every_link_in_the_page_opens_a_file_of_the_case(built: BuiltCase) -> None:
    import re
    import urllib.parse

    page = _outputs(built)["report.html"].decode()
    hrefs = re.findall(r'href="([^"#][^"]*)"', page)
    # The API responses findings cite and the versions listing (the timeline's rows are
    # drawn by the page's script, as text).
    assert {urllib.parse.unquote(h) for h in hrefs} >= {
        "raw/111122223333/eu-west-1/lambda/functions/f/policy/_.json",
        "raw/111122223333/eu-west-1/lambda/functions/f/versions/1.json",
    }
    for href in hrefs:
        path = built.case.root / urllib.parse.unquote(href)
        assert path.is_file() and href.endswith(".json"), href


def test_a_last_collection_that_never_ended_is_the_first_gap(built: BuiltCase) -> None:
    """A collect killed outright logs only its start: the report read as complete."""
    built.case.log("collect-started", {"scope": {"regions": [REGION]}, "account": ACCOUNT})
    facts = build_facts(built.case, [], "2026-11-29T10:00:00Z")
    first = facts.missing[0]
    assert (first.what, first.where) == ("collect (never ended)", f"{ACCOUNT}/{REGION}")
    assert "never recorded its end" in first.why
    built.case.log("collected", {"account": ACCOUNT, "regions": [REGION]})
    again = build_facts(built.case, [], "2026-11-29T10:00:00Z")
    assert not any(g.what.startswith("collect (") for g in again.missing)


def test_a_shared_log_group_gap_is_a_gap_of_every_function_that_logs_there(
    tmp_path: Path,
) -> None:
    """orders and billing log to /app/shared (LoggingConfig), read once for one of them: a
    read of it that failed or was not read whole showed in neither function's section (a
    FilterLogEvents call names no function) or in the reader's only."""
    builder = CaseBuilder(tmp_path / "case")
    for name in ("orders", "billing"):
        builder.versions(name, [function_config(name, LoggingConfig={"LogGroup": "/app/shared"})])
    builder.versions("quiet", [function_config("quiet")])
    body = gzip.compress(b'{"timestamp": 1795904400000, "message": "x"}\n' * 50)[:-12]
    builder.log_artifact("/app/shared", body)
    denied = {"logGroupName": "/app/shared", "startTime": 1}
    builder.failed("logs", "logs:FilterLogEvents", denied, "denied: AccessDeniedException: no")
    case = Case.open(builder.root)
    with open_index(case) as index:
        facts = build_facts(case, build_timeline(case, index), "2026-11-29T10:00:00Z", index=index)
    by_name = {f.name: facts.gaps_of(f) for f in facts.functions}
    assert [len(by_name[name]) for name in ("orders", "billing", "quiet")] == [2, 2, 0]
    assert by_name["orders"] == by_name["billing"]
    assert {g.log_group for g in by_name["orders"]} == {"/app/shared"}
