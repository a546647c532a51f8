"""Python's cyclic garbage collector, paused while hundreds of thousands of objects are built.

Each pass of the collector walks the objects still alive, so a pass grows with them: with
every finding of a million-event case alive it cost a third of `LIR-CT-003`'s time, and
reading findings.json back (166k findings) took 7.9 s with it running, 3.3 s without.
Findings, rows, groups and timeline events hold no reference cycles, so reference counting
frees them all the same. When the pause ends, what is alive is frozen (`gc.freeze`, moved
out of the collector's sight at no cost) before the collector is back on: its first pass
would otherwise walk every object built while it was off (0.5 s for 166k findings), and
another at the interpreter's exit. What the freeze costs: a reference cycle alive at the
end of the pause is never collected (reference counting still frees everything else), and
a command's few such cycles die with its process.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off inside the block (as it was, after it), what
    is alive then frozen out of its sight."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()
