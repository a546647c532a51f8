"""The report's code diffs between versions, and who uploaded the newer code."""

from __future__ import annotations

from pathlib import Path

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.evidence import Case
from lambda_ir.report.codediff import diff_code
from tests.analyze.casebuild import CaseBuilder
from tests.analyze.test_diff_and_changes import published_only


def test_an_upload_without_a_time_says_the_time_is_unknown(tmp_path: Path) -> None:
    builder = CaseBuilder(tmp_path / "case")
    published_only(builder, None)
    diff = diff_code(CaseView(Case.open(builder.root)), "orders", "1", "2")
    assert diff is not None and "None" not in diff.uploaded_by
    assert diff.uploaded_by == (
        "PublishVersion20150331 by arn:aws:iam::111122223333:user/mallory at an unknown time "
        "(the event gives none the index could read)"
    )
