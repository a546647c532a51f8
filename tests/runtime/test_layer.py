"""The layer: Lambda's layout, a wrapper that execs the runtime unchanged, uploads to S3."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import stat
import subprocess
import zipfile
from pathlib import Path

from click.testing import CliRunner

from lambda_ir.cli.main import cli
from tests.runtime.conftest import Bucket
from tests.runtime.helpers import malicious_tmp, sha256

FAKE_RUNTIME = """#!/bin/sh
# A stand-in for /var/runtime/bootstrap: prints its pid, then each argument on its own line.
echo "pid=$$"
for argument in "$@"; do echo "arg=$argument"; done
"""


def _extract(layer: Path, into: Path) -> Path:
    """Unpack as Lambda does into /opt, keeping the zip's Unix modes."""
    with zipfile.ZipFile(layer) as archive:
        for info in archive.infolist():
            target = into / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod(info.external_attr >> 16 & 0o777)
    return into


def _runtime(tmp_path: Path) -> Path:
    fake = tmp_path / "bootstrap"
    fake.write_text(FAKE_RUNTIME)
    fake.chmod(0o755)
    return fake


def _wrap(opt: Path, fake: Path, env: dict[str, str]) -> tuple[int, list[str], str]:
    arguments = [str(fake), "--handler", "app.handler", "two words", "*", ""]
    process = subprocess.Popen(
        [str(opt / "lambda-ir" / "wrapper"), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    out, err = process.communicate()  # no timeout: libfaketime breaks its sleeps
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert lines[0] == f"pid={process.pid}"  # exec: the runtime is the wrapper's process
    assert lines[1:] == [f"arg={a}" for a in arguments[1:]]  # the command line unchanged
    return process.pid, lines, err


def test_build_layer_has_lambda_layout_and_prints_the_statement(tmp_path: Path) -> None:
    out = tmp_path / "layer.zip"
    result = CliRunner().invoke(
        cli, ["--json", "runtime", "build-layer", "--out", str(out), "--bucket", "s3://ir/acme"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert document["statement"] == {
        "Sid": "LambdaIrRuntimeSnapshots",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::ir/acme/*",
    }
    with zipfile.ZipFile(out) as archive:
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        for listed in document["files"]:
            assert sha256(archive.read(listed["name"])) == listed["sha256"]
    assert stat.S_IMODE(modes["lambda-ir/wrapper"]) == 0o755
    assert stat.S_IMODE(modes["extensions/lambda-ir"]) == 0o755
    assert "lambda-ir/lambda_ir_runtime/snapshot.py" in modes
    assert all(not name.startswith(("/", "python/lambda_ir")) for name in modes)
    assert document["wrapper"] == "/opt/lambda-ir/wrapper"
    again = tmp_path / "again.zip"
    CliRunner().invoke(cli, ["runtime", "build-layer", "--out", str(again)])
    assert again.read_bytes() == out.read_bytes()  # reproducible


def test_wrapper_execs_the_runtime_unchanged_without_a_bucket(tmp_path: Path) -> None:
    opt = _extract(_build(tmp_path), tmp_path / "opt")
    _, _, err = _wrap(opt, _runtime(tmp_path), _clean_env())
    assert "snapshot" not in err


def test_wrapper_snapshots_to_s3_at_cold_start_then_execs(tmp_path: Path, bucket: Bucket) -> None:
    opt = _extract(_build(tmp_path), tmp_path / "opt")
    tmp = tmp_path / "tmp"
    files = malicious_tmp(tmp)
    env = {
        **_clean_env(),
        **bucket.env(),
        "LAMBDA_IR_TMP": str(tmp),
        "LAMBDA_IR_OPT": str(opt),
    }
    pid, _, err = _wrap(opt, _runtime(tmp_path), env)
    assert "uploaded" in err, err
    s3 = bucket.client()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket.name)["Contents"]]  # type: ignore[attr-defined]
    manifest_key = next(k for k in keys if k.endswith("manifest.json"))
    assert manifest_key.startswith("snapshots/us-east-1/orders/")
    manifest = json.loads(s3.get_object(Bucket=bucket.name, Key=manifest_key)["Body"].read())  # type: ignore[attr-defined]
    (listed,) = manifest["files"]
    body = s3.get_object(Bucket=bucket.name, Key=listed["key"])["Body"].read()  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == listed["sha256"] and len(body) == listed["size"]
    snapshot = json.loads(gzip.decompress(body))
    assert snapshot["trigger"] == "cold-start" and snapshot["collector"]["ppid"] == pid
    entries = {e["path"]: e for e in snapshot["tmp"]["entries"]}
    assert entries["/tmp/.xmrig.json"]["sha256"] == sha256(files[".xmrig.json"])
    assert any(e["path"] == "/opt/lambda-ir/wrapper" for e in snapshot["opt"]["entries"])
    assert "session-token-never-in-snapshots" not in body.decode("latin-1")
    assert "session-token-never-in-snapshots" not in gzip.decompress(body).decode()


def test_wrapper_and_extension_write_nothing_into_the_layer(tmp_path: Path, bucket: Bucket) -> None:
    """The collector reads, never writes: no `__pycache__` in the layer folder after a cold
    start and after the extension starts (it imports the same modules, then stops: not in
    Lambda)."""
    opt = _extract(_build(tmp_path), tmp_path / "opt")
    before = _tree(opt)
    env = {**_clean_env(), **bucket.env(), "LAMBDA_IR_TMP": str(tmp_path / "tmp")}
    env["LAMBDA_IR_OPT"] = str(opt)
    _, _, err = _wrap(opt, _runtime(tmp_path), env)
    assert "uploaded" in err, err
    started = subprocess.run(
        [str(opt / "extensions" / "lambda-ir")], env=env, capture_output=True, text=True
    )
    assert started.returncode == 2 and "not inside Lambda" in started.stderr, started.stderr
    assert _tree(opt) == before


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under `root` with its size and mtime."""
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in root.rglob("*")
    }


def _clean_env() -> dict[str, str]:
    """This process's environment without AWS or collector settings (a libfaketime clock
    shift, when the run has one, is kept: the emulator checks request times against it)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDA_IR_"))}


def _build(tmp_path: Path) -> Path:
    out = tmp_path / "layer.zip"
    result = CliRunner().invoke(cli, ["runtime", "build-layer", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out
