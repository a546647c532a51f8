"""The `pacu` scenario end to end (seed, collect, analyze in a process of its own): the findings
name the IAM write, the destination and the trigger; the estate's functions stay quiet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_pacu_backdoor_new_roles_is_named() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.analyze.scenario_run", "pacu"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["warnings"] == []
    (backdoor,) = result["compromised"]
    by_detector: dict[str, list[dict]] = {}
    for finding in result["findings"]:
        by_detector.setdefault(finding["detector"], []).append(finding)

    (gained,) = by_detector["LIR-CAP-001"]
    assert gained["resource"].endswith(f"function:{backdoor}:$LATEST")
    assert "iam:UpdateAssumeRolePolicy (lambda_function.py:16)" in gained["summary"]
    assert "http://203.0.113.201 (lambda_function.py:18)" in gained["summary"]
    # a raw-IP destination is an indicator (the report's indicators.txt and STIX take it)
    assert gained["details"]["indicators"] == ["http://203.0.113.201"]
    # no baseline to judge the upload by: the code's exposure, not an act of its uploader
    assert {e["member"] for e in gained["evidence"]} == {"lambda_function.py"}
    assert gained["actor"] is None and "Brought in" not in gained["summary"]

    (trigger,) = by_detector["LIR-TRG-001"]
    assert trigger["resource"].endswith(f"function:{backdoor}")
    assert "aws.iam event (CreateRole)" in trigger["summary"]
    assert "rule/pacu-new-role-backdoor" in trigger["summary"]

    # The estate's functions (no AWS calls, no destinations) have no capability finding.
    quiet = [
        f for f in result["findings"]
        if f["detector"].startswith(("LIR-CAP", "LIR-TRG")) and backdoor not in f["resource"]
    ]  # fmt: skip
    assert quiet == []
