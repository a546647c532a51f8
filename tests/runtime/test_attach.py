"""`runtime attach/detach` against the emulator: plan, evidence first, apply, undo, refusals."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
from click.testing import CliRunner

from lambda_ir.analyze.runtime_rows import own_layer_files
from lambda_ir.cli.main import cli
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.respond import load_undo
from lambda_ir.respond.runtime_attach import LAYER_NAME, code_sha256
from lambda_ir.runtime.layer import layer_zip
from tests.acquire.seed import TRUST, package
from tests.conftest import RegionPool
from tests.respond.conftest import cli_env

BUCKET = "s3://ir-snapshots/acme"


def _seed(
    emulator: Emulator, region: str, env: dict[str, str], runtime: str = "python3.12"
) -> tuple[Any, str]:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    iam = session.client("iam", endpoint_url=emulator.endpoint_url, region_name="us-east-1")
    name = f"fn-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    lam = session.client("lambda", endpoint_url=emulator.endpoint_url, region_name=region)
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": package("def handler(event, context):\n    return 1\n")},
        Environment={"Variables": env},
    )
    return lam, name


def _run(emulator: Emulator, region: str, *arguments: str) -> Any:
    runner = CliRunner(env=cli_env(emulator.endpoint_url, region))
    return runner.invoke(cli, ["runtime", *arguments, "--region", region, "--bucket", BUCKET])


def test_attach_plan_apply_again_and_detach(
    tmp_path: Path, emulator_session: Emulator, region_pool: RegionPool
) -> None:
    region = region_pool.take(emulator_session)
    lam, name = _seed(emulator_session, region, {"STAGE": "prod", "DB_PASSWORD": "hunter2"})
    case = tmp_path / "case"
    where = ("--case", str(case), "--function", name)

    dry = _run(emulator_session, region, "attach", *where, "--every", "5")
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and "PublishLayerVersion" in dry.output
    assert '"Resource": "arn:aws:s3:::ir-snapshots/acme/*"' in dry.output
    assert "hunter2" not in dry.output  # variables in the plan are redacted when shown
    assert lam.get_function_configuration(FunctionName=name).get("Layers") is None
    assert lam.list_layer_versions(LayerName=LAYER_NAME)["LayerVersions"] == []

    applied = _run(emulator_session, region, "attach", *where, "--every", "5", "--apply")
    assert applied.exit_code == 0, applied.output
    assert "state: in place" in applied.output
    config = lam.get_function_configuration(FunctionName=name)
    (layer,) = config["Layers"]
    assert f":layer:{LAYER_NAME}:" in layer["Arn"]
    published = lam.get_layer_version_by_arn(Arn=layer["Arn"])
    assert published["Content"]["CodeSha256"] == code_sha256(layer_zip()[0])
    assert config["Environment"]["Variables"] == {
        "STAGE": "prod",
        "DB_PASSWORD": "hunter2",
        "AWS_LAMBDA_EXEC_WRAPPER": "/opt/lambda-ir/wrapper",
        "LAMBDA_IR_BUCKET": BUCKET,
        "LAMBDA_IR_EVERY": "5",
    }
    opened = Case.open(case)
    apis = [e.api for e in opened.entries()]
    assert "lambda:GetFunction" in apis  # the function's state was collected first
    custody = [json.loads(line)["action"] for line in (case / "custody.jsonl").open()]
    assert custody.index("runtime-attach-start") < custody.index("contain-call")
    # what analysis recognises as lambda-ir's own layer (analyze/own_footprints.py)
    done = [json.loads(line) for line in (case / "custody.jsonl").open()][-1]
    assert done["action"] == "runtime-attach-done"
    assert done["details"]["layer"] == layer["Arn"]
    assert done["details"]["code_sha256"] == code_sha256(layer_zip()[0])
    assert done["details"]["files"] == own_layer_files()  # every file, as /opt shows it
    undo_line = next(line for line in applied.output.splitlines() if line.startswith("undo plan"))
    undo = load_undo(opened, undo_line.split(": ", 1)[1])
    (step,) = undo.steps
    assert step.undo is not None and step.undo.params["Layers"] == []

    again = _run(emulator_session, region, "attach", *where, "--every", "5", "--apply")
    assert again.exit_code == 0 and "already in place" in again.output
    assert len(lam.list_layer_versions(LayerName=LAYER_NAME)["LayerVersions"]) == 1

    detached = _run(emulator_session, region, "detach", *where, "--apply")
    assert detached.exit_code == 0, detached.output
    config = lam.get_function_configuration(FunctionName=name)
    assert not config.get("Layers")
    assert config["Environment"]["Variables"] == {"STAGE": "prod", "DB_PASSWORD": "hunter2"}


def test_another_exec_wrapper_is_evidence_not_replaced(
    tmp_path: Path, emulator_session: Emulator, region_pool: RegionPool
) -> None:
    region = region_pool.take(emulator_session)
    lam, name = _seed(emulator_session, region, {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bin/hook"})
    where = ("--case", str(tmp_path / "case"), "--function", name, "--apply")
    refused = _run(emulator_session, region, "attach", *where)
    assert refused.exit_code == 1
    assert "already has AWS_LAMBDA_EXEC_WRAPPER='/opt/bin/hook'" in refused.output
    variables = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    assert variables == {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bin/hook"}
    detached = _run(emulator_session, region, "detach", *where)  # not ours: left alone
    assert detached.exit_code == 0 and "already in place" in detached.output


def test_a_runtime_without_python_is_refused(
    tmp_path: Path, emulator_session: Emulator, region_pool: RegionPool
) -> None:
    region = region_pool.take(emulator_session)
    lam, name = _seed(emulator_session, region, {"STAGE": "prod"}, runtime="nodejs20.x")
    where = ("--case", str(tmp_path / "case"), "--function", name, "--apply")
    refused = _run(emulator_session, region, "attach", *where)
    assert refused.exit_code == 1
    assert "only Python runtimes have; this function runs nodejs20.x" in refused.output
    assert lam.get_function_configuration(FunctionName=name).get("Layers") is None


def test_detach_checks_the_bucket_given_and_needs_none(
    tmp_path: Path, emulator_session: Emulator, region_pool: RegionPool
) -> None:
    region = region_pool.take(emulator_session)
    lam, name = _seed(emulator_session, region, {"STAGE": "prod"})
    where = ("--case", str(tmp_path / "case"), "--function", name, "--region", region)
    attached = _run(emulator_session, region, "attach", *where[:-2], "--apply")
    assert attached.exit_code == 0, attached.output
    runner = CliRunner(env=cli_env(emulator_session.endpoint_url, region))

    other = ("--bucket", "s3://totally-different/x", "--apply")
    refused = runner.invoke(cli, ["runtime", "detach", *where, *other])
    assert refused.exit_code == 1, refused.output
    assert f"the collector on {name} uploads to LAMBDA_IR_BUCKET='{BUCKET}'" in refused.output
    assert "not s3://totally-different/x: not detached" in refused.output
    variables = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    assert variables["LAMBDA_IR_BUCKET"] == BUCKET  # nothing changed

    same = runner.invoke(cli, ["runtime", "detach", *where, "--bucket", f"{BUCKET}/"])
    assert same.exit_code == 0 and "dry run" in same.output, same.output  # same prefix

    detached = runner.invoke(cli, ["runtime", "detach", *where, "--apply"])  # no --bucket
    assert detached.exit_code == 0, detached.output
    assert "state: in place" in detached.output
    config = lam.get_function_configuration(FunctionName=name)
    assert not config.get("Layers") and config["Environment"]["Variables"] == {"STAGE": "prod"}


def test_undoing_an_attach_after_detach_is_already_in_place(
    tmp_path: Path, emulator_session: Emulator, region_pool: RegionPool
) -> None:
    """A review found the attach's undo, after `runtime detach`, refused as "changed since …
    the undo would overwrite that", though detach had set exactly what the undo sets: the
    step is in place (no call, exit 0); a change by hand beside it is still refused."""
    region = region_pool.take(emulator_session)
    lam, name = _seed(emulator_session, region, {"STAGE": "prod"})
    case = tmp_path / "case"
    where = ("--case", str(case), "--function", name)
    applied = _run(emulator_session, region, "attach", *where, "--apply")
    assert applied.exit_code == 0, applied.output
    undo = next(line for line in applied.output.splitlines() if line.startswith("undo plan"))
    assert _run(emulator_session, region, "detach", *where, "--apply").exit_code == 0
    detached = lam.get_function_configuration(FunctionName=name)

    runner = CliRunner(env=cli_env(emulator_session.endpoint_url, region))
    command = ["contain", "--case", str(case), "--undo", undo.split(": ", 1)[1]]
    dry = runner.invoke(cli, command)
    assert dry.exit_code == 0, dry.output
    assert "[already-in-place] undo runtime-attach" in dry.output
    assert "changed since" not in dry.output and "run again with --apply" not in dry.output
    undone = runner.invoke(cli, [*command, "--apply"])
    assert undone.exit_code == 0, undone.output
    assert "[already-in-place] undo runtime-attach" in undone.output
    assert "1 of 1 step(s) already in place" in undone.output
    after = lam.get_function_configuration(FunctionName=name)
    assert after["RevisionId"] == detached["RevisionId"]  # no call was made
    custody = [json.loads(line)["action"] for line in (case / "custody.jsonl").open()]
    assert "contain-undo-skipped" in custody and "contain-undo-call" not in custody

    # a real drift: neither what the attach left nor what its undo sets
    lam.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"STAGE": "dev"}}
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    refused = runner.invoke(cli, [*command, "--apply"])
    assert refused.exit_code == 1 and "the undo would overwrite that" in refused.output
    assert "this plan's undo was applied" not in refused.output  # the last one made no call
    variables = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    assert variables == {"STAGE": "dev"}
