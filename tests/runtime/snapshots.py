"""Lambda-shaped snapshots for detector and timeline tests: the collector's real tree walk,
with the process and socket tables a Lambda sandbox has (this machine's are not Lambda's)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from lambda_ir.runtime.snapshot import Roots, take_snapshot
from tests.analyze.casebuild import ACCOUNT, REGION, CaseBuilder
from tests.runtime.helpers import sha256

LAYER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:3"
LAMBDA_ENV = {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_LAMBDA_FUNCTION_NAME": "orders"}
# With the collector attached, every process inherits its wrapper variable from the config.
CONFIGURED = {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/lambda-ir/wrapper"}


def process(
    pid: int, exe: str, *argv: str, ppid: int = 1, hooks: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "hooks": {**CONFIGURED, **(hooks or {})},
        "pid": pid,
        "ppid": ppid,
        "name": exe.rsplit("/", 1)[-1][:15],
        "exe": exe,
        "cmdline": list(argv) or [exe],
        "exe_sha256": sha256(exe.encode()),
        "started_at": "2026-01-01T00:00:00.000Z",
        "user": "sbx_user1051",
    }


def lambda_snapshot(tmp: Path, opt: Path) -> dict[str, Any]:
    """What the collector takes in Lambda: its real tree walk, Lambda's process table."""
    snapshot = take_snapshot(
        "invoke",
        roots=Roots(tmp=str(tmp), opt=str(opt)),
        env=LAMBDA_ENV,
        invocation={
            "requestId": "r-1",
            "invokedFunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders",
        },
    )
    snapshot["processes"] = [
        process(1, "/var/rapid/init", "/var/rapid/init", ppid=0),
        process(
            8, "/var/lang/bin/python3.12", "/var/lang/bin/python3.12", "/var/runtime/bootstrap.py"
        ),
        process(9, "/opt/extensions/datadog-agent"),
        process(
            12,
            "/var/lang/bin/python3.12",
            "python3",
            "-E",
            "-s",
            "/opt/lambda-ir/collect.py",
            "extension",
        ),
    ]
    snapshot["collector"] = {"pid": 12, "ppid": 1}
    snapshot["connections"] = [
        {
            "protocol": "tcp",
            "local_ip": "169.254.100.2",
            "local_port": 40000,
            "remote_ip": "52.94.1.1",
            "remote_port": 443,
            "state": "ESTABLISHED",
            "uid": 993,
            "inode": 1,
            "pid": 8,
            "process": "/var/lang/bin/python3.12",
        },
        {
            "protocol": "tcp",
            "local_ip": "127.0.0.1",
            "local_port": 9001,
            "remote_ip": "127.0.0.1",
            "remote_port": 4444,
            "state": "ESTABLISHED",
            "uid": 993,
            "inode": 2,
            "pid": 8,
            "process": "/var/lang/bin/python3.12",
        },
    ]
    return snapshot


def infected(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The same environment after Denonia: a miner from /tmp, deleted, mining."""
    bad = copy.deepcopy(snapshot)
    bad["snapshot_id"] = "infected"
    preload = {"LD_PRELOAD": "/tmp/libprocesshider.so"}
    bad["processes"].append(
        process(40, "/tmp/python (deleted)", "/tmp/python", ppid=8, hooks=preload)
    )
    bad["processes"].append(process(41, "/usr/bin/curl", "curl", "http://x", ppid=8))
    bad["connections"].append(
        {
            "protocol": "tcp",
            "local_ip": "169.254.100.2",
            "local_port": 40001,
            "remote_ip": "203.0.113.9",
            "remote_port": 3333,
            "state": "ESTABLISHED",
            "uid": 993,
            "inode": 3,
            "pid": 40,
            "process": "/tmp/python",
        }
    )
    bad["connections"].append(
        {
            "protocol": "tcp",
            "local_ip": "169.254.100.2",
            "local_port": 40002,
            "remote_ip": "198.51.100.77",
            "remote_port": 443,
            "state": "SYN_SENT",
            "uid": 993,
            "inode": 4,
            "pid": 40,
            "process": "/tmp/python",
        }
    )
    return bad


def store(
    builder: CaseBuilder, snapshot: dict[str, Any], name: str, *, function: str = "orders"
) -> str:
    """Store a snapshot as `runtime fetch` does, recorded for `function` ("" for none)."""
    entry = builder.case.put_json(
        f"runtime/{ACCOUNT}/{REGION}/orders/{name}.json",
        snapshot,
        kind="runtime",
        api="s3:GetObject",
        params={"Bucket": "ir", "Key": f"{name}/snapshot.json.gz"},
        account=ACCOUNT,
        region=REGION,
        meta={"function": function},
    )
    assert entry.path
    return entry.path
