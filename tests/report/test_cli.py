"""`lambda-ir timeline` and `lambda-ir report` end to end, as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from lambda_ir.evidence import Case
from lambda_ir.report.freshness import analysis_note
from tests.timeline.casebuilder import build_case


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambda_ir", *args], capture_output=True, text=True, timeout=120
    )


def test_timeline_and_report_commands(tmp_path: Path) -> None:
    root = tmp_path / "case"
    build_case(root)
    (root / "case.duckdb").unlink()  # the commands rebuild the index themselves

    done = _run("timeline", "--case", str(root), "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"15 events -> {root / 'timeline.csv'}"

    done = _run("--json", "report", "--case", str(root))
    assert done.returncode == 0, done.stderr
    result = orjson.loads(done.stdout)
    assert result["findings"] == 3 and result["events"] == 15 and result["gaps"] == 3
    assert {Path(p).name for p in result["outputs"]} == {
        "report.html",
        "report.md",
        "findings.sarif",
        "findings.ocsf.jsonl",
        "findings.csv",
        "indicators.stix.json",
        "indicators.txt",
    }
    assert (root / "report.html").read_text().startswith("<!doctype html>")
    assert result["hidden"] == 0  # the fixture's trail has no call by the collector

    (root / "report.md").unlink()
    done = _run("--json", "report", "--case", str(root), "--format", "md,stix")
    assert done.returncode == 0, done.stderr
    names = {Path(p).name for p in orjson.loads(done.stdout)["outputs"]}
    assert names == {"report.md", "indicators.stix.json"} and (root / "report.md").is_file()
    said = _run("report", "--case", str(root), "--format", "md")
    assert "3 findings, 15 timeline events (0 of the collector's own calls" in said.stdout
    assert ", 1 function, 3 collection gaps" in said.stdout  # one function: no plural
    done = _run("report", "--case", str(root), "--format", "html,pdf")
    assert done.returncode == 2 and "unknown format pdf" in done.stderr

    custody = [orjson.loads(line) for line in (root / "custody.jsonl").read_text().splitlines()]
    actions = [c["action"] for c in custody[-7:]]
    assert actions == ["timeline", *["reporting", "reported"] * 3]


def test_report_on_a_folder_that_is_not_a_case(tmp_path: Path) -> None:
    done = _run("report", "--case", str(tmp_path))
    assert done.returncode == 1
    assert "is not a lambda-ir case" in done.stderr and "Traceback" not in done.stderr
    # and what to do about it, as for a folder that does not exist
    assert "create the case with one of them" in " ".join(done.stderr.split())


def test_a_refused_command_leaves_nothing_in_a_folder_that_is_not_a_case(
    tmp_path: Path,
) -> None:
    """`analyze --case CASE/raw` (a typo) is refused without planting its lock in the
    evidence: `verify` still finds the case intact; a folder of one's own keeps only its own."""
    root = tmp_path / "case"
    build_case(root)
    raw = next(p for p in root.iterdir() if p.is_dir() and p.name == "raw")
    for command in ("analyze", "report", "timeline", "index"):
        done = _run(command, "--case", str(raw))
        assert done.returncode == 1 and "is not a lambda-ir case" in done.stderr, command
    # commands that may make a case refuse a folder that holds something else, as early
    trail = tmp_path / "trail.json"
    trail.write_text('{"Records": []}')
    for args in (
        ("import-trail", "--case", str(raw), str(trail)),
        ("contain", "--case", str(raw), "--function", "orders-api", "--action", "throttle"),
    ):
        done = _run(*args)
        assert done.returncode == 1, args
        assert "exists and is not an empty folder or a lambda-ir case" in done.stderr, args
    checked = _run("verify", "--case", str(root))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("x")
    assert _run("analyze", "--case", str(mine)).returncode == 1
    assert sorted(p.name for p in mine.iterdir()) == ["todo.txt"]


def test_a_filtered_timeline_keeps_the_whole_one_and_warns_of_an_unknown_function(
    tmp_path: Path,
) -> None:
    root = tmp_path / "case"
    build_case(root)
    whole = _run("timeline", "--case", str(root))
    assert whole.returncode == 0, whole.stderr
    before = (root / "timeline.jsonl").read_bytes()
    typo = _run("timeline", "--case", str(root), "--function", "nosuchfn")
    assert typo.returncode == 0, typo.stderr
    assert "no event of the case is about function 'nosuchfn'" in typo.stdout + typo.stderr
    assert f"0 events (of 15) -> {root / 'timeline-filtered.jsonl'}" in typo.stdout
    assert (root / "timeline.jsonl").read_bytes() == before  # the whole one, untouched
    assert (root / "timeline-filtered.jsonl").read_bytes() == b""
    verified = _run("verify", "--case", str(root))
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_report_before_analyze_says_so(tmp_path: Path) -> None:
    # "0 findings", exit 0 and nothing else read as an all-clear
    root = tmp_path / "case"
    build_case(root)
    (root / "findings.json").unlink()
    done = _run("report", "--case", str(root), "--format", "md,html")
    assert done.returncode == 0, done.stderr
    assert "no findings.json: `lambda-ir analyze` has not run on this case" in done.stderr
    # and the first screen leads with it, not with "nothing to contain"
    markdown = (root / "report.md").read_text()
    glance = markdown.split("## At a glance: what to do now", 1)[1]
    assert glance.lstrip().startswith("**Not analyzed:** lambda-ir analyze has not run")
    assert "Nothing to contain yet" in glance and "Nothing to contain:" not in markdown
    page = (root / "report.html").read_text()
    assert '<p class="stale" id="analysis"><b>Not analyzed:</b>' in page
    assert page.index('id="analysis"') < page.index("<h3>Functions compromised or exposed")


def test_a_report_of_evidence_added_after_analyze_says_so(tmp_path: Path) -> None:
    """Collected again after analyze: the report's findings are of the older evidence, and it
    says so until analyze runs again; a contain plan recorded since is not evidence analyzed."""
    root = tmp_path / "case"
    build_case(root)
    assert _run("analyze", "--case", str(root)).returncode == 0
    case = Case.open(root)
    case.put_bytes(b"{}", "respond/plan-x/plan.json", kind="response", api=None)
    done = _run("report", "--case", str(root), "--format", "md")
    assert done.returncode == 0 and "after the last analysis" not in done.stderr, done.stderr
    assert "**Not analyzed:**" not in (root / "report.md").read_text()
    case.put_bytes(b'{"Records": []}', "trail/import/late.json", kind="trail", api="local:import")
    done = _run("report", "--case", str(root), "--format", "md")
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    assert "1 artifact(s) (trail) were added to the case after the last analysis" in said
    assert "**Not analyzed:** 1 artifact(s) (trail)" in (root / "report.md").read_text()
    assert _run("analyze", "--case", str(root)).returncode == 0
    done = _run("report", "--case", str(root), "--format", "md")
    assert "after the last analysis" not in done.stderr, done.stderr


def test_verify_says_when_an_output_changed_after_it_was_written(tmp_path: Path) -> None:
    # `verify` said "intact" after findings.json and report.md were edited, though custody
    # holds the SHA-256 each command wrote
    root = tmp_path / "case"
    build_case(root)
    assert _run("analyze", "--case", str(root)).returncode == 0
    assert _run("report", "--case", str(root), "--format", "md,html").returncode == 0
    assert _run("verify", "--case", str(root)).returncode == 0
    with (root / "report.md").open("a") as report:
        report.write("\nAll clear, nothing to see.\n")
    (root / "report.html").unlink()  # removed, to be rebuilt: not an alteration
    done = _run("verify", "--case", str(root))
    assert done.returncode == 1
    assert "altered: report.md: changed since lambda-ir wrote it" in done.stdout + done.stderr
    altered = [line for line in (done.stdout + done.stderr).splitlines() if "altered" in line]
    assert len(altered) == 1 and "report.md" in altered[0]
    assert _run("report", "--case", str(root), "--format", "md").returncode == 0
    assert _run("verify", "--case", str(root)).returncode == 0


def test_verify_tells_a_run_that_stopped_midway_from_an_edit(tmp_path: Path) -> None:
    # A report stopped after replacing report.md (before custody names the new hashes)
    # left it unlike the last recorded hash: it was "altered", as an edit is.
    root = tmp_path / "case"
    build_case(root)
    assert _run("report", "--case", str(root), "--format", "md").returncode == 0
    case = Case.open(root)
    case.log("reporting", {"outputs": ["report.md"]})  # as a run that then stopped leaves
    case.write_derived("report.md", b"# the stopped run's half\n")
    done = _run("verify", "--case", str(root))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "report.md: rewritten by a run that did not finish" in done.stdout + done.stderr


def test_freshness_counts_every_manifest_line_after_the_analysis(tmp_path: Path) -> None:
    """Custody's checkpoint counts every manifest line, readable or not: an unreadable line
    before an added artifact must not hide it (nor be taken for the analysis's)."""
    root = tmp_path / "case"
    build_case(root)
    case = Case.open(root)
    case.log("analyzed", {"findings": 0})
    assert analysis_note(case) == ""
    with (root / "manifest.jsonl").open("ab") as manifest:
        manifest.write(b"{not json\n")
    case = Case.open(root)
    assert analysis_note(case).startswith("1 artifact(s) (unreadable) were added")
    case.put_bytes(b'{"Records": []}', "trail/import/late.json", kind="trail", api="local:import")
    assert analysis_note(case).startswith("2 artifact(s) (trail, unreadable) were added")
