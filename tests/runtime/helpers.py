"""What the runtime tests share: a malicious-looking /tmp and a child with a listening socket."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# An ELF header followed by filler: enough for the collector's magic and the detector.
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"xmrig-like payload"
XMRIG = (
    b'{"donate-level": 1, "pools": [{"url": "stratum+tcp://pool.minexmr.example:4444", '
    b'"user": "4A"}]}'
)
# The child blocks reading stdin until it is killed: no time.sleep, which libfaketime (the
# clock-shifted runs) breaks with EINVAL.
CHILD = """
import socket, sys
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
print(server.getsockname()[1], flush=True)
sys.stdin.read()
"""


@dataclass(frozen=True)
class Child:
    """A running child process and the port it listens on."""

    pid: int
    port: int
    marker: str


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def malicious_tmp(root: Path) -> dict[str, bytes]:
    """Denonia-like /tmp: an ELF named like an interpreter, a miner config, a note."""
    files = {
        "python": ELF,
        ".xmrig.json": XMRIG,
        "cache/notes.txt": b"harmless\n",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "python").chmod(0o755)
    return files


@contextmanager
def listening_child(marker: str, **env: str) -> Iterator[Child]:
    """A Python child that listens on 127.0.0.1 and waits; `marker` is in its command line,
    `env` is added to its environment."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, marker],
        stdin=subprocess.PIPE,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield Child(process.pid, port, marker)
    finally:
        process.kill()
        process.wait()


def cold_start_snapshot(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the collector as the wrapper does at a cold start, in a subprocess with `env`."""
    return subprocess.run(
        [sys.executable, "-m", "lambda_ir.runtime", "snapshot", "--trigger", "cold-start"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
