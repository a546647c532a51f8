"""Seed the `busy` scenario in a fresh process, collect and analyze it; print JSON.

    python -m tests.analyze.busy_run [CASE_DIR]

A process of its own because moto's state is process-wide. Prints findings, incidents and
the ground truth (which functions and actors the intrusions used) for the precision test and
for `bench/precision_busy.py`. With CASE_DIR the case is kept there.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import boto3

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.analyze.detectors import ALL
from lambda_ir.analyze.engine import analyze_case
from lambda_ir.emulator.scenarios import seed
from lambda_ir.emulator.testing import running_emulator
from lambda_ir.evidence import Case


def run(root: Path) -> dict[str, object]:
    """Seed, collect into `root/case`, analyze; the document the tests read."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    timings: dict[str, float] = {}
    with running_emulator(flush_interval=3600) as emulator:
        started = time.monotonic()
        (result,) = seed(emulator, ["busy"])
        timings["seed"] = round(time.monotonic() - started, 1)
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        case = Case.create(root / "case")
        assert result.window is not None
        options = CollectOptions(endpoint_url=emulator.endpoint_url, quotas=False)
        started = time.monotonic()
        collect(
            case,
            session,
            Scope(regions=result.regions, since=result.window[0].isoformat()),
            options,
        )
        timings["collect"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        analysis, _ = analyze_case(case, ALL)
        timings["analyze"] = round(time.monotonic() - started, 1)
    return {
        "timings": timings,
        "counts": analysis.counts(),
        "warnings": [f"{w.detector}: {w.reason}" for w in analysis.warnings],
        "findings": [f.to_json() for f in analysis.findings],
        # details are kept as detectors give them (`detector.redacted`): JSON's own types
        "details_not_json": [
            f.id for f in analysis.findings if f.details != json.loads(json.dumps(f.details))
        ],
        "incidents": [i.to_json() for i in analysis.incidents],
        "compromised": sorted({f.name for f in result.compromised}),
        "techniques": [
            {
                "id": t.id,
                "actor": t.actor_arn,
                "access_key_id": t.access_key_id,
                "source_ip": t.source_ip,
                "function": t.function.name if t.function else None,
                "time": t.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            for t in result.techniques
        ],
    }


def main(argv: list[str]) -> None:
    if argv:
        document = run(Path(argv[0]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            document = run(Path(tmp))
    sys.stdout.write(json.dumps(document) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
