"""Precision and recall on labelled public CloudTrail: Panther's Lambda rule tests and the
Stratus Red Team detonation logs (`../shared/data/`, read in place, never copied).

    python bench/precision_labelled.py

Panther: each test case is labelled (`expected_result`) for one rule; we predict "alert" when
the detector of ours answering the same question (`PANTHER_RULES` in the real-data test)
raises a finding at the given severity or above. Stratus: the 35 detonations are labelled by
technique; the three Lambda persistence techniques are positives, every other detonation a
negative for Lambda; we predict "alert" when any finding about a Lambda resource reaches the
severity. Each record set is analysed alone, as a case with no history (no baseline), which
is the hardest setting for precision.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.analyze.casebuild import DATA, CaseBuilder  # noqa: E402
from tests.analyze.test_real_trail_data import LAMBDA_TECHNIQUES, PANTHER_RULES  # noqa: E402

from lambda_ir.analyze.detectors import ALL  # noqa: E402
from lambda_ir.analyze.engine import analyze_case  # noqa: E402
from lambda_ir.model import Finding, Severity  # noqa: E402


def _findings(records: list[dict[str, Any]]) -> list[Finding]:
    with tempfile.TemporaryDirectory() as tmp:
        builder = CaseBuilder(Path(tmp) / "case")
        builder.trail(records)
        result, _ = analyze_case(builder.case, ALL)
        return list(result.findings)


def _score(pairs: list[tuple[bool, bool]]) -> dict[str, Any]:
    tp = sum(e and p for e, p in pairs)
    fp = sum(p and not e for e, p in pairs)
    fn = sum(e and not p for e, p in pairs)
    return {
        "cases": len(pairs),
        "positives": sum(e for e, _ in pairs),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
    }


def panther(at_least: Severity) -> dict[str, Any]:
    """Panther's labelled Lambda cases against our matching detector."""
    pairs = []
    for path in sorted((DATA / "panther-analysis-lambda-tests").glob("aws_*.tests.json")):
        document = json.loads(path.read_text())
        for case in document["tests"]:
            if "log" not in case:  # resource-state cases (AWS.Lambda.PublicAccess) have no log
                continue
            wanted = PANTHER_RULES[document["rule_id"]]
            found = _findings([case["log"]])
            predicted = any(
                f.detector == wanted and f.severity.rank >= at_least.rank for f in found
            )
            pairs.append((bool(case["expected_result"]), predicted))
    return _score(pairs)


def stratus(at_least: Severity) -> dict[str, Any]:
    """Stratus Red Team detonations: the Lambda techniques are the positives."""
    pairs = []
    for path in sorted((DATA / "stratus-red-team-detonation-logs").glob("aws.*.json")):
        found = _findings(json.loads(path.read_text()))
        predicted = any(
            ":lambda:" in f.resource and f.severity.rank >= at_least.rank for f in found
        )
        pairs.append((path.name in LAMBDA_TECHNIQUES, predicted))
    return _score(pairs)


def main() -> None:
    for severity in (Severity.LOW, Severity.MEDIUM):
        print(f"at {severity.value} or above")
        print("  panther:", json.dumps(panther(severity)))
        print("  stratus:", json.dumps(stratus(severity)))


if __name__ == "__main__":
    main()
