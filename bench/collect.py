"""Benchmark `collect` against the emulator with Lambda's quotas and API latency.

    .venv/bin/python bench/collect.py [--functions 300] [--versions 4] [--latency-ms 40]

Seeds the `estate` scenario, then collects it twice from an emulator that enforces Lambda's
quotas (GetFunction 100/s, GetPolicy 15/s, the rest 15/s) and adds latency to every call:
once as `collect` does (concurrent, paced per quota class) and once one call at a time
(`--workers 1`, the way existing tools collect), in the same run. Prints the plan's calls
per quota class, wall times against the quota bound and against the sequential baseline,
calls lost to throttling, and bytes downloaded against the sum of unique packages.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import boto3

from lambda_ir.acquire import CollectOptions, CollectSummary, Scope, collect
from lambda_ir.acquire.plan import EstateShape, plan_calls, quota_bound
from lambda_ir.aws import QuotaClass
from lambda_ir.emulator.scenarios.catalogue import REGIONS, plan_functions
from lambda_ir.emulator.scenarios.estate import estate
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case


def main() -> None:
    args = _arguments()
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    session = boto3.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
    )
    with Emulator(flush_interval=3600) as seeder:
        started = time.monotonic()
        estate(seeder, functions=args.functions, versions=args.versions)
        print(
            f"seeded estate {args.functions} functions x {args.versions} versions "
            f"in {time.monotonic() - started:.1f} s"
        )
    planned = _plan(args.functions, args.versions)
    print("plan (Lambda calls per region and quota class, from acquire.plan):")
    for (region, klass), count in sorted(planned.items()):
        print(f"  {region:10} {klass.value:24} {count:6,}")
    print(f"  least seconds under the quotas: {quota_bound(planned):.1f}")
    root = Path(tempfile.mkdtemp(prefix="lir-bench-"))
    with Emulator(quotas=True, latency_ms=args.latency_ms, flush_interval=3600) as limited:
        fast = _run(limited, session, root / "concurrent", args.workers)
        _report("concurrent", fast, root / "concurrent", planned)
        if args.skip_sequential:
            return
        slow = _run(limited, session, root / "sequential", 1)
        _report("sequential", slow, root / "sequential", planned)
    print(f"speed-up vs sequential baseline: {slow.seconds / fast.seconds:.2f}x (target >= 8x)")


def _plan(functions: int, versions: int) -> dict[tuple[str, QuotaClass], int]:
    """The estate's calls per region and class: every function has `versions` published
    versions and a `live` alias; each layer family in a region has one version per release."""
    specs = plan_functions(functions)
    plan: dict[tuple[str, QuotaClass], int] = {}
    for region in REGIONS:
        mine = [s for s in specs if s.region == region]
        families = {s.app.runtime.startswith("nodejs") for s in mine if not s.is_image}
        shape = EstateShape(
            functions=len(mine),
            versions=versions,
            aliases=1,
            layer_versions=len(families) * min(versions, 2),
        )
        for klass, count in plan_calls(shape).items():
            plan[(region, klass)] = count
    return plan


def _run(emulator: Emulator, session: boto3.Session, folder: Path, workers: int) -> CollectSummary:
    case = Case.create(folder)
    options = CollectOptions(workers=workers, endpoint_url=emulator.endpoint_url)
    return collect(case, session, Scope(regions=REGIONS), options)


def _report(
    name: str,
    summary: CollectSummary,
    folder: Path,
    planned: dict[tuple[str, QuotaClass], int],
) -> None:
    reading = summary.meter
    bound = quota_bound(reading.attempts)
    unique = sum(
        e.size or 0
        for e in Case.open(folder).entries()
        if e.kind in ("code", "layer-code") and e.error is None
    )
    throttled = [e for e in summary.errors if e.error_class.value == "throttled"]
    print(f"\n[{name}] {summary.line()}")
    print("  requests per region and quota class:")
    for (region, klass), count in sorted(reading.attempts.items()):
        plan = planned.get((region, klass))
        versus = f" (planned {plan:,})" if plan is not None else ""
        print(f"    {region:10} {klass.value:24} {count:6,}{versus}")
    print(
        f"  wall {summary.seconds:.1f} s; quota bound {bound:.1f} s; "
        f"ratio {summary.seconds / bound if bound else float('nan'):.2f}x (target <= 1.3x)"
    )
    print(f"  429 responses seen {reading.throttled}; calls lost to throttling {len(throttled)}")
    print(
        f"  package bytes downloaded {summary.downloaded_bytes:,}; "
        f"sum of unique packages {unique:,}; equal: {summary.downloaded_bytes == unique}"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=300)
    parser.add_argument("--versions", type=int, default=4)
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--skip-sequential", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    main()
