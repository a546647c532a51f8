"""The report's header says what the case set out to hold in words, not Python's reprs: the
demo's header read "baseline: None, functions: , logs: True, … since_default: None"."""

from __future__ import annotations

from pathlib import Path

from lambda_ir.acquire import Scope
from lambda_ir.evidence import Case
from lambda_ir.report.facts import build_facts
from lambda_ir.report.scope import scope_text


def test_a_collection_reads_as_a_sentence() -> None:
    scope = Scope(
        regions=("us-east-1", "eu-west-1"),
        since="2026-11-07T02:26:53Z",
        until="2026-12-07T02:31:53Z",
        since_default="the last 30d",
    )
    assert scope_text(scope.to_json()) == (
        "regions us-east-1, eu-west-1; every function; logs and CloudTrail from "
        "2026-11-07T02:26:53Z to 2026-12-07T02:31:53Z (by default: the last 30d)"
    )


def test_named_functions_no_logs_and_a_baseline() -> None:
    scope = Scope(
        regions=("us-east-1",),
        functions=("orders", "arn:aws:lambda:eu-west-1:123456789012:function:billing"),
        since="2026-11-01T00:00:00Z",
        baseline="2026-08-01T00:00:00Z",
        logs=False,
    )
    assert scope_text(scope.to_json()) == (
        "regions us-east-1; functions orders, "
        "arn:aws:lambda:eu-west-1:123456789012:function:billing; CloudTrail only (--no-logs) "
        "from 2026-11-01T00:00:00Z to when it was collected; Lambda's CloudTrail history from "
        "2026-08-01T00:00:00Z for the baseline"
    )


def test_other_commands_scopes_keep_their_keys_without_unset_values() -> None:
    assert scope_text({"hunt": {"table": "db.trail", "since": None}}) == "hunt: table db.trail"
    assert scope_text({"source": "import-trail"}) == "source: import-trail"
    assert scope_text({"functions": ["f"], "dry": True}) == "functions f; dry: yes"
    assert scope_text({}) == "not recorded"


def test_the_report_facts_carry_it(tmp_path: Path) -> None:
    scope = Scope(regions=("us-east-1",), since="2026-11-07T02:26:53Z")
    case = Case.create(tmp_path / "case", scope.to_json())
    facts = build_facts(case, [], "2026-12-07T00:00:00Z")
    assert facts.scope == (
        "regions us-east-1; every function; logs and CloudTrail from 2026-11-07T02:26:53Z "
        "to when it was collected"
    )
    for unset in ("None", "True", "False", "since_default", "baseline"):
        assert unset not in facts.scope
