"""Invocation-log lines, streams and batches; the inert stand-ins. No emulator needed."""

from __future__ import annotations

import io
import json
import random
import re
import struct
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from lambda_ir.emulator.scenarios.catalogue import plan_functions
from lambda_ir.emulator.scenarios.logs import (
    MAX_BATCH_SPAN_MS,
    Invocation,
    LogTarget,
    Outcome,
    Sandbox,
    _batches,
    render_sandbox,
    report_line,
    stream_name,
)
from lambda_ir.emulator.scenarios.miner_logs import plan_miner_sandboxes
from lambda_ir.emulator.scenarios.standins import (
    DENONIA_INDICATORS,
    denonia_binary,
    denonia_zip,
    stratus_extension_layer_zip,
)
from lambda_ir.emulator.scenarios.traffic import TrafficProfile, plan_sandboxes

T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
RID = "8f5e4c1a-0b6d-4e0f-9a61-3c2d7e9b1f00"
TARGET = LogTarget("image-resizer", "python3.12", 512, 30, "us-east-1", "3", None, ("otel",))
REPORT = re.compile(
    r"^REPORT RequestId: (?P<rid>[0-9a-f-]{36})\tDuration: (?P<d>\d+\.\d\d) ms\t"
    r"Billed Duration: (?P<b>\d+) ms\tMemory Size: (?P<m>\d+) MB\tMax Memory Used: (?P<u>\d+) MB\t"
    r"(?:Init Duration: (?P<i>\d+\.\d\d) ms\t)?(?:Status: (?P<s>timeout|error)\t)?$"
)


def _sandbox(*invocations: Invocation) -> Sandbox:
    return Sandbox(T0, 180.12, "0" * 31 + "a", invocations)


def test_report_line_is_lambdas_tab_separated_format() -> None:
    cold = report_line(TARGET, Invocation(RID, T0, 12.34, 71), 180.12)
    assert cold == (
        f"REPORT RequestId: {RID}\tDuration: 12.34 ms\tBilled Duration: 193 ms\t"
        "Memory Size: 512 MB\tMax Memory Used: 71 MB\tInit Duration: 180.12 ms\t"
    )
    warm = report_line(TARGET, Invocation(RID, T0, 12.34, 71), None)
    match = REPORT.match(warm)
    assert match and match["b"] == "13" and match["i"] is None and match["s"] is None


def test_timeout_reads_like_lambda() -> None:
    target = LogTarget("miner", "provided.al2023", 3008, 900, "us-east-1")
    timed_out = Invocation(RID, T0, 900_000.0, 2300, Outcome.TIMEOUT, ("{time} miner speed",))
    lines = [text for _, text in render_sandbox(target, _sandbox(timed_out))]
    assert lines[0].startswith("INIT_START Runtime Version: provided:al2023.v")
    assert lines[1] == f"START RequestId: {RID} Version: $LATEST"
    assert lines[2].startswith("[2026-11-20 10:07:30.") and lines[2].endswith(" miner speed")
    assert lines[3] == f"2026-11-20T10:15:00.000Z {RID} Task timed out after 900.00 seconds"
    assert lines[4] == f"END RequestId: {RID}"
    match = REPORT.match(lines[5])
    assert match and match["d"] == "900000.00" and match["s"] == "timeout" and match["m"] == "3008"


def test_cold_start_has_extension_lines_and_only_first_report_has_init() -> None:
    first = Invocation(RID, T0 + timedelta(seconds=1), 50.0, 80, lines=("resizing 3 image(s)",))
    second = Invocation(RID.replace("8f", "9f"), T0 + timedelta(seconds=9), 20.0, 81)
    events = render_sandbox(TARGET, _sandbox(first, second))
    texts = [text for _, text in events]
    assert "EXTENSION\tName: otel\tState: Ready\tEvents: [INVOKE,SHUTDOWN]" in texts
    assert any(
        re.match(rf"^\[INFO\]\t2026-11-20T10:00:01\.025Z\t{RID}\tresizing 3", t) for t in texts
    )
    reports = [REPORT.match(t) for t in texts if t.startswith("REPORT")]
    assert [r["i"] if r else "missing" for r in reports] == ["180.12", None]
    stamps = [ms for ms, _ in events]
    assert stamps == sorted(stamps)


def test_errors_read_like_each_runtime() -> None:
    node = LogTarget("orders-api", "nodejs20.x", 256, 10, "eu-west-1")
    failed = Invocation(RID, T0, 5.0, 70, Outcome.ERROR, ("GET /orders/1 200",), "Error: boom")
    texts = [text for _, text in render_sandbox(node, _sandbox(failed))]
    assert f"2026-11-20T10:00:00.002Z\t{RID}\tINFO\tGET /orders/1 200" in texts
    invoke_error = next(t for t in texts if "\tERROR\t" in t)
    prefix, _, body = invoke_error.partition("Invoke Error \t")
    assert prefix == f"2026-11-20T10:00:00.005Z\t{RID}\tERROR\t"
    assert json.loads(body)["errorType"] == "Error"
    assert texts[-1].endswith("\tStatus: error\t")
    python = [
        t for _, t in render_sandbox(TARGET, _sandbox(replace(failed, error="KeyError: 'id'")))
    ]
    error = next(t for t in python if t.startswith("[ERROR]"))
    assert error.startswith("[ERROR] KeyError: 'id'\nTraceback (most recent call last):\n")


def test_json_format_has_platform_events_and_json_app_lines() -> None:
    target = replace(TARGET, log_format="JSON")
    ok = Invocation(RID, T0 + timedelta(seconds=1), 50.0, 80, lines=("resizing 3 image(s)",))
    late = Invocation(
        RID.replace("8f", "7f"), T0 + timedelta(seconds=9), 30_000.0, 90, Outcome.TIMEOUT
    )
    parsed = [json.loads(text) for _, text in render_sandbox(target, _sandbox(ok, late))]
    kinds = [event.get("type") or event["level"] for event in parsed]
    assert kinds == [
        "platform.initStart",
        "platform.extension",
        "platform.start",
        "INFO",
        "platform.report",
        "platform.start",
        "platform.report",
    ]
    assert parsed[0]["record"]["functionVersion"] == "3"
    first, second = parsed[4]["record"], parsed[6]["record"]
    assert first["metrics"] == {
        "durationMs": 50.0,
        "billedDurationMs": 231,
        "memorySizeMB": 512,
        "maxMemoryUsedMB": 80,
        "initDurationMs": 180.12,
    }
    assert first["status"] == "success" and "initDurationMs" not in second["metrics"]
    assert (second["status"], second["errorType"]) == ("timeout", "Sandbox.Timedout")
    assert parsed[3] == {
        "timestamp": "2026-11-20T10:00:01.025Z",
        "level": "INFO",
        "requestId": RID,
        "message": "resizing 3 image(s)",
    }


def test_stream_names_follow_aws() -> None:
    assert stream_name(TARGET, _sandbox()) == "2026/11/20/[3]" + "0" * 31 + "a"
    latest = LogTarget("f", "python3.12", 128, 3, "us-east-1")
    assert stream_name(latest, _sandbox()).startswith("2026/11/20/[$LATEST]")


def test_batches_respect_the_24_hour_and_count_limits() -> None:
    start = int(T0.timestamp() * 1000)
    events = [(start + n * 3_600_000, f"line {n}") for n in range(60)]
    batches = list(_batches(events))
    assert sum(len(b) for b in batches) == 60
    assert all(b[-1]["timestamp"] - b[0]["timestamp"] <= MAX_BATCH_SPAN_MS for b in batches)
    many = [(start + n, "x") for n in range(25_000)]
    assert [len(b) for b in _batches(many)] == [10_000, 10_000, 5_000]


def test_miner_sandboxes_run_into_the_timeout_until_now() -> None:
    rng = random.Random(1)
    end = T0 + timedelta(days=3)
    sandboxes = plan_miner_sandboxes(rng, T0, end, timeout_s=900, memory_mb=3008)
    invocations = [i for s in sandboxes for i in s.invocations]
    assert len(invocations) > 250
    assert all(840_000 <= i.duration_ms <= 900_000 for i in invocations)
    assert invocations[-1].start < end and invocations[0].start > T0
    assert sum(i.outcome is Outcome.TIMEOUT for i in invocations) > len(invocations) / 2


def test_planned_traffic_can_time_out_and_fail() -> None:
    profile = TrafficProfile((10.0, 20.0), (60, 70), (100.0, 200.0), timeout_rate=1.0)
    window = (T0, T0 + timedelta(hours=2))
    planned = plan_sandboxes(
        random.Random(2), window, profile, sandboxes=1, invocations=3, memory_cap=64, timeout_s=30
    )
    assert [(i.outcome, i.duration_ms, i.max_memory_mb) for i in planned[0].invocations] == [
        (Outcome.TIMEOUT, 30_000.0, 64)
    ] * 3
    failing = replace(profile, timeout_rate=0.0, error="KeyError: 'id'", error_rate=1.0)
    errors = plan_sandboxes(
        random.Random(2), window, failing, sandboxes=2, invocations=2, memory_cap=128
    )
    assert all(i.outcome is Outcome.ERROR and i.error for s in errors for i in s.invocations)


def test_estate_names_are_unique_per_region_at_scale() -> None:
    specs = plan_functions(300)
    assert len({(s.region, s.name) for s in specs}) == 300
    assert specs[0].name == "image-resizer" and specs[0].region == "us-east-1"
    assert all(len(f"{s.name}-{s.region}-role") <= 64 for s in specs)


def test_denonia_stand_in_is_an_unloadable_header_carrying_the_indicators() -> None:
    binary = denonia_binary()
    assert binary[:4] == b"\x7fELF" and binary[4] == 2  # ELF64
    e_type, e_machine = struct.unpack_from("<HH", binary, 16)
    e_phnum = struct.unpack_from("<H", binary, 56)[0]
    assert (e_type, e_machine, e_phnum) == (2, 0x3E, 0)  # no program headers: ENOEXEC
    assert b"NOT MALWARE" in binary
    assert all(indicator.encode() in binary for indicator in DENONIA_INDICATORS)
    assert denonia_zip() == denonia_zip()  # deterministic package, stable CodeSha256


def test_stratus_layer_has_an_extensions_directory() -> None:
    with zipfile.ZipFile(io.BytesIO(stratus_extension_layer_zip())) as archive:
        names = archive.namelist()
        mode = archive.getinfo("extensions/python-example-extension").external_attr >> 16
    assert "extensions/python-example-extension" in names
    assert "python-example-extension/extension.py" in names
    assert mode & 0o111
