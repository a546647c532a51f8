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

Where the time goes: for each run it also prints the CPU seconds the collector (this process)
and the emulator process spent per request (/proc/<pid>/stat), the machine's load average and
core count, and the request rate those CPU costs allow on the cores the machine has: when
that is below the rate the quota bound needs, the bound cannot be met on this machine whatever
the collector does. `--capacity N` first measures the emulator alone: N GetFunction calls
from 32 threads spread over every account-region, its requests/s with its latency and quotas
on. `--sample` samples the collector's threads every 5 ms during the first run and prints
where the running ones were (by package and innermost function; threads blocked on sockets,
locks or the quota buckets' sleeps left out): a rough client-side profile. `--profile N`
runs cProfile (on each thread's CPU time) in every collector thread during the first run
(one profiler per thread, merged; the pstats file is kept) and prints the N functions with
the most own time, then the N with the most cumulative time: where the collector's CPU
per request goes (cProfile slows it, so the wall and CPU figures of a profiled run are not
comparable with unprofiled ones).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from lambda_ir.acquire import CollectOptions, Scope
from lambda_ir.acquire.org import OrgSummary, collect_org
from lambda_ir.acquire.org_accounts import OrgTarget
from lambda_ir.acquire.plan import quota_bound
from lambda_ir.emulator.scenarios.organization import ORG_ROLE, OrgShape, seed_organisation
from lambda_ir.evidence import Case

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1")


def org_shape(args: argparse.Namespace) -> OrgShape:
    """The organisation `--accounts`, `--regions`, `--functions` and `--versions` ask for,
    every function with its execution role."""
    return OrgShape(
        members=args.accounts,
        regions=REGIONS[: args.regions],
        functions=tuple(f"fn-{n:03d}" for n in range(args.functions)),
        versions=args.versions,
        without_role=0,
    )


def main() -> None:
    args = _arguments()
    # Seeding runs into the quotas too: retry throttled calls as a patient deployer would.
    os.environ.setdefault("AWS_MAX_ATTEMPTS", "30")
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    regions = REGIONS[: args.regions]
    shape = org_shape(args)
    with _served(args.latency_ms) as (endpoint, pid):
        started = time.monotonic()
        accounts = seed_organisation(endpoint, shape, workers=args.seed_workers)
        print(
            f"seeded {len(accounts)} accounts x {len(regions)} regions x {args.functions} "
            f"functions x {args.versions} versions in {time.monotonic() - started:.1f} s"
        )
        session = boto3.Session(
            aws_access_key_id="bench", aws_secret_access_key="bench", region_name=regions[0]
        )
        if args.capacity:
            _capacity(endpoint, pid, accounts, regions, args.capacity)
        root = Path(tempfile.mkdtemp(prefix="lir-bench-scale-"))
        together = _run(endpoint, session, root / "together", accounts, regions, len(accounts), pid)
        bound = _report("every account at once", together)
        if args.skip_sequential:
            return
        apart = _run(endpoint, session, root / "one-by-one", accounts, regions, 1, pid)
        _report("accounts one after another", apart)
    print(
        f"\nspeed-up vs accounts one after another: {apart.seconds / together.seconds:.2f}x; "
        f"at once / quota bound {together.seconds / bound:.2f}x (target <= 1.3x)"
    )


@contextmanager
def _served(latency_ms: int) -> Iterator[tuple[str, int]]:
    """`lambda-ir emulator serve` on a free port in its own process; yields endpoint and pid."""
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
        yield endpoint, server.pid
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
    emulator_pid: int,
) -> OrgSummary:
    case = Case.create(folder)
    options = CollectOptions(endpoint_url=endpoint)
    target = OrgTarget(ORG_ROLE, tuple(accounts), account_workers=account_workers)
    mine, theirs = time.process_time(), _cpu_seconds(emulator_pid)
    with (
        _sampling(SAMPLE and account_workers > 1),
        _profiling(PROFILE if account_workers > 1 else 0),
    ):
        summary = collect_org(case, session, target, Scope(regions=regions), options)
    _CPU[id(summary)] = (time.process_time() - mine, _cpu_seconds(emulator_pid) - theirs)
    return summary


_CPU: dict[int, tuple[float, float]] = {}  # a run's (collector, emulator) CPU seconds
SAMPLE = "--sample" in sys.argv
PROFILE = int(sys.argv[sys.argv.index("--profile") + 1]) if "--profile" in sys.argv else 0
_WAITS = frozenset(
    {
        "wait",
        "_wait_for_tstate_lock",
        "select",
        "poll",
        "recv_into",
        "readinto",
        "accept",
        "sleep",
        "get",
        "_worker",
        "acquire",
        "readline",
        "_read_status",
        "begin",
        "connect",
        "create_connection",
        "join",
    }
)


@contextmanager
def _sampling(enabled: bool) -> Iterator[None]:
    """Count the innermost frame of each running thread every 5 ms; print the top ones."""
    if not enabled:
        yield
        return
    counts: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    done = threading.Event()
    me = threading.get_ident()

    def sample() -> None:
        while not done.wait(0.005):
            for ident, frame in sys._current_frames().items():
                if ident == me or _waiting(frame):
                    continue
                path = frame.f_code.co_filename
                package = (
                    path.split("site-packages/")[-1].split("/")[0]
                    if "site-packages" in path
                    else ""
                )
                if "lambda_ir" in path:
                    package = "lambda_ir." + Path(path).parent.name
                counts[f"{package or Path(path).stem}: {frame.f_code.co_name}"] += 1
                packages[package or "stdlib"] += 1

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
    finally:
        done.set()
        sampler.join()
        total = sum(counts.values()) or 1
        print(f"\n[sample] {total:,} samples of running collector threads, by package:")
        print("  " + ", ".join(f"{p} {c / total:.0%}" for p, c in packages.most_common(8)))
        print("  innermost functions:")
        for where, count in counts.most_common(12):
            print(f"  {count / total:6.1%}  {where}")


@contextmanager
def _profiling(top: int) -> Iterator[None]:
    """cProfile in this thread and every thread started meanwhile; print the top `top`."""
    if not top:
        yield
        return
    profiles = [cProfile.Profile(time.thread_time)]

    def start(*_: Any) -> None:  # the first profile event of a new thread: its own profiler
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.enable()

    threading.setprofile(start)
    profiles[0].enable()
    try:
        yield
    finally:
        profiles[0].disable()
        threading.setprofile(None)  # type: ignore[arg-type]
        out = io.StringIO()
        stats = pstats.Stats(*profiles, stream=out)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
        dump = Path(tempfile.mkdtemp(prefix="lir-bench-profile-")) / "collector.prof"
        stats.dump_stats(dump)
        print(f"\n[profile] {len(profiles)} threads profiled; pstats saved to {dump}")
        print(out.getvalue())


def _waiting(frame: Any) -> bool:
    """Whether a thread is blocked: in a wait, a sleep or a socket read, or pacing (take)."""
    if frame.f_code.co_name in _WAITS:
        return True
    while frame is not None:  # a sleep in the quota bucket or a condition's wait, further in
        if frame.f_code.co_name in ("take", "wait"):
            return True
        frame = frame.f_back
    return False


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _capacity(endpoint: str, pid: int, accounts: list[str], regions: Any, calls: int) -> None:
    """The emulator alone: `calls` GetFunction calls from 32 threads, spread round-robin over
    every account-region (each has its own 100/s GetFunction quota), as fast as it answers."""
    admin = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench")
    config = Config(max_pool_connections=32, retries={"mode": "standard", "max_attempts": 30})
    clients = []
    for account in accounts:
        keys = admin.client("sts", endpoint_url=endpoint, region_name=regions[0]).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ORG_ROLE}", RoleSessionName="capacity"
        )["Credentials"]
        for region in regions:
            clients.append(
                boto3.client(
                    "lambda",
                    endpoint_url=endpoint,
                    region_name=region,
                    aws_access_key_id=keys["AccessKeyId"],
                    aws_secret_access_key=keys["SecretAccessKey"],
                    aws_session_token=keys["SessionToken"],
                    config=config,
                )
            )
    for client in clients:
        client.get_function(FunctionName="fn-000")
    mine, theirs, started = time.process_time(), _cpu_seconds(pid), time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        list(
            pool.map(
                lambda n: clients[n % len(clients)].get_function(FunctionName="fn-000"),
                range(calls),
            )
        )
    seconds = time.monotonic() - started
    client_ms = (time.process_time() - mine) / calls * 1000
    server_ms = (_cpu_seconds(pid) - theirs) / calls * 1000
    print(
        f"\n[capacity] {calls:,} GetFunction from 32 threads over {len(clients)} "
        f"account-region(s) in {seconds:.1f} s: {calls / seconds:.0f} requests/s; CPU per "
        f"request: client {client_ms:.2f} ms, emulator {server_ms:.2f} ms; load average "
        f"{os.getloadavg()[0]:.1f}"
    )


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
    collector, emulator = _CPU.get(id(summary), (0.0, 0.0))
    per_request = (collector + emulator) / max(requests, 1)
    cores = os.cpu_count() or 1
    each = 1000 / max(requests, 1)
    print(
        f"  CPU: collector {collector:.1f} s ({collector * each:.2f} ms/request), "
        f"emulator {emulator:.1f} s ({emulator * each:.2f} ms/request); "
        f"{cores} cores, load average {os.getloadavg()[0]:.1f}: at most "
        f"{cores / per_request if per_request else 0:.0f} requests/s on this machine"
    )
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
    parser.add_argument("--capacity", type=int, default=0, metavar="CALLS")
    parser.add_argument("--sample", action="store_true")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    return parser.parse_args()


if __name__ == "__main__":
    main()
