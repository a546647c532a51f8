"""Benchmark: the responder's chain after `analyze` on a million-event case: `report`, then
the `search --ioc` of the case's own `indicators.txt` that the report's checklist proposes.

The case is the corpus of `bench/gen_trail_corpus.py` imported and analyzed (generated first
when OUT has none; never committed), or an analyzed case given with `--case` (not changed
but for the report's outputs). Each command runs as a user runs it (the CLI, a fresh process);
prints its seconds and the peak memory of its process tree, the size of the pages for people
(report.html, report.md) and of the complete exports, and whether the page stays within the
10 MB it is allowed on the demo.

    .venv/bin/python bench/report_scale.py /tmp/corpus [--case ANALYZED_CASE]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from gen_trail_corpus import corpus_parser, generate
from trail_ingest import run_watched, trail_files

PAGE_BUDGET = 10 * 2**20  # report.html's budget on the demo (tests/report/test_demo_report.py)
OUTPUTS = (
    "report.html",
    "report.md",
    "findings.csv",
    "findings.sarif",
    "findings.ocsf.jsonl",
    "indicators.txt",
    "indicators.stix.json",
)


def main() -> None:
    parser = corpus_parser(__doc__)
    parser.add_argument("--case", type=Path, help="An analyzed case to report on instead.")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "lambda_ir", "--quiet"]
    scratch = Path(tempfile.mkdtemp(prefix="lir-report-bench-"))
    try:
        case = args.case
        if case is None:
            if not trail_files(args.corpus):
                generate(args.corpus, args.events, 5_000)
            case = scratch / "case"
            run_watched([*cli, "import-trail", "--case", str(case), str(args.corpus)])
            analyzed, peak, _ = run_watched([*cli, "analyze", "--case", str(case)])
            print(f"analyze: {analyzed:6.1f} s, peak {peak / 2**20:,.0f} MiB")
        took, peak, out = run_watched([*cli, "report", "--case", str(case)])
        print(f"report:  {took:6.1f} s, peak {peak / 2**20:,.0f} MiB ({out.splitlines()[-1]})")
        sizes = {name: (case / name).stat().st_size for name in OUTPUTS if (case / name).exists()}
        print("  " + ", ".join(f"{name} {size / 2**20:,.1f} MiB" for name, size in sizes.items()))
        page = sizes.get("report.html", 0)
        verdict = "within" if page <= PAGE_BUDGET else "OVER"
        print(f"  report.html {verdict} the {PAGE_BUDGET // 2**20} MiB page budget")
        indicators = case / "indicators.txt"
        if indicators.exists():
            command = [*cli, "search", "--case", str(case), "--ioc", str(indicators)]
            took, peak, out = run_watched([*command, "--limit", "5"])
            count = sum(1 for line in indicators.read_text().splitlines() if line[:1] != "#")
            print(
                f"search --ioc indicators.txt ({count:,} indicators), first 5 hits: "
                f"{took:6.1f} s, peak {peak / 2**20:,.0f} MiB"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
