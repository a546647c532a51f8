"""Benchmark: `lambda-ir analyze` (no Sigma) against `lambda-ir import-trail` in the same run.

The import of the corpus is the baseline: analysis should take at most twice as long, in under
1 GiB. Both run as a user runs them (the CLI, a fresh process each) on a new case made from
the corpus of `bench/gen_trail_corpus.py` (generated first when OUT has none; never committed).
Prints both times, the ratio, the peak memory of each process tree, and the findings per
detector (how far aggregation brought them down). The CPU seconds of each (user + system, the
process and its children) are printed beside: on a machine shared with other work the wall
times move with the load, the CPU seconds much less.

    .venv/bin/python bench/analyze_speed.py /tmp/corpus [--events 1000000] [--keep CASE]
"""

from __future__ import annotations

import collections
import resource
import shutil
import sys
import tempfile
from pathlib import Path

import orjson
from gen_trail_corpus import corpus_parser, generate
from trail_ingest import run_watched, trail_files

TARGET_RATIO = 2.0
TARGET_PEAK = 1 << 30


def _findings(case: Path) -> tuple[int, list[tuple[str, int]], int]:
    """(findings, the five detectors with most findings, incidents) of an analyzed case."""
    findings = orjson.loads((case / "findings.json").read_bytes())
    by_detector = collections.Counter(str(f["detector"]) for f in findings)
    incidents = case / "incidents.json"
    count = len(orjson.loads(incidents.read_bytes())) if incidents.exists() else 0
    return len(findings), by_detector.most_common(5), count


def cpu_seconds() -> float:
    """User + system CPU seconds of this process's children that have ended so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = corpus_parser(__doc__)
    parser.add_argument("--keep", type=Path, help="Keep the analyzed case in this folder.")
    args = parser.parse_args()
    if not trail_files(args.corpus):
        files, size = generate(args.corpus, args.events, 5_000)
        print(f"generated {files} files, {size / 1e6:,.0f} MB of JSON in {args.corpus}")
    for path in trail_files(args.corpus):  # warm the page cache for the import
        path.read_bytes()
    scratch = Path(tempfile.mkdtemp(prefix="lir-analyze-bench-"))
    case = scratch / "case"
    cli = [sys.executable, "-m", "lambda_ir", "--quiet"]
    try:
        start = cpu_seconds()
        imported, import_peak, out = run_watched(
            [*cli, "import-trail", "--case", str(case), str(args.corpus)]
        )
        middle = cpu_seconds()
        print(
            f"import-trail: {imported:6.2f} s ({middle - start:.2f} s CPU), "
            f"peak {import_peak / 2**20:,.0f} MiB ({out})"
        )
        analyzed, peak, _ = run_watched([*cli, "analyze", "--case", str(case)])
        cpu = cpu_seconds() - middle
        total, top, incidents = _findings(case)
        print(f"analyze:      {analyzed:6.2f} s ({cpu:.2f} s CPU), peak {peak / 2**20:,.0f} MiB")
        print(
            f"findings: {total:,} ({incidents:,} incidents); most from "
            + ", ".join(f"{detector} {count:,}" for detector, count in top)
        )
        ratio = analyzed / imported
        print(f"CPU ratio analyze / import: {cpu / (middle - start):.2f}x")
        print(
            f"ratio analyze / import: {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x: "
            f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}); peak "
            f"{'under' if peak < TARGET_PEAK else 'OVER'} 1 GiB"
        )
        if args.keep:
            shutil.copytree(case, args.keep)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
