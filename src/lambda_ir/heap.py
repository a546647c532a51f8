"""Python's cyclic garbage collector, paused while hundreds of thousands of objects are built.

Each pass of the collector walks the objects still alive, so a pass grows with them: with
every finding of a million-event case alive it cost a third of `LIR-CT-003`'s time, and
reading findings.json back (166k findings) took 7.9 s with it running, 3.3 s without.
Findings, rows, groups and timeline events hold no reference cycles, so reference counting
frees them all the same.

A command that exits once its pause ends (`analyze`, `timeline`, `report`) asks for a
`freeze` instead: what is alive then is moved out of the collector's sight (`gc.freeze`, at
no cost) before it is back on, as its first pass would otherwise walk every object built
meanwhile (0.59 s after analyzing a million-event case, 1.27 s after its report). A freeze
is process-wide and lasting: a reference cycle frozen (built before or during the pause) is
never collected, whenever it becomes garbage. So library calls (`analyze_case`,
`write_timeline`, `write_report`, `investigate`'s steps) pause without it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """Python's cyclic garbage collector off inside the block (as it was, after it); with
    `freeze`, for a command that exits soon after, what is alive then is frozen out of its
    sight (only by the outermost pause: an inner one leaves the collector off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if freeze:
                gc.freeze()
            gc.enable()
