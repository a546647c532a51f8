"""Scans of the raw trail records keep enough memory on a many-core machine.

DuckDB's JSON reader buffers per thread; after the baseline's verdicts the detectors' queries
once ran within a lower limit, which 8 threads reading 24 files overran (Sigma and the
indicator scan were dropped with an out-of-memory warning). A raw scan runs within
ANALYSIS_MEMORY on at most RAW_SCAN_THREADS threads, and the index's settings come back after.
"""

from __future__ import annotations

from lambda_ir.analyze.caseview import RAW_SCAN_THREADS, AnalyzeOptions, CaseView
from lambda_ir.analyze.detectors import ALL, sigma_rules
from lambda_ir.analyze.engine import run_detectors
from lambda_ir.analyze.options import build_options
from lambda_ir.analyze.trail_rows import select_records
from lambda_ir.evidence import Case
from tests.analyze.casebuild import CaseBuilder, role_identity, trail_event
from tests.analyze.test_sigma import SIGMA


def _case(builder: CaseBuilder, options: AnalyzeOptions | None = None) -> CaseView:
    for n in range(24):
        builder.trail(
            [
                trail_event(
                    "UpdateFunctionCode20150331v2",
                    {"functionName": "fn"},
                    identity=role_identity("ci", f"s{n}-{i}"),
                    event_id=f"e{n}-{i}",
                    time=f"2026-10-{1 + n % 28:02d}T10:{i % 60:02d}:00Z",
                )
                for i in range(1000)
            ],
            name=f"f{n}",
        )
    return CaseView(Case.open(builder.root), options)


def _settings(view: CaseView) -> tuple[str, str]:
    found = view.index.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')"
    ).fetchone()
    assert found is not None
    return str(found[0]), str(found[1])


def test_raw_records_are_read_after_the_verdicts_on_eight_threads(builder: CaseBuilder) -> None:
    view = _case(builder)
    view.index.execute("SET threads = 8")
    assert view.novelty  # the verdicts are made (their 100 MB stay in DuckDB's memory)
    before = _settings(view)
    rows = select_records(view, "record->>'$.eventID' LIKE '%-1'")
    assert len(rows) == 24
    assert _settings(view) == before  # limit and threads back as they were
    with view.raw_scan() as index:
        assert index.execute("SELECT current_setting('threads')").fetchone() == (RAW_SCAN_THREADS,)


def test_sigma_runs_after_the_verdicts_on_eight_threads(builder: CaseBuilder) -> None:
    view = _case(builder, build_options(sigma_dirs=(SIGMA,)))
    view.index.execute("SET threads = 8")
    detectors = [d for d in ALL if d.info.id.startswith("LIR-CT-")] + [sigma_rules.DETECTOR]
    result = run_detectors(view, detectors)
    assert sigma_rules.DETECTOR.info.id in result.ran, result.warnings
    assert not result.warnings
