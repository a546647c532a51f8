"""Indicators in CloudTrail: only artifacts in which an indicator occurs are matched exactly."""

from __future__ import annotations

import gc
import io
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import IO, cast

import pytest

from lambda_ir.analyze.detectors import ioc_match
from lambda_ir.analyze.iocs import load_iocs, parse_iocs
from tests.analyze.casebuild import CaseBuilder, run_detector, trail_event


def test_occurrence_is_found_across_chunks_and_in_any_case() -> None:
    occurrence = load_iocs().occurrence()
    assert occurrence is not None
    text = b'{"a": "' + b"x" * 30 + b'GW.Denonia.XYZ"}'
    for chunk in (4, 8, 16, 1 << 20):  # the indicator straddles chunk ends
        assert occurrence.in_stream(io.BytesIO(text), chunk=chunk)
    assert not occurrence.in_stream(io.BytesIO(b'{"a": "denonia.xy"}' * 100), chunk=8)
    # RE2's (?i) folds the Kelvin sign to k and the long s to s: where an indicator has that
    # letter, a file holding one is matched exactly
    assert not occurrence.in_stream(io.BytesIO("\u212a \u017f".encode()))
    folding = parse_iocs("kelvin.example\nsus.example\n", "test").occurrence()
    assert folding is not None
    assert folding.in_stream(io.BytesIO("\u212a".encode()))
    assert folding.in_stream(io.BytesIO("\u017f".encode()))


def test_only_files_mentioning_an_indicator_are_matched(builder: CaseBuilder) -> None:
    clean = [
        trail_event("GetFunction20150331v2", {"functionName": "orders"}, event_id=f"c{n}")
        for n in range(50)
    ]
    builder.trail(clean, name="clean")
    bad = builder.trail(
        [
            *clean[:3],  # the same events in a second file: still one finding each, none here
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                {
                    "functionName": "orders",
                    "environment": {"variables": {"C2": "Ctrl.DENONIA.xyz"}},
                },
                event_id="e2",
            ),
            trail_event(
                "GetCallerIdentity",
                {},
                source="sts.amazonaws.com",
                event_id="e3",
                source_ip="148.251.77.55",
            ),
            trail_event("ListFunctions20150331", {"marker": "xdenonia.xyz"}, event_id="e4"),
        ],
        name="bad",
    )
    found = run_detector(builder, ioc_match.DETECTOR)
    assert sorted((f.details["event_id"], f.details["indicator"]) for f in found) == [
        ("e2", "ctrl.denonia.xyz"),
        ("e3", "148.251.77.55"),
    ]
    assert {f.evidence[0].path for f in found} == {bad.path}


@pytest.mark.parametrize(
    ("missing", "said"),
    [
        ("sourceIPAddress", "ListFunctions20150331 by {who} from an unrecorded address"),
        ("eventName", "a call without an eventName by {who} from 198.51.100.7"),
    ],
)
def test_a_call_without_an_address_or_a_name_says_so(
    builder: CaseBuilder, missing: str, said: str
) -> None:
    call = trail_event("ListFunctions20150331", {"marker": "gw.denonia.xyz"}, event_id="e1")
    del call[missing]
    builder.trail([call])
    (found,) = run_detector(builder, ioc_match.DETECTOR)
    who = "arn:aws:iam::111122223333:user/mallory"
    assert found.summary.startswith(f"{said.format(who=who)} involves gw.denonia.xyz")


def test_a_stream_failing_on_another_thread_leaves_no_scanner_behind() -> None:
    # A YARA-X scanner is one thread's: the worker that made it must free it, though the
    # read error (whose traceback holds in_stream's frame) is dropped on the main thread.
    occurrence = load_iocs().occurrence()
    assert occurrence is not None

    class Broken(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError("disk gone")

    unraisable: list[object] = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        with ThreadPoolExecutor(1) as pool:
            failed = pool.submit(occurrence.in_stream, cast(IO[bytes], Broken()))
            with pytest.raises(OSError, match="disk gone"):
                failed.result()
        del failed
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert unraisable == []
