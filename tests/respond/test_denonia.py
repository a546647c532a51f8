"""The issue's Checks on the emulator's `denonia` scenario, through the CLI as a user runs it.

Contain `image-resizer` with throttle, block-public, disable-url and revoke-sessions: a dry run
changes nothing; --apply leaves concurrency 0, no public statement on any qualifier, no URL,
the revoke policy on the role, pre-change evidence and custody entries in the case; a second
--apply changes nothing more; --undo --apply restores what was collected before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.cli.main import cli
from lambda_ir.emulator.scenarios import seed
from lambda_ir.emulator.scenarios.denonia import TARGET_FUNCTION, TARGET_REGION
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case, verify_case
from lambda_ir.model import FunctionRef
from lambda_ir.respond.preserve import has_function
from lambda_ir.respond.revoke_sessions import POLICY_NAME
from tests.conftest import admin_session
from tests.respond.conftest import cli_env

ACTIONS = ["throttle", "block-public", "disable-url", "revoke-sessions"]
FN = f"arn:aws:lambda:{TARGET_REGION}:123456789012:function:{TARGET_FUNCTION}"


@pytest.fixture(scope="module")
def denonia(emulator_session: Emulator) -> Iterator[Emulator]:
    """The denonia incident seeded alone (its own small estate) into an emptied emulator."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    emulator_session.reset()
    seed(emulator_session, ["denonia"])
    yield emulator_session
    emulator_session.reset()  # the next module starts from an empty account, as it expects


def _run(endpoint: str, *args: str) -> Any:
    return CliRunner(env=cli_env(endpoint)).invoke(cli, list(args), catch_exceptions=False)


def _state(aws: Emulator, folder: Path) -> dict[str, Any]:
    """Collect the function read-only into a new case; what containment touches, normalised."""
    case = Case.create(folder)
    options = CollectOptions(workers=4, quotas=False, endpoint_url=aws.endpoint_url)
    session = admin_session(aws.model_loader)
    collect(case, session, Scope(regions=(TARGET_REGION,), functions=(FN,)), options)
    state: dict[str, Any] = {}
    for entry in case.entries():
        touched = ("/functions/image-resizer/", "/iam/roles/")
        if entry.error or not entry.path or not any(part in entry.path for part in touched):
            continue
        document = case.read_json(entry.path)
        if "/policy/" in entry.path:
            policy = json.loads(document["Policy"])
            state[entry.path] = sorted(policy["Statement"], key=lambda s: s["Sid"])
        elif entry.path.endswith("url-configs.json"):
            volatile = ("FunctionUrl", "CreationTime", "LastModifiedTime")
            state[entry.path] = [
                {k: v for k, v in c.items() if k not in volatile}
                for c in document["FunctionUrlConfigs"]
            ]
        elif "/get-function/" in entry.path:
            state[entry.path] = document.get("Concurrency")
        elif (
            entry.path.endswith(("inline-policies.json", "aliases.json"))
            or "/inline/" in entry.path
        ):
            state[entry.path] = _without(document, "RevisionId")
    return state


def _without(document: Any, key: str) -> Any:
    if isinstance(document, dict):
        return {k: _without(v, key) for k, v in document.items() if k != key}
    if isinstance(document, list):
        return [_without(v, key) for v in document]
    return document


def _public_statements(lam: Any) -> list[str]:
    qualifiers = (
        [None]
        + [
            v["Version"]
            for v in lam.list_versions_by_function(FunctionName=TARGET_FUNCTION)["Versions"]
        ]
        + [a["Name"] for a in lam.list_aliases(FunctionName=TARGET_FUNCTION)["Aliases"]]
    )
    found = []
    for qualifier in qualifiers:
        params = {"FunctionName": TARGET_FUNCTION}
        if qualifier and qualifier != "$LATEST":
            params["Qualifier"] = qualifier
        try:
            policy = json.loads(lam.get_policy(**params)["Policy"])
        except lam.exceptions.ResourceNotFoundException:
            continue
        found += [f"{qualifier}:{s['Sid']}" for s in policy["Statement"] if s["Principal"] == "*"]
    return found


def test_contain_denonia_dry_run_apply_and_undo(denonia: Emulator, tmp_path: Path) -> None:
    endpoint = denonia.endpoint_url
    session = admin_session(denonia.model_loader)
    lam = session.client("lambda", endpoint_url=endpoint, region_name=TARGET_REGION)
    iam = session.client("iam", endpoint_url=endpoint)
    before = _state(denonia, tmp_path / "before")
    assert _public_statements(lam)  # the scenario is open before containment
    ends = (
        "/policy/_.json",
        "/url-configs.json",
        "/get-function/%24LATEST.json",
        "/inline-policies.json",
    )
    assert all(any(path.endswith(end) for path in before) for end in ends), sorted(before)
    assert any(path.endswith("/url-configs.json") and config for path, config in before.items())
    case = tmp_path / "case"
    flags = [a for action in ACTIONS for a in ("--action", action)]
    base = ["contain", "--case", str(case), "--function", TARGET_FUNCTION, *flags]

    dry = _run(endpoint, *base)
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing was changed" in dry.output and "lambda:RemovePermission" in dry.output
    assert _state(denonia, tmp_path / "after-dry-run") == before

    applied = _run(endpoint, *base, "--apply")
    assert applied.exit_code == 0, applied.output
    assert "state: throttle in place; block-public in place; disable-url in place; " in (
        applied.output
    )
    concurrency = lam.get_function_concurrency(FunctionName=TARGET_FUNCTION)
    assert concurrency["ReservedConcurrentExecutions"] == 0
    assert _public_statements(lam) == []
    assert lam.list_function_url_configs(FunctionName=TARGET_FUNCTION)["FunctionUrlConfigs"] == []
    role = lam.get_function(FunctionName=TARGET_FUNCTION)["Configuration"]["Role"].rsplit("/")[-1]
    revoke = iam.get_role_policy(RoleName=role, PolicyName=POLICY_NAME)["PolicyDocument"]
    assert revoke["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
    _assert_evidence_and_custody(Case.open(case))

    again = _run(endpoint, *base[:-2], "--apply")  # without revoke-sessions: its cutoff moves
    assert again.exit_code == 0, again.output
    assert again.output.count("already in place, nothing to change") == 3
    assert "[applied]" not in again.output

    undo_path = _undo_with_steps(case)
    shown = _run(endpoint, "contain", "--case", str(case), "--undo", str(undo_path))
    assert shown.exit_code == 0 and "dry run: nothing was changed" in shown.output
    assert lam.list_function_url_configs(FunctionName=TARGET_FUNCTION)["FunctionUrlConfigs"] == []
    undone = _run(endpoint, "contain", "--case", str(case), "--undo", str(undo_path), "--apply")
    assert undone.exit_code == 0, undone.output
    assert undone.output.count("[applied]") == 5
    assert _state(denonia, tmp_path / "after-undo") == before
    assert verify_case(case).ok


def _undo_with_steps(case: Path) -> Path:
    """The undo plan of the run that changed something (the second apply changed nothing)."""
    plans = sorted(case.glob("respond/*/undo.json"))
    assert len(plans) == 2
    (changed,) = [p for p in plans if json.loads(p.read_text())["steps"]]
    return changed


def _assert_evidence_and_custody(case: Case) -> None:
    """The function was collected and the reads kept before the first change was made."""
    assert has_function(case, FunctionRef.from_arn(FN))
    before = [e for e in case.entries() if e.path and e.path.endswith("/before.json")][1]
    reads = {r["api"] for r in case.read_json(before.path)["reads"]}
    assert {"lambda:GetPolicy", "lambda:GetFunctionConcurrency", "iam:GetRolePolicy"} <= reads
    lines = [json.loads(x) for x in (case.root / "custody.jsonl").read_text().splitlines()]
    calls = [x for x in lines if x["action"] == "contain-call"]
    assert [c["details"]["api"] for c in calls] == [
        "lambda:PutFunctionConcurrency",
        "lambda:RemovePermission",
        "lambda:RemovePermission",
        "lambda:DeleteFunctionUrlConfig",
        "iam:PutRolePolicy",
    ]
    assert all(c["details"]["status"] == "applied" for c in calls)
    # The custody entry of the first change checkpoints a manifest that already lists the
    # function's GetFunction response and this run's pre-change reads: evidence came first.
    entries = list(case.entries())
    first_get = next(i for i, e in enumerate(entries) if e.api == "lambda:GetFunction")
    reads_at = next(i for i, e in enumerate(entries) if e.path == before.path)
    assert max(first_get, reads_at) < calls[0]["manifest_lines"]
