"""Python's cyclic collector is paused while analyze, timeline and report hold their objects.

Its passes walk every object alive: reading a million-event case's findings.json back took
7.9 s with it running, 3.3 s paused. It must be back on afterwards, even after a crash.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import lambda_ir
from lambda_ir.evidence import Case
from lambda_ir.heap import collector_paused
from lambda_ir.report.write import write_report
from lambda_ir.timeline.write import write_timeline
from tests.timeline.casebuilder import build_case


def test_the_collector_is_paused_only_inside_the_block() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("a crash still gives the collector back")
    assert gc.isenabled()
    gc.disable()  # a caller that had it off keeps it off
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


# Where a collection may start: as the writer returns, the collector back on (the first
# allocation after a pause collects what it counted). Anywhere deeper is inside the work.
_RESUMING = frozenset({"write_report", "write_timeline", "collector_paused"})
_PACKAGE = f"{Path(lambda_ir.__file__).parent}{os.sep}"


def test_a_command_freezes_what_its_pause_built_and_a_library_call_does_not() -> None:
    # A command that exits after its pause freezes: else the collector's first pass after
    # it walks every object built meanwhile (0.59 s for a million-event case's findings,
    # 1.27 s for a report's facts). A library call must not: a frozen cycle is never freed.
    gc.unfreeze()
    try:
        with collector_paused():
            kept = [[n] for n in range(10_000)]
        assert gc.get_freeze_count() == 0
        with collector_paused(freeze=True):
            built = [[n] for n in range(10_000)]
        assert gc.get_freeze_count() >= len(built) + len(kept)
        seen = {id(item) for item in gc.get_objects()}  # what the collector's passes walk
        assert not seen.intersection(map(id, built))
    finally:
        gc.unfreeze()


@pytest.fixture
def collections() -> Iterator[list[str]]:
    """Each collection the cyclic collector starts inside lambda-ir's work while the test
    runs (named by the innermost lambda-ir function on the stack), with a threshold low
    enough that a small case's timeline or report would start dozens."""
    started: list[str] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        frame = sys._getframe(1) if phase == "start" else None
        while frame is not None:
            code = frame.f_code
            if code.co_filename.startswith(_PACKAGE):
                if code.co_name not in _RESUMING:
                    started.append(f"generation {info['generation']} in {code.co_name}")
                return
            frame = frame.f_back

    thresholds = gc.get_threshold()
    gc.set_threshold(10, 10, 10)
    gc.callbacks.append(note)
    try:
        yield started
    finally:
        gc.callbacks.remove(note)
        gc.set_threshold(*thresholds)


@pytest.mark.parametrize(
    "write",
    [
        lambda case, index: write_timeline(case, index, "jsonl"),
        lambda case, index: write_report(case, index, "2026-11-29T10:00:00Z"),
    ],
    ids=["timeline", "report"],
)
def test_timeline_and_report_are_written_without_a_collection(
    write: Callable[[Case, Any], object], tmp_path: Path, collections: list[str]
) -> None:
    built = build_case(tmp_path / "case")
    with built.index() as index:
        gc.collect()
        collections.clear()
        write(built.case, index)
        assert collections == []
    assert gc.isenabled()
