"""Python's cyclic garbage collector, paused while hundreds of thousands of objects are built.

Each pass of the collector walks the objects still alive, so a pass grows with them: with
every finding of a million-event case alive it cost a third of `LIR-CT-003`'s time, and
reading findings.json back (166k findings) took 7.9 s with it running, 3.3 s without.
Findings, rows, groups and timeline events hold no reference cycles, so reference counting
frees them all the same; the collector is back on afterwards, and collects what cycles the
pause left.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off inside the block (as it was, after it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
