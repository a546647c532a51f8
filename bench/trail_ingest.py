"""Benchmark: CloudTrail `import-trail` + `index` against gzip and a plain-Python baseline.

Measured in one run over the same corpus (generate it with `bench/gen_trail_corpus.py`):
  reference  `gzip -dc` of every trail file, one process per core (the physical limit)
  baseline   plain Python, one process: gzip + json.load + pull out the same fields,
             as existing tools (cloudgrep, Invictus-style scripts) do it
  lambda-ir  `lambda-ir import-trail` on a new case: import and index, end to end (then
             `lambda-ir index` alone on that case, to show the index's share)
Prints times, events/s, ratios, and the peak memory of the lambda-ir process tree.

    .venv/bin/python bench/gen_trail_corpus.py /tmp/corpus
    .venv/bin/python bench/trail_ingest.py /tmp/corpus [--skip-baseline]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

FIELDS = (
    "eventID",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "recipientAccountId",
    "sourceIPAddress",
    "userAgent",
    "readOnly",
    "errorCode",
    "errorMessage",
)


def trail_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.json.gz") if "CloudTrail-Digest" not in str(p))


def reference(files: list[Path], cores: int) -> float:
    """`gzip -dc` of all files to /dev/null, split over `cores` processes."""
    start = time.perf_counter()
    shares = [files[i::cores] for i in range(cores)]
    procs = [
        subprocess.Popen(["gzip", "-dc", *map(str, share)], stdout=subprocess.DEVNULL)
        for share in shares
        if share
    ]
    for proc in procs:
        proc.wait()
    return time.perf_counter() - start


def baseline(files: list[Path]) -> tuple[float, int]:
    """gzip + json (stdlib), one process, one tuple of fields per event."""
    start = time.perf_counter()
    rows = 0
    for path in files:
        with gzip.open(path, "rb") as src:
            for record in json.load(src)["Records"]:
                identity = record.get("userIdentity") or {}
                params = record.get("requestParameters") or {}
                row = (
                    *(record.get(f) for f in FIELDS),
                    identity.get("arn"),
                    identity.get("type"),
                    params.get("functionName"),
                    json.dumps(record),
                )
                rows += len(row) > 0
    return time.perf_counter() - start, rows


def tree_rss(root: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run_watched(command: list[str]) -> tuple[float, int, str]:
    """Run a command; returns (seconds, peak bytes of its process tree, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak = [0]

    def watch() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, _ = proc.communicate()
    elapsed = time.perf_counter() - start
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {out}")
    return elapsed, peak[0], out.strip()


def lambda_ir(corpus: Path, case: Path) -> tuple[float, float, int, str]:
    """`lambda-ir import-trail` (import, then build case.duckdb in the same process), as a
    user runs it; then `lambda-ir index` alone on that case, to show the index's share.

    Returns (import-trail seconds, index-rebuild seconds, peak bytes of either, summary line).
    """
    cli = [sys.executable, "-m", "lambda_ir", "--quiet"]
    took, peak_import, out = run_watched([*cli, "import-trail", "--case", str(case), str(corpus)])
    indexed, peak_index, _ = run_watched([*cli, "index", "--case", str(case)])
    return took, indexed, max(peak_import, peak_index), out


def sizes(case: Path) -> str:
    """Bytes of the stored trail artifacts and of the index."""
    trail = sum(p.stat().st_size for p in (case / "trail").rglob("*") if p.is_file())
    index = (case / "case.duckdb").stat().st_size
    return f"trail artifacts {trail / 1e6:,.0f} MB, case.duckdb {index / 1e6:,.0f} MB"


def events_of(summary: str) -> int:
    """The record count in import-trail's summary line ("imported N records ...")."""
    words = summary.split()
    return int(words[1]) if len(words) > 1 and words[1].isdigit() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--skip-baseline", action="store_true", help="Skip the slow baseline.")
    args = parser.parse_args()
    files = trail_files(args.corpus)
    cores = os.cpu_count() or 1
    raw_bytes = sum(p.stat().st_size for p in files)
    print(f"corpus: {len(files)} files, {raw_bytes / 1e6:.0f} MB gzip, {cores} cores")
    for path in files:  # warm the page cache so every method reads from memory
        path.read_bytes()
    ref = reference(files, cores)
    print(f"reference  gzip -dc x{cores}: {ref:6.2f} s")
    base = None
    if not args.skip_baseline:
        base, events = baseline(files)
        print(f"baseline   python gzip+json: {base:6.2f} s  {events / base:10,.0f} events/s")
    scratch = Path(tempfile.mkdtemp(prefix="lir-bench-"))
    try:
        took, indexed, peak, out = lambda_ir(args.corpus, scratch / "case")
        stored = sizes(scratch / "case")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"lambda-ir  import-trail (import + index): {took:6.2f} s  ({out})")
    print(f"           of which the index alone (rebuilt by `index`): {indexed:6.2f} s")
    print(f"           {events_of(out) / took:,.0f} events/s; {stored}")
    print(f"peak memory of the lambda-ir process tree: {peak / 2**20:,.0f} MiB")
    print(f"ratio vs reference: {ref / took:.2f}x (target >= 0.8x)")
    if base is not None:
        print(f"ratio vs baseline:  {base / took:.2f}x (target >= 4x)")


if __name__ == "__main__":
    main()
