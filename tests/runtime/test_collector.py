"""The collector runs here, in a subprocess, over a prepared /tmp, a child and its socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lambda_ir.runtime.environment import redacted_environment
from lambda_ir.runtime.sockets import parse_line
from tests.runtime.helpers import listening_child, malicious_tmp, sha256


def _snapshot(tmp: Path, opt: Path, **env: str) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambda_ir.runtime",
            "snapshot",
            "--stdout",
            "--trigger",
            "manual",
            "--tmp",
            str(tmp),
            "--opt",
            str(opt),
        ],
        capture_output=True,
        check=True,
        env={**os.environ, **env},
    )
    return json.loads(done.stdout)


def test_snapshot_names_the_files_the_child_and_its_socket(tmp_path: Path) -> None:
    tmp, opt = tmp_path / "tmp", tmp_path / "opt"
    files = malicious_tmp(tmp)
    (opt / "python").mkdir(parents=True)
    (opt / "python" / "layer.py").write_bytes(b"x = 1\n")
    with listening_child("lir-test-child", NODE_OPTIONS="--require /tmp/hook.js") as child:
        snapshot = _snapshot(tmp, opt, AWS_SECRET_ACCESS_KEY="s3cr3t-value", MY_API_KEY="abc")

    by_path = {e["path"]: e for e in snapshot["tmp"]["entries"]}
    for name, data in files.items():
        entry = by_path[f"/tmp/{name}"]
        assert entry["sha256"] == sha256(data) and entry["size"] == len(data)
    assert by_path["/tmp/python"]["magic"] == "7f454c46"
    assert by_path["/tmp/python"]["mode"] == "0755"
    assert by_path["/tmp/cache"]["type"] == "dir"
    assert json.loads(__import__("base64").b64decode(by_path["/tmp/.xmrig.json"]["content_b64"]))
    assert snapshot["opt"]["entries"][1]["path"] == "/opt/python/layer.py"
    assert snapshot["opt"]["entries"][1]["sha256"] == sha256(b"x = 1\n")

    process = next(p for p in snapshot["processes"] if p["pid"] == child.pid)
    assert process["cmdline"][-1] == "lir-test-child" and process["ppid"] == os.getpid()
    executable = Path(os.path.realpath(sys.executable)).read_bytes()
    assert process["exe_sha256"] == sha256(executable)
    assert process["started_at"].endswith("Z")
    assert process["hooks"]["NODE_OPTIONS"] == "--require /tmp/hook.js"  # its own environ

    listening = [c for c in snapshot["connections"] if c["local_port"] == child.port]
    assert listening and listening[0]["state"] == "LISTEN"
    assert listening[0]["pid"] == child.pid and listening[0]["local_ip"] == "127.0.0.1"

    environment = snapshot["environment"]
    assert environment["AWS_SECRET_ACCESS_KEY"] == "<redacted: 12 chars>"
    assert environment["MY_API_KEY"] == "<redacted: 3 chars>"
    assert "s3cr3t-value" not in json.dumps(snapshot)
    assert snapshot["complete"] is True and snapshot["format"].startswith("lambda-ir-runtime")


def test_symlinks_are_recorded_not_followed_and_limits_hold(tmp_path: Path) -> None:
    from lambda_ir.runtime.files import TreeLimits, walk_tree

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp / "escape").symlink_to("/etc")
    for n in range(5):
        (tmp / f"f{n}").write_bytes(b"x" * 10)
    tree = walk_tree(str(tmp), "/tmp", TreeLimits(max_files=3))
    assert tree["complete"] is False and len(tree["entries"]) == 3
    full = walk_tree(str(tmp), "/tmp", TreeLimits(max_hash_bytes=5))
    link = next(e for e in full["entries"] if e["path"] == "/tmp/escape")
    assert link["type"] == "symlink" and link["target"] == "/etc" and "sha256" not in link
    assert all(e["sha256"] is None for e in full["entries"] if e["type"] == "file")


def test_proc_net_lines_parse_ipv4_and_ipv6() -> None:
    v4 = "  0: 0100007F:1F90 0A0A0A0A:115C 01 00000000:00000000 00:00000000 00000000  1000 0 4242"
    record = parse_line("tcp", v4)
    assert record is not None
    assert (record["local_ip"], record["local_port"]) == ("127.0.0.1", 8080)
    assert (record["remote_ip"], record["remote_port"]) == ("10.10.10.10", 4444)
    assert record["state"] == "ESTABLISHED" and record["inode"] == 4242
    v6 = (
        "  0: 00000000000000000000000001000000:0050 "
        "00000000000000000000000000000000:0000 0A 0 0 0 0 0 7"
    )
    six = parse_line("tcp6", v6)
    assert six is not None and six["local_ip"] == "::1" and six["state"] == "LISTEN"
    assert parse_line("tcp", "garbage") is None


def test_environment_keeps_lambda_values_and_hook_variables() -> None:
    env = redacted_environment(
        {
            "AWS_LAMBDA_FUNCTION_NAME": "orders",
            "AWS_SESSION_TOKEN": "token",
            "AWS_LAMBDA_EXEC_WRAPPER": "/opt/x",
            "DB_PASSWORD": "hunter2",
        }
    )
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "orders"
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/x"
    assert env["AWS_SESSION_TOKEN"] == "<redacted: 5 chars>"
    assert env["DB_PASSWORD"] == "<redacted: 7 chars>"


def test_every_start_up_hook_analysis_knows_is_kept_in_a_snapshot() -> None:
    """A snapshot keeps the value of every variable `analyze.hooks` reads as a start-up hook
    (LIR-RT-006 compares a process's own with the configuration's), in the environment and
    in each process's hooks: a hook analysis knows but the collector redacted is one no
    snapshot could show."""
    from lambda_ir.analyze.hooks import ALWAYS, CLR_PROFILERS
    from lambda_ir.runtime.environment import HOOKS, KEEP

    # CoreCLR's profiler paths are kept in the environment only: Datadog's documented wrapper
    # exports them into the runtime's process, where they would say nothing of who started it
    assert ALWAYS - set(CLR_PROFILERS) <= set(HOOKS) <= KEEP and ALWAYS <= KEEP
    assert not set(CLR_PROFILERS) & set(HOOKS)
    for name in ("LD_AUDIT", "OPENSSL_CONF", "PYTHONUSERBASE", "_JAVA_OPTIONS"):
        assert name in HOOKS and name in KEEP, name


def test_content_is_kept_whole_within_the_budget(tmp_path: Path) -> None:
    from lambda_ir.runtime.files import TreeLimits, walk_tree

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    for name in ("a", "b", "c"):
        (tmp / name).write_bytes(name.encode() * 100)
    (tmp / "big").write_bytes(b"x" * 500)
    tree = walk_tree(str(tmp), "/tmp", TreeLimits(content_cap=400, content_total=250))
    kept = {e["path"]: e.get("content_b64") for e in tree["entries"]}
    assert kept["/tmp/big"] is None  # over the per-file cap
    assert [p for p, c in kept.items() if c] == ["/tmp/a", "/tmp/b"]  # then the budget ran out
    assert all(e["sha256"] == sha256((tmp / e["path"][5:]).read_bytes()) for e in tree["entries"])
