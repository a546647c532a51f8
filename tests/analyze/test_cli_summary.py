"""The terminal summary of `analyze` lists the most severe findings, not hundreds of thousands;
findings.json and --json keep them all."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import orjson

from lambda_ir.analyze.engine import AnalysisResult
from lambda_ir.cli.analyze import LISTED, TABLE_MAX, TABLE_ROWS, _summary, function_table
from lambda_ir.model import EvidenceRef, Finding, Severity
from tests.analyze.casebuild import CaseBuilder, function_config


def _finding(n: int, severity: Severity) -> Finding:
    return Finding(
        id=f"LIR-X:{n:04d}",
        detector="LIR-X",
        title="t",
        severity=severity,
        resource=f"arn:aws:lambda:us-east-1:111122223333:function:fn-{n % 3}",
        account="111122223333",
        region="us-east-1",
        summary=f"finding {n}",
        evidence=(EvidenceRef("trail/a.jsonl.gz", "ab"),),
    )


def test_the_terminal_lists_the_first_findings_and_counts_the_rest() -> None:
    findings = tuple(_finding(n, Severity.HIGH if n < 5 else Severity.LOW) for n in range(250))
    result = AnalysisResult(findings=findings, ran=("LIR-X",), skipped=(), warnings=(), seconds=0)
    text = _summary(result, Path("case/findings.json"))
    assert "250 findings (0 critical, 5 high, 0 medium, 245 low, 0 info)" in text
    assert text.count("LIR-X ") == LISTED  # one line per listed finding
    assert "finding 99" in text and "finding 100" not in text
    assert f"… and {250 - LISTED} more in case/findings.json" in text
    table = function_table(findings)
    assert table[0] == "per function, worst first:"
    assert any("fn-0 us-east-1/111122223333: 2 high, 82 low" in line for line in table)


def test_a_short_list_is_listed_whole() -> None:
    findings = tuple(_finding(n, Severity.MEDIUM) for n in range(3))
    result = AnalysisResult(findings=findings, ran=("LIR-X",), skipped=(), warnings=(), seconds=0)
    text = _summary(result, Path("case/findings.json"))
    assert all(f"finding {n}" in text for n in range(3)) and "more in" not in text


def test_the_function_table_lists_the_worst_functions_and_counts_the_rest() -> None:
    # 50 functions with a high finding and 50 with only a low one (a million-event case had
    # 3,600 functions to list, one line each).
    findings = tuple(
        dataclasses.replace(
            _finding(n, Severity.HIGH if n < 50 else Severity.LOW),
            resource=f"arn:aws:lambda:us-east-1:111122223333:function:fn-{n:03d}",
        )
        for n in range(100)
    )
    table = function_table(findings)
    rows = [line for line in table[1:] if not line.startswith("  …")]
    assert len(rows) == TABLE_MAX and all("high" in line for line in rows)
    assert "fn-000 " in rows[0] and "fn-029 " in rows[-1]  # worst, then most findings, by name
    assert table[-2:] == [
        f"  … and {50 - TABLE_MAX} more functions with medium or worse findings",
        "  … and 50 more functions with only low or info findings",
    ]
    # 5 high and 10 low: the low ones fill the table up to TABLE_ROWS rows, the rest counted
    few = function_table(findings[45:60])
    assert [line.split()[2] for line in few[1:-1]] == [
        f"fn-{n:03d}" for n in range(45, 45 + TABLE_ROWS)
    ]
    assert few[-1] == "  … and 5 more functions with only low or info findings"


def test_the_terminal_lists_ten_incidents_and_says_how_many_more(tmp_path: Path) -> None:
    # Twelve functions with a hook each: twelve exposure incidents, ten of them listed.
    builder = CaseBuilder(tmp_path / "case")
    for n in range(12):
        env = {"AWS_LAMBDA_EXEC_WRAPPER": f"/opt/wrap-{n}"}
        builder.versions(f"fn-{n:02d}", [function_config(f"fn-{n:02d}", env=env)])
    done = subprocess.run(
        [sys.executable, "-m", "lambda_ir", "analyze", "--case", str(builder.root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    incidents = orjson.loads((builder.root / "incidents.json").read_bytes())
    assert len(incidents) > 10  # the twelve and what the case lacks (an evidence gap)
    assert done.stdout.count("\n  high     INC-") == 10
    left_out = len(incidents) - 10
    assert f"\n  … and {left_out} more (incidents.json has them all)\n" in done.stdout
