"""Run emulator scenarios end to end in a fresh process: seed, collect, analyze; print JSON.

    python -m tests.analyze.scenario_run denonia stratus backdoors

A process of its own because moto's state is process-wide: other tests' emulators are not
touched. Prints {"counts", "compromised", "findings", "techniques"} for the test to assert on.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path

import boto3

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.analyze.detectors import ALL
from lambda_ir.analyze.engine import analyze_case
from lambda_ir.emulator.scenarios import seed
from lambda_ir.emulator.testing import running_emulator
from lambda_ir.evidence import Case


def main(names: list[str]) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with running_emulator(flush_interval=3600) as emulator, tempfile.TemporaryDirectory() as tmp:
        results = seed(emulator, names)
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        case = Case.create(Path(tmp) / "case")
        regions = tuple(sorted({r for result in results for r in result.regions}))
        since = min(result.window[0] for result in results).isoformat()
        options = CollectOptions(endpoint_url=emulator.endpoint_url, quotas=False)
        collect(case, session, Scope(regions=regions, since=since), options)
        analysis, _ = analyze_case(case, ALL)
        techniques = [
            {
                "scenario": r.name,
                "id": t.id,
                "event_name": t.event_name,
                "actor": t.actor_arn,
                "source_ip": t.source_ip,
                "time": t.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "function": t.function.name if t.function else None,
            }
            for r in results
            for t in r.techniques
        ]
        compromised = sorted({f.name for r in results for f in r.compromised})
        document = {
            "counts": analysis.counts(),
            "compromised": compromised,
            "warnings": [w.reason for w in analysis.warnings],
            "findings": [f.to_json() for f in analysis.findings],
            # details are kept as detectors give them (`detector.redacted`): JSON's own types
            "details_not_json": [
                f.id for f in analysis.findings if f.details != json.loads(json.dumps(f.details))
            ],
            "techniques": techniques,
        }
        sys.stdout.write(json.dumps(document) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
