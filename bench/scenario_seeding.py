"""Benchmark: seeding the `estate` scenario at scale, against bare API calls on the same emulator.

Measures in one run, on one in-process emulator:
  baseline   the floor for any seeder: bare boto3 `CreateFunction` + `PublishVersion` calls
             (one reused zip, one role), per API call
  estate     `estate(functions=N, versions=V)`: roles, functions, releases, aliases, triggers,
             images, layers, log groups and invocation logs, per API call it makes
Prints wall time, API calls counted from the emulator's CloudTrail records (management
events; the log writes' PutLogEvents are data events and not counted, so the per-call figure
for the estate is pessimistic), calls/s, and the per-call ratio to the baseline.

    .venv/bin/python bench/scenario_seeding.py [--functions 300] [--versions 4]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import time
import zipfile

from lambda_ir.emulator.client import session_for
from lambda_ir.emulator.scenarios.estate import estate
from lambda_ir.emulator.server import Emulator
from lambda_ir.emulator.testing import running_emulator

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def baseline(emulator: Emulator, calls: int) -> tuple[float, int]:
    """Bare CreateFunction + PublishVersion pairs; (seconds, calls made)."""
    session = session_for(emulator, "AKIABENCHBASELINE000", "x")
    role = session.client("iam").create_role(
        RoleName="bench-baseline-role", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    lam = session.client("lambda", region_name="ap-southeast-2")
    package = _zip()
    start = time.perf_counter()
    for n in range(calls // 2):
        name = f"bench-baseline-{n}"
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": package},
        )
        lam.publish_version(FunctionName=name)
    return time.perf_counter() - start, (calls // 2) * 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=300)
    parser.add_argument("--versions", type=int, default=4)
    parser.add_argument("--baseline-calls", type=int, default=400)
    options = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with running_emulator(flush_interval=3600) as emulator:
        base_s, base_calls = baseline(emulator, options.baseline_calls)
        recorded_before = len(emulator.records())
        start = time.perf_counter()
        result = estate(emulator, functions=options.functions, versions=options.versions)
        seconds = time.perf_counter() - start
        calls = len(emulator.records()) - recorded_before
    base_per_call = base_s / base_calls
    per_call = seconds / calls
    print(
        f"baseline: {base_calls} bare calls in {base_s:.2f} s ({base_calls / base_s:.0f} calls/s)"
    )
    print(
        f"estate:   {len(result.functions)} functions x {options.versions} versions, "
        f"{calls} recorded calls in {seconds:.2f} s ({calls / seconds:.0f} calls/s)"
    )
    print(f"ratio:    {per_call / base_per_call:.2f}x the baseline's time per call")


if __name__ == "__main__":
    main()
