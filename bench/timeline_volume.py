"""Benchmark: `timeline` over a busy function's logs, against reading the same rows raw.

Builds a case whose logs hold N invocations (START, an app line, every 50th an [ERROR],
REPORT: about 3.02 lines each) plus N/10 CloudTrail calls, indexes it, then measures in
one run:
  baseline   DuckDB reading every log_events and trail_events row in time order
             (`SELECT * ... ORDER BY ts`, fetched in batches): the floor for any reader
  lambda-ir  `write_timeline(case, index, fmt)`: summarise per request, pick errors,
             merge with CloudTrail, redact, write Timesketch JSON lines / CSV
Prints times, events/s, the ratio to the baseline, and the peak RSS of a `lambda-ir
timeline` process (the output is streamed to disk, so it does not grow with the file).

    .venv/bin/python bench/timeline_volume.py [--invocations 200000]
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson

from lambda_ir.evidence import Case
from lambda_ir.evidence.index import build_index, open_index
from lambda_ir.timeline import write_timeline

START_MS = 1_795_904_400_000
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked parent's pages.
_CHILD = """
import re, sys
from pathlib import Path
from lambda_ir.cli.main import cli
try:
    cli.main(["-q", "timeline", "--case", sys.argv[1]], standalone_mode=False)
finally:
    print(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
"""


def make_case(root: Path, invocations: int) -> Case:
    """A case with one function's logs and some CloudTrail, written as acquire would."""
    case = Case.create(root, {"bench": "timeline"})
    lines = []
    for number in range(invocations):
        request = str(uuid.UUID(int=number))
        ts = START_MS + number * 1000
        lines.append((ts, f"START RequestId: {request} Version: 3"))
        lines.append(
            (ts + 5, f"2026-11-28T22:20:01.000Z\t{request}\tINFO processed order {number}")
        )
        if number % 50 == 0:
            lines.append((ts + 6, f"2026-11-28T22:20:01.000Z\t{request}\t[ERROR] pool refused"))
        lines.append(
            (
                ts + 9,
                f"REPORT RequestId: {request}\tDuration: 8.10 ms\tBilled Duration: "
                "9 ms\tMemory Size: 256 MB\tMax Memory Used: 80 MB",
            )
        )
    body = b"".join(
        orjson.dumps({"timestamp": ts, "message": m, "logStreamName": "2026/11/28/[3]abc"}) + b"\n"
        for ts, m in lines
    )
    case.put_bytes(
        gzip.compress(body, 1),
        "logs/1/eu-west-1/fn/s.jsonl.gz",
        kind="logs",
        api="logs:FilterLogEvents",
        params={"logGroupName": "/aws/lambda/fn"},
        account="111122223333",
        region="eu-west-1",
    )
    records = [
        {
            "eventID": f"e{n}",
            "eventTime": f"2026-11-28T{(n // 3600) % 24:02d}:{(n // 60) % 60:02d}:{n % 60:02d}Z",
            "eventSource": "lambda.amazonaws.com",
            "eventName": "GetFunction20150331v2",
            "awsRegion": "eu-west-1",
            "recipientAccountId": "111122223333",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": "arn:aws:sts::111122223333:assumed-role/r/s",
            },
            "requestParameters": {"functionName": "fn"},
            "sourceIPAddress": "198.51.100.1",
        }
        for n in range(invocations // 10)
    ]
    trail = b"".join(orjson.dumps(r) + b"\n" for r in records)
    case.put_bytes(
        gzip.compress(trail, 1),
        "trail/1/eu-west-1/t.jsonl.gz",
        kind="trail",
        api="cloudtrail:LookupEvents",
        params={},
        account="111122223333",
        region="eu-west-1",
    )
    return case


def baseline(case: Case) -> tuple[float, int]:
    """Read every log and trail row in time order, in batches; nothing else."""
    started = time.perf_counter()
    rows = 0
    with open_index(case) as con:
        for query in (
            "SELECT * FROM log_events ORDER BY ts",
            "SELECT * FROM trail_events ORDER BY event_time",
        ):
            cursor = con.execute(query)
            while batch := cursor.fetchmany(5000):
                rows += len(batch)
    return time.perf_counter() - started, rows


def measured(case: Case, fmt: str) -> tuple[float, int]:
    started = time.perf_counter()
    with open_index(case) as con:
        result = write_timeline(case, con, fmt)
    return time.perf_counter() - started, result.events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invocations", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        case = make_case(Path(tmp) / "case", args.invocations)
        started = time.perf_counter()
        build_index(case)
        print(f"index build: {time.perf_counter() - started:.2f}s")
        base_s, rows = baseline(case)
        print(f"baseline  read {rows:,} rows in time order: {base_s:.2f}s ({rows / base_s:,.0f}/s)")
        for fmt in ("jsonl", "csv"):
            took, events = measured(case, fmt)
            print(
                f"lambda-ir timeline --format {fmt}: {events:,} events in {took:.2f}s "
                f"({rows / took:,.0f} rows/s); {took / base_s:.2f}x the baseline's time"
            )
        # Memory of the command alone, measured inside a fresh process: the timeline streams
        # to disk, so this stays flat as the file grows.
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(case.root)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        peak = int(out.split()[-1]) / 1024
        size = (case.root / "timeline.jsonl").stat().st_size / (1 << 20)
        print(f"`lambda-ir timeline` process peak RSS: {peak:,.0f} MiB for a {size:,.0f} MiB file")


if __name__ == "__main__":
    main()
