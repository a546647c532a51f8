"""The collector's command line, as the layer's wrapper and extension run it.

    python3 -E -s -B /opt/lambda-ir/collect.py snapshot [--trigger T] [--stdout] [--tmp DIR ...]
    python3 -E -s -B /opt/lambda-ir/collect.py extension

`snapshot` takes one snapshot and uploads it (`LAMBDA_IR_BUCKET`), or prints it with
`--stdout`; `--tmp/--opt/--proc` point it at other roots (tests). Exit status is 0 even when
the upload fails (the function must start regardless); the failure is one stderr line that
says whether the snapshot or its upload failed, and for an upload the bucket, the key, S3's
error code and what to check.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from .extension import run_extension
from .settings import Settings, read_settings
from .snapshot import Limits, Roots, take_snapshot
from .upload import failure_line, upload_snapshot


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and run `snapshot` or `extension`."""
    parser = argparse.ArgumentParser(prog="lambda-ir-runtime")
    commands = parser.add_subparsers(dest="command", required=True)
    snap = commands.add_parser("snapshot", help="take one snapshot")
    snap.add_argument("--trigger", default="manual")
    snap.add_argument("--stdout", action="store_true", help="print it instead of uploading")
    snap.add_argument("--tmp")
    snap.add_argument("--opt")
    snap.add_argument("--proc")
    commands.add_parser("extension", help="run as a Lambda extension (every N invocations)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    settings = read_settings(env)
    if args.command == "extension":
        if not env.get("AWS_LAMBDA_RUNTIME_API"):
            print("lambda-ir: not inside Lambda (no AWS_LAMBDA_RUNTIME_API)", file=sys.stderr)
            return 2
        ship = settings.roots
        run_extension(env, settings, lambda event: _ship("invoke", ship, settings, env, event))
        return 0
    given = settings.roots
    roots = Roots(args.tmp or given.tmp, args.opt or given.opt, args.proc or given.proc)
    if args.stdout:
        snapshot = take_snapshot(args.trigger, roots=roots, limits=_limits(settings, True), env=env)
        print(json.dumps(snapshot, sort_keys=True))
        return 0
    try:
        _ship(args.trigger, roots, settings, env, {})
    except Exception as exc:  # never keep the function from starting
        print(failure_line(exc), file=sys.stderr)
    return 0


def _ship(
    trigger: str,
    roots: Roots,
    settings: Settings,
    env: Mapping[str, str],
    invocation: Mapping[str, Any],
) -> None:
    if settings.destination is None:
        raise ValueError("LAMBDA_IR_BUCKET is not set to s3://bucket[/prefix]")
    # /opt is the layers, mounted read-only: hashed once per cold start, not per invocation.
    limits = _limits(settings, with_opt=trigger != "invoke")
    snapshot = take_snapshot(trigger, roots=roots, limits=limits, env=env, invocation=invocation)
    manifest = upload_snapshot(snapshot, settings.destination, env)
    print(f"lambda-ir: snapshot {manifest['snapshot_id']} uploaded", file=sys.stderr)


def _limits(settings: Settings, with_opt: bool) -> Limits:
    return Limits(seconds=settings.seconds, with_opt=with_opt)
