"""findings.json written a finding at a time is byte for byte the one-document form."""

from __future__ import annotations

import orjson
import pytest

from lambda_ir import sanitize
from lambda_ir.analyze.engine import findings_json
from lambda_ir.model import Actor, EvidenceRef, Finding, Severity


def _finding(n: int) -> Finding:
    return Finding(
        id=f"LIR-X:{n}",
        detector="LIR-X",
        title="odd \u202e text \x85 é",  # bidi and C1 controls are escaped, é kept
        severity=Severity.HIGH,
        resource="arn:aws:lambda:us-east-1:111122223333:function:f",
        account="111122223333",
        region="",
        summary="two\nlines",
        evidence=(EvidenceRef("trail/a.jsonl.zst", "ab"),),
        actor=Actor("arn:aws:iam::111122223333:user/u"),
        details={"empty": [], "none": {}, "nested": [1, {"k": "v"}]},
    )


@pytest.mark.parametrize("count", [0, 1, 3])
def test_streamed_findings_json_equals_one_document(count: int) -> None:
    findings = [_finding(n) for n in range(count)]
    whole = orjson.dumps([f.to_json() for f in findings], option=orjson.OPT_INDENT_2)
    assert findings_json(findings) == sanitize.json_bytes(whole) + b"\n"
    assert orjson.loads(findings_json(findings)) == [f.to_json() for f in findings]
