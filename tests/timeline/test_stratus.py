"""The timeline over real CloudTrail: Stratus Red Team Lambda detonations, imported, indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.evidence.trail import import_trail
from lambda_ir.timeline import build_timeline, to_jsonl

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
STRATUS = DATA / "stratus-red-team-detonation-logs"
LAMBDA_DETONATIONS = (
    "aws.persistence.lambda-backdoor-function.json",
    "aws.persistence.lambda-layer-extension.json",
    "aws.persistence.lambda-overwrite-code.json",
)

pytestmark = pytest.mark.skipif(not STRATUS.is_dir(), reason=f"{STRATUS} is not present")


def test_lambda_detonations_read_as_a_story(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case", {"source": "test"})
    import_trail(case, [STRATUS / name for name in LAMBDA_DETONATIONS], workers=1)
    with open_index(case) as index:
        events = list(build_timeline(case, index))
    assert events and all(e.source == "cloudtrail" for e in events)
    assert [e.time for e in events] == sorted(e.time for e in events)
    backdoor = next(e for e in events if e.kind == "AddPermission")
    assert backdoor.time == "2024-08-01T13:47:16.000Z"
    assert backdoor.resource == "stratus-red-team-backdoor-f-func"
    assert backdoor.actor == "arn:aws:iam::880896431042:user/christophe"
    assert "grants lambda:InvokeFunction to *" in backdoor.summary
    assert backdoor.evidence[0].path.startswith("trail/")
    names = {e.kind for e in events}
    assert {"UpdateFunctionCode", "UpdateFunctionConfiguration"} & names
    data, count = to_jsonl(events)
    assert count == len(events) and data.count(b'"timestamp_desc":"Event Time"') == count
