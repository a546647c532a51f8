"""The trail detectors finish within DuckDB's memory limit, whatever the number of threads.

At 3M events, and at 1M on ten threads or more, analysis ran out of ANALYSIS_MEMORY: the
verdicts' facts read one CTE ten times, `select_groups` kept the selected events with their
requests and responses in a materialized CTE and carried them through its window functions,
and `iter_judged` sorted above a join that held every selected call in memory. The trail
detectors were dropped with an out-of-memory warning each. This case brings those shapes
down to a test's size: 30,000 code, configuration and function URL changes whose requests
and responses weigh 6 KB each (a real one's are nearer 1 KB), within 256 MB on 16 threads.
Before the fix LIR-CT-003 (`iter_judged`) and LIR-CT-002 (`select_groups`) failed here, each
also with only the other's query fixed; the facts' CTE needs more distinct facts than a test
can make to run out (1M events on ten threads), so `lir_base` rests on the README's runs. The
findings must be those of the same analysis within the default limit and threads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import ALL
from lambda_ir.analyze.engine import run_detectors
from lambda_ir.evidence import Case
from tests.analyze.casebuild import CaseBuilder, role_identity, trail_event

FILES, PER_FILE = 15, 2000
PADDING = "d" * 6000  # a description as long as six real requests
CALLS = (
    "UpdateFunctionCode20150331v2",
    "UpdateFunctionConfiguration20150331v2",
    "CreateFunctionUrlConfig20211031",
)


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The case of 30,000 changes, built and indexed once for the module's tests (each
    analysis only reads it: 10-15 s a test to build)."""
    builder = CaseBuilder(tmp_path_factory.mktemp("memory") / "case")
    _changes(builder)
    view = CaseView(Case.open(builder.root))
    view.index  # noqa: B018 - built now, and closed: each test's limits are its own instance's
    view.close_index()
    return builder.root


def _changes(builder: CaseBuilder) -> None:
    for f in range(FILES):
        builder.trail(
            [
                trail_event(
                    CALLS[i % 3],
                    {
                        "functionName": f"fn{i % 50}",
                        "description": PADDING,
                        "layers": [f"arn:aws:lambda:us-east-1:123456789012:layer:l{i % 7}:1"],
                        "authType": "NONE",
                        "cors": {"allowOrigins": [f"https://{i % 9}.example"]},
                    },
                    response={
                        "functionName": f"fn{i % 50}",
                        "codeSha256": f"sha{i}",
                        "description": PADDING,
                    },
                    identity=role_identity(f"ci{i % 5}", f"s{f}-{i}"),
                    event_id=f"e{f}-{i}",
                    time=f"2026-10-{1 + (f * PER_FILE + i) % 28:02d}T"
                    f"{(i // 60) % 24:02d}:{i % 60:02d}:00Z",
                    source_ip=f"10.{f}.{i % 250}.{i % 7}",
                )
                for i in range(PER_FILE)
            ],
            name=f"f{f}",
        )


def test_trail_detectors_finish_within_256_mb_on_sixteen_threads(changed: Path) -> None:
    detectors = [d for d in ALL if d.info.id.startswith("LIR-CT-")]
    view = CaseView(Case.open(changed))
    view.index.execute("SET memory_limit = '256MB'")
    view.index.execute("SET threads = 16")
    limited = run_detectors(view, detectors)
    assert not limited.warnings, limited.warnings
    assert {"LIR-CT-002", "LIR-CT-003", "LIR-CT-004"} <= {f.detector for f in limited.findings}
    default = run_detectors(CaseView(Case.open(changed)), detectors)
    assert not default.warnings
    assert [f.to_json() for f in limited.findings] == [f.to_json() for f in default.findings]


def test_grouped_and_judged_calls_hold_no_bodies_in_a_join(changed: Path) -> None:
    """`select_groups` and `iter_judged` join the selected calls to their verdicts without
    their requests and responses (only the rows read get them, by event id): with the bodies
    in the join, LIR-CT-002 ran out at 160 MB here, then LIR-CT-003 once the first was
    fixed; LIR-CT-004 too while its group key read the code's hash and `publish` from the
    bodies of the joined calls instead of taking them in its narrow address query."""
    detectors = [d for d in ALL if d.info.id in ("LIR-CT-002", "LIR-CT-003", "LIR-CT-004")]
    view = CaseView(Case.open(changed))
    view.index.execute("SET memory_limit = '160MB'")
    view.index.execute("SET threads = 16")
    limited = run_detectors(view, detectors)
    assert not limited.warnings, limited.warnings
    assert {f.detector for f in limited.findings} == {"LIR-CT-002", "LIR-CT-003", "LIR-CT-004"}
    default = run_detectors(CaseView(Case.open(changed)), detectors)
    assert [f.to_json() for f in limited.findings] == [f.to_json() for f in default.findings]
