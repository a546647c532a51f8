"""Every command that calls AWS stops on a clock AWS refuses: one line, exit 1, no case made.

`collect` and `investigate` are tested in test_clock_skew.py; here `contain`, `runtime
attach|detach`, `hunt`, `collect --runtime-bucket` and `collect --org-role`, where one
account AWS refuses for the clock is a gap of the run, not its end. The emulator plays AWS's
clock two hours ahead of this machine's (`clock_offset`) and refuses the signatures as AWS
would; the commands run in this process through the CLI's own entry point.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from lambda_ir.acquire import CollectOptions, Scope
from lambda_ir.acquire.org import collect_org
from lambda_ir.acquire.org_accounts import OrgTarget
from lambda_ir.cli.main import main
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from tests.conftest import aws_env

REFUSED = "lambda-ir: AWS refused the request's time: this machine's clock is 2 h 0 min behind AWS"
MEMBERS = ("111111111111", "222222222222")


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(
    aws_clock: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """`lambda-ir ARGS` through `main()` against the emulator; (exit code, stdout, stderr)."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in aws_env(aws_clock.endpoint_url, "us-east-1").items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["lambda-ir", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


NOT_FOUND = "Function not found"
# CASE: where the command's case folder goes; then what the command says with the clock right
# (collect with the clock right is what every other collect test runs).
COMMANDS = {
    "contain": (
        "contain --case CASE --function orders --action throttle --region us-east-1",
        NOT_FOUND,
    ),
    "contain --undo": ("contain --case CASE --undo respond/none.json --apply", "not a lambda-ir"),
    "runtime attach": (
        "runtime attach --case CASE --function orders --bucket s3://ir/snaps",
        NOT_FOUND,
    ),
    "runtime detach": (
        "runtime detach --case CASE --function orders --bucket s3://ir/snaps",
        NOT_FOUND,
    ),
    "hunt": (
        "hunt --case CASE --athena-workgroup primary --trail-table lambda_ir.cloudtrail",
        "is not in the catalog",
    ),
    "collect --runtime-bucket": (
        "collect --case CASE --region us-east-1 --runtime-bucket s3://ir",
        None,
    ),
    "collect --org-role": ("collect --case CASE --org-role IrCollector --all-accounts", None),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_clock_aws_refuses_is_one_line_and_exit_1(
    command: str, aws_clock: Emulator, run: Run, tmp_path: Path
) -> None:
    aws_clock.clock_offset = timedelta(hours=2)
    where = tmp_path / "case"
    text, control = COMMANDS[command]
    words = [str(where) if word == "CASE" else word for word in text.split()]
    code, _, err = run(*words)
    assert code == 1, err
    line = err.strip().splitlines()[-1]
    assert line.startswith(REFUSED), err
    assert "timedatectl" in line and "Traceback" not in err
    if control is None:
        return
    assert not where.exists()  # refused before anything is written
    # The same command with the clock right gets past the check, to fail later for want of
    # a function, a case or a table.
    aws_clock.clock_offset = timedelta()
    code, _, err = run(*words)
    assert code == 1 and control in err and "refused the request's time" not in err, err


def test_an_account_aws_refuses_for_the_clock_is_a_gap_of_the_org_run(
    aws_clock: Emulator, run: Run, tmp_path: Path
) -> None:
    aws_clock.clock_offset = timedelta(hours=2)
    case = Case.create(tmp_path / "org", {"test": True})
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    options = CollectOptions(workers=2, quotas=False, endpoint_url=aws_clock.endpoint_url)
    summary = collect_org(
        case, session, OrgTarget("IrCollector", MEMBERS), Scope(("us-east-1",)), options
    )
    gap = "clock 2 h 0 min behind AWS"
    assert [(r.account, r.gap) for r in summary.runs] == [(a, gap) for a in MEMBERS]
    assert not summary.ok
    refused = [e for e in case.entries() if e.api == "sts:AssumeRole"]
    assert sorted((e.account, "Signature expired" in str(e.error)) for e in refused) == [
        (a, True) for a in MEMBERS
    ]
    custody = (case.root / "custody.jsonl").read_text().splitlines()
    gaps = [json.loads(c)["details"] for c in custody if '"org-gap"' in c]
    assert sorted(g["account"] for g in gaps) == list(MEMBERS)

    code, out, err = run(
        "--json",
        "collect",
        "--case",
        str(tmp_path / "cli"),
        "--region",
        "us-east-1",
        "--org-role",
        "IrCollector",
        "--accounts",
        ",".join(MEMBERS),
    )
    assert code == 1, err  # nothing collected in any account
    document = json.loads(out)
    assert [(a["account"], a["gap"]) for a in document["accounts"]] == [(a, gap) for a in MEMBERS]
