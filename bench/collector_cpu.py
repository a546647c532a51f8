"""The collector's CPU per request: this tree against an earlier commit, interleaved A/B.

    .venv/bin/python bench/collector_cpu.py [--base HEAD~1] [--accounts 6] [--regions 3]
                                            [--functions 20] [--versions 2] [--pairs 6]

Seeds one organisation in one emulator process (`bench/scale.py`'s: quotas on, 40 ms per
call), then runs `collect_org` over it `--pairs` times with the code of `--base` (its `src/`,
from `git archive`) and `--pairs` times with this tree's, alternating (base first in even
pairs, this tree first in odd ones), each run in its own process. Each line gives the
collector's CPU per request (its process time around `collect_org`), the emulator's (from
/proc, the same code in every run: a gauge of how loaded the machine was), the collector's
over the emulator's, wall time, requests and artifacts; the last line the means and the
ratio this tree / base. On a machine shared with other work per-request CPU moves with the
load, so only such interleaved pairs compare.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale  # noqa: E402  (bench/scale.py: the emulator process and its CPU reading)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _child(*sys.argv[2:5])
        return
    args = _arguments()
    os.environ.setdefault("AWS_MAX_ATTEMPTS", "30")
    from lambda_ir.emulator.scenarios.organization import seed_organisation

    base_src = _archive(args.base)
    regions = scale.REGIONS[: args.regions]
    shape = scale.org_shape(args)
    trees = {"base": str(base_src), "this": str(HERE.parent / "src")}
    per_request: dict[str, list[float]] = {"base": [], "this": []}
    with scale._served(40) as (endpoint, pid):
        accounts = seed_organisation(endpoint, shape, workers=8)
        print(f"seeded {args.accounts} x {args.regions} x {args.functions} x {args.versions}")
        for pair in range(args.pairs):
            for name in ("base", "this") if pair % 2 == 0 else ("this", "base"):
                theirs = scale._cpu_seconds(pid)
                child = [sys.executable, __file__, "--child", endpoint, ",".join(regions)]
                done = subprocess.run(
                    [*child, ",".join(accounts)],
                    env=dict(os.environ, PYTHONPATH=trees[name]),
                    capture_output=True,
                    text=True,
                    check=True,
                )
                emulator = scale._cpu_seconds(pid) - theirs
                cpu, requests, wall, artifacts = done.stdout.split()[-4:]
                mine, count = float(cpu), int(requests)
                per_request[name].append(mine / count * 1000)
                print(
                    f"pair {pair} {name}: collector {mine / count * 1000:.2f} ms/request, "
                    f"emulator {emulator / count * 1000:.2f}, collector/emulator "
                    f"{mine / emulator:.2f}; wall {float(wall):.1f} s; {count} requests, "
                    f"{artifacts} artifacts; load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    before, after = mean(per_request["base"]), mean(per_request["this"])
    print(
        f"\nmean collector CPU per request: base ({args.base}) {before:.2f} ms, this tree "
        f"{after:.2f} ms; this / base {after / before:.2f}x"
    )


def _archive(rev: str) -> Path:
    """`rev`'s src/ in a temporary folder (git archive: committed files only)."""
    folder = Path(tempfile.mkdtemp(prefix="lir-bench-base-"))
    archive = subprocess.run(
        ["git", "-C", str(HERE.parent), "archive", rev, "src"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder / "src"


def _child(endpoint: str, regions: str, accounts: str) -> None:
    """One `collect_org` with whatever `lambda_ir` PYTHONPATH gives; prints its figures."""
    import boto3

    from lambda_ir.acquire import CollectOptions, Scope
    from lambda_ir.acquire.org import collect_org
    from lambda_ir.acquire.org_accounts import OrgTarget
    from lambda_ir.emulator.scenarios.organization import ORG_ROLE
    from lambda_ir.evidence import Case

    where = tuple(regions.split(","))
    members = tuple(accounts.split(","))
    session = boto3.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name=where[0]
    )
    case = Case.create(Path(tempfile.mkdtemp(prefix="lir-bench-cpu-")) / "case")
    target = OrgTarget(ORG_ROLE, members, account_workers=len(members))
    options = CollectOptions(endpoint_url=endpoint)
    started = time.process_time()
    summary = collect_org(case, session, target, Scope(regions=where), options)
    cpu = time.process_time() - started
    requests = sum(sum(s.meter.attempts.values()) for s in summary.collected)
    artifacts = sum(s.artifacts for s in summary.collected)
    print(f"{cpu:.3f} {requests} {summary.seconds:.3f} {artifacts}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD~1", help="the commit to compare with")
    parser.add_argument("--accounts", type=int, default=6)
    parser.add_argument("--regions", type=int, default=3, choices=range(1, 6))
    parser.add_argument("--functions", type=int, default=20)
    parser.add_argument("--versions", type=int, default=2)
    parser.add_argument("--pairs", type=int, default=6)
    return parser.parse_args()


if __name__ == "__main__":
    main()
