"""Benchmark the runtime collector's tree walk against the least any collector must do.

    .venv/bin/python bench/runtime_snapshot.py [--files 2000] [--kb 16] [--runs 3]

Builds a /tmp-like tree (files of mixed sizes in 20 folders), then in the same run times the
baseline (os.walk and a SHA-256 of every file, nothing else) and the collector's
`walk_tree` (lstat, modes, mtimes, magic, contents of small files, the same hashes) and a
whole `take_snapshot` of that tree (plus this machine's processes and sockets). Prints the
best of `--runs` for each and its ratio to the baseline, so the numbers mean the same on
any machine.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lambda_ir.runtime.files import TreeLimits, walk_tree
from lambda_ir.runtime.snapshot import Limits, Roots, take_snapshot


def build_tree(root: Path, files: int, kb: int) -> int:
    """`files` files in 20 folders, sizes from 100 bytes to 2*kb KiB; returns total bytes."""
    rng = random.Random(16)
    total = 0
    for n in range(files):
        folder = root / f"d{n % 20}"
        folder.mkdir(exist_ok=True)
        data = rng.randbytes(rng.randint(100, kb * 2048))
        (folder / f"f{n}.bin").write_bytes(data)
        total += len(data)
    return total


def baseline(root: Path) -> int:
    """Walk and hash every file: what any hashing collector has to do."""
    count = 0
    for folder, _, names in os.walk(root):
        for name in names:
            hashlib.sha256(Path(folder, name).read_bytes()).hexdigest()
            count += 1
    return count


def best(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--kb", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        size = build_tree(root, args.files, args.kb)
        limits = TreeLimits(max_files=args.files + 100, content_cap=4096)
        snapshot_limits = Limits(seconds=60, max_files=args.files + 100, with_opt=False)
        roots = Roots(tmp=str(root), opt=str(root))
        base = best(args.runs, lambda: baseline(root))
        walk = best(args.runs, lambda: walk_tree(str(root), "/tmp", limits))
        whole = best(args.runs, lambda: take_snapshot("bench", roots=roots, limits=snapshot_limits))
    print(f"{args.files} files, {size / 2**20:.1f} MiB, best of {args.runs}")
    print(f"baseline (os.walk + sha256):  {base:6.3f} s  1.00x")
    print(f"walk_tree:                    {walk:6.3f} s  {walk / base:.2f}x")
    print(f"take_snapshot (+ /proc):      {whole:6.3f} s  {whole / base:.2f}x")


if __name__ == "__main__":
    main()
