"""Benchmark: what the emulator's gateway costs per call, against bare moto in the same run.

Measures, in one process on the same functions:
  baseline   moto's own `ThreadedMotoServer` (no gateway): GetFunction, GetPolicy,
             ListFunctions, sequential boto3 calls
  emulator   the same calls through `Emulator` (operation naming, caller resolution,
             CloudTrail recording, Code.Location blobs, per-qualifier policies, paging)
GetPolicy answers a one-statement policy on both. Rounds alternate between the two and
each side keeps its best round. Prints calls/s for each and the emulator/baseline time
ratio per operation.

    .venv/bin/python bench/emulator_gateway.py [--functions 40] [--calls 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import logging
import time
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

from lambda_ir.emulator.testing import running_emulator

CONFIG = Config(retries={"total_max_attempts": 1})


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CONFIG,
    )


def _seed(endpoint: str, count: int) -> list[str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(e, c):\n    return 1\n")
    iam, lam = _client(endpoint, "iam"), _client(endpoint, "lambda")
    role = iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    names = [f"bench-{i:04}" for i in range(count)]
    for name in names:
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": buffer.getvalue()},
        )
    return names


def _rate(call: Callable[[int], object], calls: int) -> float:
    call(0)  # warm: lazy backends, connections
    start = time.perf_counter()
    for index in range(calls):
        call(index)
    return calls / (time.perf_counter() - start)


def _allow(endpoint: str, names: list[str]) -> None:
    """Give every function one statement: moto and the emulator keep policies apart."""
    lam = _client(endpoint, "lambda")
    for name in names:
        lam.add_permission(
            FunctionName=name,
            StatementId="bench",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
        )


def _measure(endpoint: str, names: list[str], calls: int) -> dict[str, float]:
    lam = _client(endpoint, "lambda")
    return {
        "GetFunction": _rate(lambda i: lam.get_function(FunctionName=names[i % len(names)]), calls),
        "GetPolicy": _rate(lambda i: lam.get_policy(FunctionName=names[i % len(names)]), calls),
        "ListFunctions": _rate(lambda i: lam.list_functions(), max(calls // 10, 10)),
    }


def _best(runs: list[dict[str, float]]) -> dict[str, float]:
    return {operation: max(run[operation] for run in runs) for operation in runs[0]}


def main() -> None:
    """Run both, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--functions", type=int, default=40)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    bare = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    bare.start()
    host, port = bare.get_host_and_port()
    baseline_endpoint = f"http://{host}:{port}"
    names = _seed(baseline_endpoint, args.functions)  # moto state is shared by both servers
    with running_emulator(flush_interval=3600) as emulator:
        _allow(baseline_endpoint, names)
        _allow(emulator.endpoint_url, names)
        # Alternate rounds and keep each side's best: other processes share the cores.
        rounds = [
            (
                _measure(baseline_endpoint, names, args.calls),
                _measure(emulator.endpoint_url, names, args.calls),
            )
            for _ in range(args.rounds)
        ]
    bare.stop()
    baseline = _best([moto for moto, _ in rounds])
    ours = _best([emulated for _, emulated in rounds])
    print(f"{'operation':<16}{'moto calls/s':>14}{'emulator calls/s':>18}{'time ratio':>12}")
    for operation, moto_rate in baseline.items():
        rate = ours[operation]
        print(f"{operation:<16}{moto_rate:>14.0f}{rate:>18.0f}{moto_rate / rate:>11.2f}x")


if __name__ == "__main__":
    main()
