from __future__ import annotations

from pathlib import Path

import pytest

from tests.analyze.casebuild import CaseBuilder


@pytest.fixture
def builder(tmp_path: Path) -> CaseBuilder:
    return CaseBuilder(tmp_path / "case")
