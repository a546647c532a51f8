"""`lambda-ir emulator serve` in its own process, for CLI tests that act as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def served(folder: Path, *options: str) -> Iterator[dict[str, str]]:
    """Serve on a free port with `options`; yields the printed exports once it is ready.

    Output goes to a file, not a pipe: a pipe nobody reads would fill and stall the server.
    """
    out = folder / "serve.txt"
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lambda_ir", "emulator", "serve", "--port", "0", *options],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + 120
        while "serving account" not in out.read_text():
            assert proc.poll() is None, out.read_text()[-2000:]
            assert time.monotonic() < deadline, "serve was not ready in 120 s"
            time.sleep(0.1)
        exports = [line for line in out.read_text().splitlines() if line.startswith("export ")]
        yield dict(line.removeprefix("export ").split("=", 1) for line in exports)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
