"""Build the collector's Lambda layer: the collector, its wrapper script and its extension.

Layer contents (Lambda extracts a layer into `/opt`):

    lambda-ir/wrapper               AWS_LAMBDA_EXEC_WRAPPER=/opt/lambda-ir/wrapper
    lambda-ir/collect.py            entry point, run with `python3 -E -s -B` (no PYTHONPATH
                                    games, no __pycache__ written into the layer)
    lambda-ir/lambda_ir_runtime/    this package's collector modules
    extensions/lambda-ir            started by Lambda at cold start: every-N-invocations

The wrapper takes a snapshot at cold start, then `exec`s the runtime's command line exactly
as it was given ("$@"), so the runtime starts with the same pid, arguments and environment.
Nothing here writes outside the output file; the zip's entries have fixed times, so the same
collector gives the same layer hash. `-B` because the collector reads and never writes: in
Lambda `/opt` is read-only anyway, but an unpacked layer elsewhere (a responder's test, a
container) would otherwise get `__pycache__/*.pyc` beside the code it hashes (`-E` ignores
PYTHONDONTWRITEBYTECODE, so the flag is the only way).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

MODULES = (
    "__init__.py",
    "environment.py",
    "extension.py",
    "files.py",
    "main.py",
    "procs.py",
    "settings.py",
    "snapshot.py",
    "sockets.py",
    "upload.py",
)
WRAPPER = """#!/bin/sh
# lambda-ir runtime collector: one snapshot at cold start, then the runtime, unchanged.
# The snapshot is bounded (LAMBDA_IR_SECONDS) and never stops the function from starting.
here="${0%/*}"
if [ -n "$LAMBDA_IR_BUCKET" ] && command -v python3 >/dev/null 2>&1; then
    python3 -E -s -B "$here/collect.py" snapshot --trigger cold-start </dev/null || true
fi
exec "$@"
"""
EXTENSION = """#!/bin/sh
# lambda-ir runtime collector as a Lambda extension: a snapshot every LAMBDA_IR_EVERY invocations.
here="${0%/*}"
exec python3 -E -s -B "$here/../lambda-ir/collect.py" extension
"""
ENTRY = """import sys

from lambda_ir_runtime.main import main

sys.exit(main())
"""
WRAPPER_PATH = "/opt/lambda-ir/wrapper"
EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class LayerFile:
    """One file of the layer: its name in the zip, mode and SHA-256."""

    name: str
    mode: int
    sha256: str


def layer_files() -> list[tuple[str, int, bytes]]:
    """(name in the zip, Unix mode, content) of every file the layer holds."""
    here = Path(__file__).parent
    files = [
        ("lambda-ir/wrapper", 0o755, WRAPPER.encode()),
        ("lambda-ir/collect.py", 0o644, ENTRY.encode()),
        ("extensions/lambda-ir", 0o755, EXTENSION.encode()),
    ]
    files += [
        (f"lambda-ir/lambda_ir_runtime/{name}", 0o644, (here / name).read_bytes())
        for name in MODULES
    ]
    return files


def layer_zip() -> tuple[bytes, list[LayerFile]]:
    """The layer zip's bytes and the files it holds (fixed times: same code, same bytes)."""
    buffer = io.BytesIO()
    listed = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, mode, content in layer_files():
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
            listed.append(LayerFile(name, mode, hashlib.sha256(content).hexdigest()))
    return buffer.getvalue(), listed


def build_layer(out: Path) -> tuple[str, list[LayerFile]]:
    """Write the layer zip to `out`; returns its SHA-256 and the files it holds."""
    data, listed = layer_zip()
    out.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), listed
