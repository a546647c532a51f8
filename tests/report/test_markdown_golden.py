"""report.md against a golden file, with every timestamp and id in the case pinned.

Regenerate after an intended change with `UPDATE_GOLDEN=1 pytest tests/report` and read the
diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

from lambda_ir.report import build_facts
from lambda_ir.report.markdown import render_markdown
from lambda_ir.timeline import build_timeline
from tests.timeline.casebuilder import build_case, freeze

GOLDEN = Path(__file__).with_name("golden")


def _render(tmp_path: Path, hostile: bool) -> str:
    built = build_case(tmp_path / "case", hostile=hostile)
    case = freeze(built)
    index = built.index()
    facts = build_facts(case, build_timeline(case, index), "2026-11-29T10:00:00Z")
    # Suggested commands name the case folder; the golden file says CASE.
    root = str(case.root)
    text = render_markdown(facts)
    return text.replace(root, "CASE").replace(root.replace("_", "\\_"), "CASE")


def _check(name: str, text: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_report_md_matches_golden(tmp_path: Path) -> None:
    _check("report.md", _render(tmp_path, hostile=False))


def test_hostile_report_md_matches_golden(tmp_path: Path) -> None:
    text = _render(tmp_path, hostile=True)
    _check("report-hostile.md", text)
    assert "<script>" not in text and "<img" not in text
