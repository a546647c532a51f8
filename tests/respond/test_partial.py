"""A responder denied one call: the other actions still run, the result says what is still
open, the exit code says so, and the undo plan covers only what was applied."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lambda_ir.acquire import iam_policy
from lambda_ir.cli.main import cli
from lambda_ir.emulator.server import Emulator
from lambda_ir.respond import permissions
from tests.respond.conftest import Estate, cli_env


def _responder(estate: Estate, *deny: str) -> dict[str, str]:
    """Keys of a new user holding contain's and the collector's policies, minus `deny`."""
    iam = estate.client("iam")
    user = f"{estate.function}-responder"
    iam.create_user(UserName=user)
    statements = [
        *iam_policy()["Statement"],
        {"Effect": "Allow", "Action": list(permissions()), "Resource": "*"},
        {"Effect": "Deny", "Action": list(deny), "Resource": "*"},
    ]
    document = {"Version": "2012-10-17", "Statement": statements}
    iam.put_user_policy(UserName=user, PolicyName="ir", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }


def test_a_denied_call_leaves_the_others_applied_and_out_of_the_undo(
    estate: Estate, enforcing: Emulator, tmp_path: Path
) -> None:
    lam = estate.client("lambda")
    lam.create_function_url_config(FunctionName=estate.function, AuthType="NONE")
    lam.add_permission(
        FunctionName=estate.function,
        StatementId="open",
        Action="lambda:InvokeFunction",
        Principal="*",
    )
    env = {
        **cli_env(estate.endpoint, estate.region),
        **_responder(estate, "lambda:DeleteFunctionUrlConfig"),
    }
    case = str(tmp_path / "case")
    args = ["--json", "contain", "--case", case, "--function", estate.function, "--apply"]
    for action in ("throttle", "disable-url", "block-public"):
        args += ["--action", action]
    done = CliRunner(env=env).invoke(cli, args, catch_exceptions=False)
    assert done.exit_code == 1, done.output
    result = json.loads(done.stdout)
    statuses = {o["action"]: (o["status"], o["error"]) for o in result["outcomes"]}
    assert statuses["throttle"] == ("applied", "")
    assert statuses["block-public"] == ("applied", "")
    assert statuses["disable-url"][0] == "failed"
    assert statuses["disable-url"][1].startswith("denied: AccessDeniedException")
    assert result["state"] == {
        "throttle": "in place",
        "disable-url": "1 change(s) still open",
        "block-public": "in place",
    }
    assert lam.list_function_url_configs(FunctionName=estate.function)["FunctionUrlConfigs"]
    assert (
        lam.get_function_concurrency(FunctionName=estate.function)["ReservedConcurrentExecutions"]
        == 0
    )
    undo = json.loads((tmp_path / "case" / result["undo_path"]).read_text())
    assert [step["action"] for step in undo["steps"]] == ["block-public", "throttle"]


def test_a_function_that_cannot_be_read_does_not_stop_the_others(
    estate: Estate, tmp_path: Path
) -> None:
    args = ["contain", "--case", str(tmp_path / "case"), "--action", "throttle"]
    args += ["--function", "no-such-function", "--function", estate.function]
    done = CliRunner(env=cli_env(estate.endpoint, estate.region)).invoke(
        cli, args, catch_exceptions=False
    )
    assert done.exit_code == 1
    said = " ".join(done.output.split())  # the terminal may wrap stderr's line
    assert "no-such-function: nothing changed: lambda:GetFunction no-such-function: not-found" in (
        said
    )
    assert f"function:{estate.function}: plan (dry run: nothing was changed)" in done.output
