"""Where `analyze` spends its time and memory on a case, stage by stage, in one process.

`bench/analyze_speed.py` times the CLI as a user runs it; this runs the same steps as
`engine.run_detectors` in this process and prints, for each stage (the baseline's verdicts,
every detector that took time, the collector's calls left out and correlation, serialising
findings.json and incidents.json), its wall and CPU seconds, how many findings it made and the
process's memory after it. The SHA-256 of findings.json's and incidents.json's bytes (as
`analyze` would write them) come last: two runs of two versions of the code over the same case
tell whether a change kept the findings byte for byte. Nothing is written to the case's
outputs (DuckDB's scratch goes to its `.tmp/`, as `analyze`'s does).

    .venv/bin/python bench/analyze_speed.py /tmp/corpus --keep /tmp/case1m
    .venv/bin/python bench/analyze_stages.py /tmp/case1m
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import ALL
from lambda_ir.analyze.engine import (
    findings_chunks,
    finish,
    incidents_json,
    missing_evidence,
)
from lambda_ir.evidence import Case
from lambda_ir.heap import collector_paused
from lambda_ir.model import Finding

SHOWN = 0.05  # seconds: a detector that took less is counted in "other detectors"


def rss_mib() -> int:
    """This process's resident memory now, in MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 2**20


@contextmanager
def stage(name: str, lines: list[str]) -> Iterator[list[int]]:
    """Time what runs inside; the caller puts its finding count in the yielded list."""
    count: list[int] = []
    wall, cpu = time.perf_counter(), time.process_time()
    yield count
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    made = f"{count[0]:>9,}" if count else " " * 9
    lines.append(f"{name:<24} {wall:6.2f} s {cpu:6.2f} s CPU {made} {rss_mib():6,} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", type=Path, help="A case folder (imported or collected).")
    args = parser.parse_args()
    lines = [f"{'stage':<24} {'wall':>8} {'CPU':>10} {'findings':>9} {'RSS':>10}"]
    started, cpu = time.perf_counter(), time.process_time()
    view = CaseView(Case.open(args.case))
    found: dict[str, Finding] = {}
    quick = [0.0, 0.0]
    with collector_paused():  # as `analyze` runs its detectors and writes their findings
        with stage("baseline verdicts", lines):
            view.novelty  # noqa: B018 - built on first use; timed apart from any detector
        for detector in ALL:
            if missing_evidence(detector, view):
                continue
            wall, spent = time.perf_counter(), time.process_time()
            made = list(detector.detect(view))
            wall, spent = time.perf_counter() - wall, time.process_time() - spent
            for finding in made:
                found.setdefault(finding.id, finding)
            if wall < SHOWN:
                quick = [quick[0] + wall, quick[1] + spent]
                continue
            lines.append(
                f"{detector.info.id:<24} {wall:6.2f} s {spent:6.2f} s CPU {len(made):>9,} "
                f"{rss_mib():6,} MiB"
            )
        lines.append(f"{'other detectors':<24} {quick[0]:6.2f} s {quick[1]:6.2f} s CPU")
        with stage("own calls, incidents", lines) as count:
            incidents, ordered, _ = finish(view, list(found.values()))
            count.append(len(ordered))
        digest, size = hashlib.sha256(), 0
        with stage("findings.json bytes", lines):
            for chunk in findings_chunks(ordered):
                digest.update(chunk)
                size += len(chunk)
        with stage("incidents.json bytes", lines) as count:
            document = incidents_json(incidents)
            count.append(len(incidents))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    lines.append(f"{'total':<24} {wall:6.2f} s {cpu:6.2f} s CPU {'':>9} {peak:6,} MiB peak")
    lines.append(f"findings.json  {size:,} bytes, SHA-256 {digest.hexdigest()}")
    lines.append(f"incidents.json {len(document):,} bytes, SHA-256 ")
    lines[-1] += hashlib.sha256(document).hexdigest()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
