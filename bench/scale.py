"""Benchmark `collect --org-role` across an organisation, against the emulator's quotas.

    .venv/bin/python bench/scale.py [--accounts 12] [--regions 3] [--functions 40]
                                    [--versions 3] [--latency-ms 40] [--skip-sequential]

Starts the emulator as its own process (`lambda-ir emulator serve --quotas --latency-ms N`,
as AWS is another machine: the collector never shares its interpreter), seeds an organisation
through it (`emulator.scenarios.organization.seed_organisation`: member accounts made through
Organizations, each with `--functions` functions of `--versions` published versions in every
region; throttled seeding calls are retried), then collects it, with Lambda's quotas enforced
per account and region and latency on every call, twice in the same run: every account
at once (`collect_org`, as `collect --org-role` does) and the accounts one after another
(`account_workers=1`, each account still concurrent inside). Prints wall times against the
quota bound of the busiest account-region (from the calls each account actually made) and
the speed-up over accounts one after another.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3

from lambda_ir.acquire import CollectOptions, Scope
from lambda_ir.acquire.org import OrgSummary, OrgTarget, collect_org
from lambda_ir.acquire.plan import quota_bound
from lambda_ir.emulator.scenarios.organization import ORG_ROLE, OrgShape, seed_organisation
from lambda_ir.evidence import Case

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1")


def main() -> None:
    args = _arguments()
    # Seeding runs into the quotas too: retry throttled calls as a patient deployer would.
    os.environ.setdefault("AWS_MAX_ATTEMPTS", "30")
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    regions = REGIONS[: args.regions]
    shape = OrgShape(
        members=args.accounts,
        regions=regions,
        functions=tuple(f"fn-{n:03d}" for n in range(args.functions)),
        versions=args.versions,
        without_role=0,
    )
    with _served(args.latency_ms) as endpoint:
        started = time.monotonic()
        accounts = seed_organisation(endpoint, shape, workers=args.seed_workers)
        print(
            f"seeded {len(accounts)} accounts x {len(regions)} regions x {args.functions} "
            f"functions x {args.versions} versions in {time.monotonic() - started:.1f} s"
        )
        session = boto3.Session(
            aws_access_key_id="bench", aws_secret_access_key="bench", region_name=regions[0]
        )
        root = Path(tempfile.mkdtemp(prefix="lir-bench-scale-"))
        together = _run(endpoint, session, root / "together", accounts, regions, len(accounts))
        bound = _report("every account at once", together)
        if args.skip_sequential:
            return
        apart = _run(endpoint, session, root / "one-by-one", accounts, regions, 1)
        _report("accounts one after another", apart)
    print(
        f"\nspeed-up vs accounts one after another: {apart.seconds / together.seconds:.2f}x; "
        f"at once / quota bound {together.seconds / bound:.2f}x (target <= 1.3x)"
    )


@contextmanager
def _served(latency_ms: int) -> Iterator[str]:
    """`lambda-ir emulator serve` on a free port in its own process; yields its endpoint."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "lambda_ir",
        "--quiet",
        "emulator",
        "serve",
        "--port",
        str(port),
        "--quotas",
        "--latency-ms",
        str(latency_ms),
    ]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{endpoint}/_emulator/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)


def _run(
    endpoint: str,
    session: boto3.Session,
    folder: Path,
    accounts: list[str],
    regions: tuple[str, ...],
    account_workers: int,
) -> OrgSummary:
    case = Case.create(folder)
    options = CollectOptions(endpoint_url=endpoint)
    target = OrgTarget(ORG_ROLE, tuple(accounts), account_workers=account_workers)
    return collect_org(case, session, target, Scope(regions=regions), options)


def _report(name: str, summary: OrgSummary) -> float:
    """Print one run; returns the quota bound of its busiest account-region (seconds)."""
    bounds = {s.account: quota_bound(s.meter.attempts) for s in summary.collected}
    busiest = max(bounds, key=lambda a: bounds[a])
    throttled = sum(s.meter.throttled for s in summary.collected)
    requests = sum(sum(s.meter.attempts.values()) for s in summary.collected)
    print(f"\n[{name}] {summary.line()}")
    print(
        f"  busiest account-region: {busiest}, quota bound {bounds[busiest]:.1f} s; "
        f"wall {summary.seconds:.1f} s; ratio {summary.seconds / bounds[busiest]:.2f}x"
    )
    print(
        "  per account (s): " + ", ".join(f"{s.account}={s.seconds:.1f}" for s in summary.collected)
    )
    print(
        f"  requests {requests:,}: {requests / summary.seconds:.0f}/s served; the quota bound "
        f"needs {requests / bounds[busiest]:.0f}/s from the one emulator process"
    )
    print(f"  429 responses seen {throttled}; gaps {len(summary.gaps)}")
    return bounds[busiest]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=12)
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--functions", type=int, default=40)
    parser.add_argument("--versions", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--seed-workers", type=int, default=8)
    parser.add_argument("--skip-sequential", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    main()
