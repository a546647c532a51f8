"""`collect_org`: an organisation's accounts, each entered with sts:AssumeRole, into one case.

moto keeps a state per account, and sessions from AssumeRole act in the role's account, so
each member account here holds its own functions. The emulator enforces IAM for these tests:
AssumeRole then needs the role to exist and trust the management account (`sts_assume`), and
the collector role in each member holds only the shipped collector policy.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import boto3
import pytest
import time_machine
from botocore.exceptions import ClientError

from lambda_ir.acquire import CollectOptions, Scope
from lambda_ir.acquire.org import collect_org
from lambda_ir.acquire.org_accounts import OrgTarget, assume
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import gap_collection
from lambda_ir.aws import ClientFactory
from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator
from lambda_ir.evidence import Case, verify_case
from tests.acquire import seed
from tests.acquire.conftest import Place
from tests.conftest import RegionPool, aws_env

MANAGEMENT = seed.ACCOUNT


def _organisation(session: boto3.Session, endpoint: str, count: int) -> list[str]:
    """`count` new member accounts (moto's organizations), the organisation made once."""
    org = seed.client(session, endpoint, "organizations")
    with contextlib.suppress(org.exceptions.AlreadyInOrganizationException):
        org.create_organization(FeatureSet="ALL")
    made = []
    for _ in range(count):
        name = f"member-{uuid.uuid4().hex[:6]}"
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")
        made.append(str(status["CreateAccountStatus"]["AccountId"]))
    return made


def _member(session: boto3.Session, endpoint: str, account: str, region: str) -> boto3.Session:
    """An administrator's session inside `account` (moto issues one for any role ARN)."""
    creds = seed.client(session, endpoint, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/seeder", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def _collector_role(member: boto3.Session, endpoint: str, name: str, external_id: str) -> None:
    """The org role: trusts the management account (with an external id), collector policy."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }
    policy = resources.files("lambda_ir.acquire").joinpath("iam_policy.json").read_text()
    iam = seed.client(member, endpoint, "iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=name, PolicyName="collector", PolicyDocument=policy)


def _responder(admin: boto3.Session, endpoint: str, region: str) -> boto3.Session:
    """The responder's principal in the management account: AssumeRole and ListAccounts only
    (the emulator's admin keys are not held to trust policies)."""
    iam = seed.client(admin, endpoint, "iam")
    name = f"responder-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "organizations:ListAccounts"],
                "Resource": "*",
            }
        ],
    }
    iam.put_user_policy(UserName=name, PolicyName="fan-out", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name=region,
    )


@pytest.fixture(scope="module")
def estate(emulator_session: Emulator, region_pool: RegionPool) -> dict[str, Any]:
    """Two member accounts with the role and their own functions; a third without the role.

    Module-wide: each new account loads AWS's managed policies in moto (~1 s per account).
    """
    endpoint, region = emulator_session.endpoint_url, region_pool.take(emulator_session)
    admin = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    role = f"IrCollector-{uuid.uuid4().hex[:6]}"
    enforced, emulator_session.enforce_iam = emulator_session.enforce_iam, False
    first, second, closed = _organisation(admin, endpoint, 3)
    for account, functions in ((first, ["orders", "billing"]), (second, ["orders"])):
        member = _member(admin, endpoint, account, region)
        _collector_role(member, endpoint, role, "case-42")
        for name in functions:
            seed.function(member, endpoint, name, [f"{account} v1"], region=region)
    responder = _responder(admin, endpoint, region)
    emulator_session.enforce_iam = enforced
    return {
        "responder": responder,
        "role": role,
        "members": (first, second),
        "closed": closed,
        "place": Place(endpoint, region),
    }


def _collect(case: Case, session: boto3.Session, place: Place, target: OrgTarget) -> Any:
    options = CollectOptions(workers=4, quotas=False, endpoint_url=place.endpoint)
    return collect_org(case, session, target, Scope(regions=(place.region,)), options)


def test_each_account_is_collected_under_its_own_partition(
    enforcing: Emulator, case: Case, estate: dict[str, Any]
) -> None:
    place, session = estate["place"], estate["responder"]
    first, second = estate["members"]
    target = OrgTarget(estate["role"], (first, second), "case-42", "lambda-ir-test")
    summary = _collect(case, session, place, target)
    assert summary.ok and not summary.gaps
    assert {r.account: r.summary.functions for r in summary.runs if r.summary} == {
        first: 2,
        second: 1,
    }
    listed = {
        e.account: e.path
        for e in case.entries()
        if e.api == "lambda:ListFunctions" and e.error is None
    }
    assert set(listed) == {first, second}
    assert all(path.startswith(f"raw/{a}/{place.region}/lambda/") for a, path in listed.items())
    names = {
        account: sorted(f["FunctionName"] for f in case.read_json(path)["Functions"])
        for account, path in listed.items()
    }
    assert names == {first: ["billing", "orders"], second: ["orders"]}
    # Each account's code is its own (the package text names the account).
    codes = {e.account for e in case.entries() if e.kind == "code" and e.error is None}
    assert codes == {first, second}
    custody = [json.loads(line) for line in (case.root / "custody.jsonl").read_text().splitlines()]
    assumed = [c["details"] for c in custody if c["action"] == "org-assumed"]
    assert {(a["account"], a["session_name"]) for a in assumed} == {
        (first, "lambda-ir-test"),
        (second, "lambda-ir-test"),
    }
    assert "case-42" not in (case.root / "custody.jsonl").read_text()  # external id not kept
    # each account's run is marked as the org run's (`evidence.interrupted` reads it)
    started = [c["details"] for c in custody if c["action"] == "collect-started"]
    assert len(started) == 2
    assert {(d["account"], d.get("org")) for d in started} == {(first, True), (second, True)}
    # Each account's artifacts are under its own folder, made by its own run.
    stored = [e for e in case.entries() if e.path and e.path.startswith("raw/")]
    assert {e.account for e in stored} == {first, second}
    assert all(e.path and e.path.startswith(f"raw/{e.account}/") for e in stored)
    assert verify_case(case.root).ok


def test_an_account_that_cannot_be_entered_is_a_gap_finding(
    enforcing: Emulator, case: Case, estate: dict[str, Any]
) -> None:
    place, session = estate["place"], estate["responder"]
    first, _ = estate["members"]
    closed = estate["closed"]
    target = OrgTarget(estate["role"], (first, closed), "case-42", "lambda-ir-test")
    summary = _collect(case, session, place, target)
    assert summary.ok
    assert [(r.account, r.gap) for r in summary.gaps] == [(closed, "denied: AccessDenied")]
    failed = [e for e in case.entries() if e.api == "sts:AssumeRole"]
    assert [(e.account, e.error is not None) for e in failed] == [(closed, True)]
    gaps = [f for f in gap_collection.detect(CaseView(case)) if f.account == closed]
    assert [f.title for f in gaps] == ["Evidence gap: sts:AssumeRole denied"]


def test_a_wrong_external_id_is_refused(
    enforcing: Emulator, case: Case, estate: dict[str, Any]
) -> None:
    place, session = estate["place"], estate["responder"]
    first, _ = estate["members"]
    summary = _collect(case, session, place, OrgTarget(estate["role"], (first,), "guess"))
    assert not summary.ok and [r.account for r in summary.gaps] == [first]


def test_all_accounts_come_from_organizations(
    enforcing: Emulator, case: Case, estate: dict[str, Any]
) -> None:
    place, session = estate["place"], estate["responder"]
    first, second = estate["members"]
    summary = _collect(case, session, place, OrgTarget(estate["role"], (), "case-42"))
    entered = {r.account for r in summary.runs if r.summary is not None}
    assert entered == {first, second}
    gaps = {r.account for r in summary.gaps}
    assert {estate["closed"], MANAGEMENT} <= gaps  # no such role there
    pages = [e for e in case.entries() if e.api == "organizations:ListAccounts"]
    assert pages and all(e.account == MANAGEMENT and e.error is None for e in pages)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`lambda-ir ARGS` as a user runs it, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "lambda_ir", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cli_fans_out_and_names_the_gap(
    enforcing: Emulator, estate: dict[str, Any], tmp_path: Path
) -> None:
    place = estate["place"]
    first, _ = estate["members"]
    env = _org_env(estate, place.endpoint)
    org = ("--region", place.region, "--org-role", estate["role"], "--external-id", "case-42")
    done = _cli(  # unpaced (21 s to 12 s): the paced fan-out is the Ctrl-C test's
        env,
        *("--json", "collect", "--case", str(tmp_path / "c"), *org),
        *("--accounts", f"{first},{estate['closed']}", "--workers", "4", "--no-pacing"),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["gaps"] == [estate["closed"]]
    [entered] = [a for a in result["accounts"] if "summary" in a]
    assert entered["account"] == first and entered["summary"]["functions"] == 2
    assert "case-42" not in done.stdout + done.stderr
    usage = _cli(env, "collect", "--case", str(tmp_path / "d"), "--org-role", "R")
    assert usage.returncode == 2 and "--all-accounts" in usage.stderr
    # a --function no account holds (a typo) fails, as a single account's collect does
    typo = _cli(
        env,
        "collect",
        "--case",
        str(tmp_path / "e"),
        *org,
        "--accounts",
        first,
        *("--function", "ordrs-api"),
    )
    assert typo.returncode == 1, typo.stderr
    assert "no function --function named exists in any account entered: ordrs-api" in typo.stderr


def test_member_sessions_share_the_callers_service_models(
    enforcing: Emulator, estate: dict[str, Any]
) -> None:
    """Every account's session reads botocore's models from the caller's loader (read and
    parsed once per run, not per account), and its clients work."""
    place, session = estate["place"], estate["responder"]
    first, second = estate["members"]
    target = OrgTarget(estate["role"], (first, second), "case-42", "lambda-ir-test")
    clients = ClientFactory(session, endpoint_url=place.endpoint)
    mine = session._session.get_component("data_loader")
    members = [assume(clients, place.region, target, a) for a in (first, second)]
    assert all(m._session.get_component("data_loader") is mine for m in members)
    counts = [
        len(m.client("lambda", endpoint_url=place.endpoint).list_functions()["Functions"])
        for m in members
    ]
    assert counts == [2, 1]


def test_assumed_keys_are_renewed_before_they_expire(
    enforcing: Emulator, estate: dict[str, Any]
) -> None:
    """STS keys last 1 h; botocore renews them in their last 15 min. The clock is moved with
    time-machine (the emulator runs in this process: its clock moves too, and it refuses
    expired session keys as AWS does, `session_expiry`)."""
    place, session = estate["place"], estate["responder"]
    first, _ = estate["members"]
    target = OrgTarget(estate["role"], (first,), "case-42", "lambda-ir-test")
    renewed: list[datetime] = []
    clients = ClientFactory(session, endpoint_url=place.endpoint)
    member = assume(clients, place.region, target, first, lambda: renewed.append(datetime.now(UTC)))
    functions = member.client("lambda", endpoint_url=place.endpoint)
    first_keys = member.get_credentials().get_frozen_credentials()
    fixed = boto3.Session(
        aws_access_key_id=first_keys.access_key,
        aws_secret_access_key=first_keys.secret_key,
        aws_session_token=first_keys.token,
        region_name=place.region,
    ).client("lambda", endpoint_url=place.endpoint)
    assert len(functions.list_functions()["Functions"]) == 2 and not renewed
    issued = datetime.now(UTC)
    with time_machine.travel(issued + timedelta(minutes=50), tick=True):
        assert len(functions.list_functions()["Functions"]) == 2
        assert len(renewed) == 1  # within 15 min of expiry: AssumeRole again, first
        assert len(fixed.list_functions()["Functions"]) == 2  # the old keys still valid
    with time_machine.travel(issued + timedelta(minutes=65), tick=True):
        with pytest.raises(ClientError) as refused:
            fixed.list_functions()  # keys that are never renewed stop working
        assert refused.value.response["Error"]["Code"] == "ExpiredTokenException"
        assert len(functions.list_functions()["Functions"]) == 2
        assert len(renewed) == 1  # the renewed keys last until 50 + 60 min
    renewed_keys = member.get_credentials().get_frozen_credentials()
    assert renewed_keys.access_key != first_keys.access_key


def test_renewed_keys_are_kept_when_logging_the_renewal_fails(
    enforcing: Emulator, estate: dict[str, Any]
) -> None:
    """A custody line that cannot be written (full disk...) warns; the keys AssumeRole gave
    are used all the same, and the calls after go on working."""
    place, session = estate["place"], estate["responder"]
    first, _ = estate["members"]
    target = OrgTarget(estate["role"], (first,), "case-42", "lambda-ir-test")
    tries: list[int] = []

    def failing_log() -> None:
        tries.append(1)
        raise OSError(28, "No space left on device")

    clients = ClientFactory(session, endpoint_url=place.endpoint)
    member = assume(clients, place.region, target, first, failing_log)
    functions = member.client("lambda", endpoint_url=place.endpoint)
    first_keys = member.get_credentials().get_frozen_credentials()
    issued = datetime.now(UTC)
    with time_machine.travel(issued + timedelta(minutes=50), tick=True):
        with pytest.warns(RuntimeWarning, match="No space left"):
            assert len(functions.list_functions()["Functions"]) == 2
        assert len(functions.list_functions()["Functions"]) == 2
        assert len(tries) == 1  # renewed once: the new keys are in place
    renewed_keys = member.get_credentials().get_frozen_credentials()
    assert renewed_keys.access_key != first_keys.access_key


def _org_cli(estate: dict[str, Any], endpoint: str, case_dir: Path, *extra: str) -> list[str]:
    first, second = estate["members"]
    return [
        *(sys.executable, "-m", "lambda_ir", *extra, "collect", "--case", str(case_dir)),
        *("--region", estate["place"].region, "--org-role", estate["role"]),
        *("--external-id", "case-42", "--accounts", f"{first},{second}", "--workers", "1"),
    ]


def _org_env(estate: dict[str, Any], endpoint: str) -> dict[str, str]:
    keys = estate["responder"].get_credentials()
    return aws_env(endpoint, estate["place"].region, keys.access_key, keys.secret_key)


def test_ctrl_c_stops_every_account_and_the_case_resumes(
    enforcing: Emulator, estate: dict[str, Any], tmp_path: Path
) -> None:
    """SIGINT reaches the account threads: both accounts' collections stop (custody says so for
    each) before they end (fewer than the 3 packages are in the case), the process exits 130
    within seconds, and a second run resumes and finishes the case."""
    case_dir = tmp_path / "case"
    with running_emulator(latency_ms=150, flush_interval=3600, enforce_iam=True) as slow:
        process = subprocess.Popen(
            _org_cli(estate, slow.endpoint_url, case_dir),
            env=_org_env(estate, slow.endpoint_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        manifest = case_dir / "manifest.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if manifest.exists() and manifest.read_bytes().count(b"\n") >= 12:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        signalled = time.monotonic()
        _, stderr = process.communicate(timeout=60)
        stopping = time.monotonic() - signalled
    assert process.returncode == 130, stderr.decode()
    assert stopping < 15, stopping  # running calls finish writing; the rest is dropped
    custody = [json.loads(line) for line in (case_dir / "custody.jsonl").read_text().splitlines()]
    actions = [c["action"] for c in custody]
    assert "org-interrupted" in actions and "org-collected" not in actions
    assert actions.count("collect-interrupted") == 2  # both accounts were cut short
    assert verify_case(case_dir).ok
    interrupted = sum(1 for _ in Case.open(case_dir).entries())
    cut = [e for e in Case.open(case_dir).entries() if e.kind == "code" and e.error is None]
    assert len(cut) < 3  # not run to the end (3 packages) before stopping
    done = subprocess.run(
        _org_cli(estate, estate["place"].endpoint, case_dir, "--json"),
        env=_org_env(estate, estate["place"].endpoint),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(done.stdout)
    assert sum(a["summary"]["resumed"] for a in result["accounts"]) > 0
    entries = list(Case.open(case_dir).entries())
    assert len(entries) > interrupted
    first, second = estate["members"]
    code = {(e.account, e.params.get("FunctionName")) for e in entries if e.kind == "code"}
    assert {account for account, _ in code} == {first, second}
    assert verify_case(case_dir).ok


def test_an_account_whose_collection_raises_is_a_gap_and_the_others_go_on(
    enforcing: Emulator, case: Case, estate: dict[str, Any]
) -> None:
    place, session = estate["place"], estate["responder"]
    first, second = estate["members"]
    # A file where the first account's folder must go: writing its evidence raises.
    (case.root / "raw").mkdir(exist_ok=True)
    (case.root / "raw" / first).write_text("not a folder")
    target = OrgTarget(estate["role"], (first, second), "case-42", "lambda-ir-test")
    summary = _collect(case, session, place, target)
    assert [(r.account, r.crashed) for r in summary.crashed] == [(first, True)]
    assert [r.account for r in summary.gaps] == [first]
    [entered] = summary.collected
    assert entered.account == second and entered.functions == 1
    failed = [e for e in case.entries() if e.api == "lambda-ir:CollectAccount"]
    assert [e.account for e in failed] == [first]
    assert str(failed[0].error).startswith("error: ")
    custody = [json.loads(line) for line in (case.root / "custody.jsonl").read_text().splitlines()]
    gaps = [c["details"] for c in custody if c["action"] == "org-gap"]
    assert [g["account"] for g in gaps] == [first]
    done = [c["details"] for c in custody if c["action"] == "org-collected"]
    assert done[-1]["gaps"] == [first] and done[-1]["not_started"] == []
    findings = [f for f in gap_collection.detect(CaseView(case)) if f.account == first]
    assert [f.title for f in findings] == ["Evidence gap: lambda-ir:CollectAccount error"]


def test_the_cli_fails_when_an_accounts_collection_raises(
    enforcing: Emulator, estate: dict[str, Any], tmp_path: Path
) -> None:
    place = estate["place"]
    first, second = estate["members"]
    case = Case.create(tmp_path / "c", {"test": True})
    (case.root / "raw").mkdir(exist_ok=True)
    (case.root / "raw" / first).write_text("not a folder")
    done = _cli(
        _org_env(estate, place.endpoint),
        *("--json", "collect", "--case", str(case.root)),
        *("--region", place.region, "--org-role", estate["role"]),
        *("--external-id", "case-42", "--accounts", f"{first},{second}", "--workers", "4"),
    )
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["gaps"] == [first]
    [crashed] = [a for a in result["accounts"] if a.get("crashed")]
    assert crashed["account"] == first and crashed["gap"].startswith("error: ")
    assert "case-42" not in done.stdout + done.stderr
