"""LIR-CODE-007: bytecode Python runs without checking it against the function's own source."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from typing import Any

import pytest

from lambda_ir.analyze import python_imports
from lambda_ir.analyze.detectors import code_bytecode
from lambda_ir.model import Severity
from tests.analyze.casebuild import (
    REGION,
    CaseBuilder,
    function_config,
    run_detector,
    zip_bytes,
)
from tests.analyze.test_code_installed import HANDLER, REQUESTS, installed


def _pyc(flags: int) -> bytes:
    """A compiled file's 16-byte header (PEP 552: magic, flags, then hash or time and size)
    and a body: never loaded here."""
    return b"\xcb\r\r\n" + flags.to_bytes(4, "little") + bytes(8) + b"\xe3payload"


def _function(
    builder: CaseBuilder, files: dict[str, bytes | str], name: str, **config: Any
) -> None:
    blob = zip_bytes({"app.py": HANDLER, **files})
    builder.code(blob, name)
    builder.versions(name, [function_config(name, code=blob, **config)])


def test_unchecked_bytecode_beside_the_functions_own_source_is_medium(
    builder: CaseBuilder,
) -> None:
    """`__pycache__/app.cpython-312.pyc` with check_source off runs in place of `app.py`
    (and in a folder of the handler's too), whatever the source a review reads says."""
    _function(
        builder,
        {
            "__pycache__/app.cpython-312.pyc": _pyc(0b01),
            "orders/db.py": "def save(order):\n    return order\n",
            "orders/__pycache__/db.cpython-312.pyc": _pyc(0b01),
        },
        "orders",
    )
    (finding,) = run_detector(builder, code_bytecode.DETECTOR)
    assert finding.severity is Severity.MEDIUM
    assert finding.details["files"] == [
        "__pycache__/app.cpython-312.pyc",
        "orders/__pycache__/db.cpython-312.pyc",
    ]
    assert [e.member for e in finding.evidence] == finding.details["files"]
    assert "2 compiled Python files run in place of their sources, unchecked" in finding.summary
    assert "check_source off (PEP 552)" in finding.summary


def test_checked_or_sourceless_bytecode_and_a_librarys_own_are_quiet(
    builder: CaseBuilder,
) -> None:
    """Timestamped and checked-hash bytecode Python compares with its source; `__pycache__`
    without its source is never read; a library's unchecked bytecode is LIR-CODE-006's."""
    _function(
        builder,
        {
            "__pycache__/app.cpython-312.pyc": _pyc(0),  # timestamp
            "orders/db.py": "def save(order):\n    return order\n",
            "orders/__pycache__/db.cpython-312.pyc": _pyc(0b11),  # checked hash
            "orders/__pycache__/gone.cpython-312.pyc": _pyc(0b01),  # no gone.py
            **installed(REQUESTS),
            "requests/__pycache__/api.cpython-312.pyc": _pyc(0b01),
        },
        "orders",
    )
    assert run_detector(builder, code_bytecode.DETECTOR) == []


def test_unchecked_bytecode_for_another_python_is_low(builder: CaseBuilder) -> None:
    """`app.cpython-311.pyc` is never imported by a python3.12 function: it was MEDIUM as if
    it ran. Odd all the same (who compiled it so?): LOW, saying why."""
    _function(builder, {"__pycache__/app.cpython-311.pyc": _pyc(0b01)}, "orders")
    (finding,) = run_detector(builder, code_bytecode.DETECTOR)
    assert finding.severity is Severity.LOW
    assert finding.details["not_imported_now"] == (
        "compiled for python3.11, which none of the functions running it use (python3.12): "
        "not imported now, but would be on that version"
    )
    assert python_imports.compiled_for("x/__pycache__/m.cpython-313.opt-1.pyc") == "python3.13"
    assert python_imports.compiled_for("x/__pycache__/m.pypy310.pyc") == ""


def test_optimized_bytecode_runs_only_under_pythonoptimize(builder: CaseBuilder) -> None:
    """`app.cpython-312.opt-1.pyc` is read only under `-O` or PYTHONOPTIMIZE=1, a plain
    `.pyc` only without: each was MEDIUM as if it ran. LOW, saying why."""
    _function(builder, {"__pycache__/app.cpython-312.opt-1.pyc": _pyc(0b01)}, "orders")
    plain = {"__pycache__/app.cpython-312.pyc": _pyc(0b01)}
    _function(builder, plain, "billing", env={"PYTHONOPTIMIZE": "2"})
    optimized, unoptimized = sorted(
        run_detector(builder, code_bytecode.DETECTOR), key=lambda f: f.details["files"]
    )
    assert (optimized.severity, unoptimized.severity) == (Severity.LOW, Severity.LOW)
    assert optimized.details["not_imported_now"] == (
        "runs only with PYTHONOPTIMIZE=1, and the functions running it run with "
        "PYTHONOPTIMIZE unset: not imported now, but would be with that setting"
    )
    assert unoptimized.details["not_imported_now"].startswith(
        "runs only with PYTHONOPTIMIZE unset, and the functions running it run with "
        "PYTHONOPTIMIZE=2"
    )


def test_optimized_bytecode_is_medium_when_the_function_sets_pythonoptimize(
    builder: CaseBuilder,
) -> None:
    """PYTHONOPTIMIZE=1 in the function's environment: its `.opt-1.pyc` is what runs."""
    cached = {"__pycache__/app.cpython-312.opt-1.pyc": _pyc(0b01)}
    _function(builder, cached, "orders", env={"PYTHONOPTIMIZE": "1"})
    (finding,) = run_detector(builder, code_bytecode.DETECTOR)
    assert finding.severity is Severity.MEDIUM
    assert "not_imported_now" not in finding.details
    assert python_imports.cache_level("m.cpython-312.opt-2.pyc") == 2
    levels = [python_imports.optimize_level({"PYTHONOPTIMIZE": v}) for v in ("", "0", "2", "x")]
    assert levels == [0, 0, 2, 1]  # as CPython reads it: a word is -O once


# What a value of PYTHONOPTIMIZE gives `sys.flags.optimize` (`_Py_get_env_flag`: a whole C
# `strtol` integer from 0 to INT_MAX is itself, anything else 1, empty is unset).
OPTIMIZE_VALUES = (
    *("", "0", "1", "2", "-0", "+2", "00", " 2", "\t2", "\n2", "  +0"),
    *("2 ", "-3", "-1", "x", "0x1", " ", "+", "2147483647", "2147483648", "99999999999"),
    *("-2147483648", "\u0663", "0" * 5000 + "2", "9" * 5000),
)


@pytest.mark.parametrize("value", OPTIMIZE_VALUES)
def test_pythonoptimize_is_read_as_cpython_reads_it(value: str) -> None:
    """Each value against the interpreter running the tests: it only prints its own flag."""
    env = {**os.environ, "PYTHONOPTIMIZE": value}
    flag = subprocess.run(
        [sys.executable, "-S", "-c", "import sys; print(sys.flags.optimize)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert python_imports.optimize_level({"PYTHONOPTIMIZE": value}) == int(flag.stdout)


def test_unchecked_bytecode_at_the_level_cpython_reads_is_medium(builder: CaseBuilder) -> None:
    """`-0` is 0 (the plain `.pyc` runs), `2 ` is 1 (trailing space: not an int), `+2` is 2:
    each file is what runs, where `strip()` and `isdigit()` made them LOW, as if not read."""
    _function(
        builder,
        {"__pycache__/app.cpython-312.pyc": _pyc(0b01)},
        "zero",
        env={"PYTHONOPTIMIZE": "-0"},
    )
    opt1 = {"__pycache__/app.cpython-312.opt-1.pyc": _pyc(0b01)}
    _function(builder, opt1, "trailing", env={"PYTHONOPTIMIZE": "2 "})
    opt2 = {"__pycache__/app.cpython-312.opt-2.pyc": _pyc(0b01)}
    _function(builder, opt2, "signed", env={"PYTHONOPTIMIZE": "+2"})
    findings = run_detector(builder, code_bytecode.DETECTOR)
    assert sorted(f.resource.split(":")[6] for f in findings) == ["signed", "trailing", "zero"]
    assert {f.severity for f in findings} == {Severity.MEDIUM}
    assert not any("not_imported_now" in f.details for f in findings)


def test_a_handler_shipped_as_bytecode_only_is_medium(builder: CaseBuilder) -> None:
    """`app.pyc` with no `app.py`: Lambda imports the handler's module from the bytecode, so
    the package holds no source of its entry point. A helper module so shipped is another
    finding; a handler with its source is neither."""
    blob = zip_bytes({"app.pyc": _pyc(0), "lib.pyc": _pyc(0), "other.py": HANDLER})
    builder.code(blob, "bare")
    builder.versions(
        "bare",
        [
            function_config("bare", code=blob),  # handler app.handler
            function_config("bare", code=blob, version="2", Handler="other.handler"),
        ],
    )
    finding, helper = run_detector(builder, code_bytecode.DETECTOR)
    assert (finding.severity, finding.title) == (
        Severity.MEDIUM,
        "The handler runs from compiled Python with no source",
    )
    assert finding.details == {"handlers": ["app.handler"], "files": ["app.pyc"]}
    assert "the handler runs from bytecode with no source beside it: app.handler (app.pyc)" in (
        finding.summary
    )
    assert helper.details["files"] == ["lib.pyc"]  # a module of its own, not the handler's


def test_a_handler_named_by_its_path_shipped_as_bytecode_only(builder: CaseBuilder) -> None:
    """`src/app.handler` is a handler the Python runtime reads as `src.app`."""
    blob = zip_bytes({"src/app.pyc": _pyc(0)})
    builder.code(blob, "pathy")
    builder.versions("pathy", [function_config("pathy", code=blob, Handler="src/app.handler")])
    (finding,) = run_detector(builder, code_bytecode.DETECTOR)
    assert finding.details == {"handlers": ["src/app.handler"], "files": ["src/app.pyc"]}


def test_modules_shipped_as_bytecode_only_are_medium(builder: CaseBuilder) -> None:
    """`helpers.pyc` beside `app.py` with no `helpers.py`, and a package `pkg/` of `.pyc`
    files only: Python imports each where its source would be (SourcelessFileLoader), so
    the handler can import code no review reads."""
    _function(
        builder,
        {
            "helpers.pyc": _pyc(0),
            "pkg/__init__.pyc": _pyc(0),
            "pkg/mod.pyc": _pyc(0),
            "pkg/helpers.py": "x = 1\n",
        },
        "orders",
    )
    (finding,) = run_detector(builder, code_bytecode.DETECTOR)
    assert (finding.severity, finding.title) == (
        Severity.MEDIUM,
        "Python modules ship compiled only, with no source",
    )
    assert finding.details["modules"] == ["helpers", "pkg", "pkg.mod"]
    assert finding.details["files"] == ["helpers.pyc", "pkg/__init__.pyc", "pkg/mod.pyc"]
    assert [e.member for e in finding.evidence] == finding.details["files"]
    assert "3 compiled Python modules are importable with no source beside them" in (
        finding.summary
    )
    assert "helpers (helpers.pyc), pkg (pkg/__init__.pyc), pkg.mod (pkg/mod.pyc)" in (
        finding.summary
    )


def test_bytecode_python_does_not_import_sourceless_is_quiet(builder: CaseBuilder) -> None:
    """Quiet: `compileall -b` beside its source (the `.py` is imported first); a package
    folder shadowing `name.pyc`; a `__pycache__` file with no source and a dotted name,
    neither of which an import reaches; a library's compiled-only modules its RECORD lists
    (a vendor's wheel), and a `.pyc` added to a library's folder (LIR-CODE-006's)."""
    _function(
        builder,
        {
            "app.pyc": _pyc(0),
            "orders.pyc": _pyc(0),
            "orders/__init__.py": "",
            "__pycache__/gone.cpython-312.pyc": _pyc(0),
            "a.b.pyc": _pyc(0),
            **installed({"vendored/__init__.pyc": _pyc(0), "speedups.pyc": _pyc(0)}, "v-1"),
            **installed(REQUESTS),
            "requests/extra.pyc": _pyc(0),
        },
        "orders",
    )
    assert run_detector(builder, code_bytecode.DETECTOR) == []


def test_a_layers_modules_shipped_as_bytecode_only(builder: CaseBuilder) -> None:
    """A layer's `python/` and its runtime's `python/lib/python3.12/site-packages/` are on the
    module path; another version's site folder and `bin/` are not."""
    arn = f"arn:aws:lambda:{REGION}:111122223333:layer:deps:3"
    layer = zip_bytes(
        {
            "python/evil.pyc": _pyc(0),
            "python/lib/python3.12/site-packages/hook.pyc": _pyc(0),
            "python/lib/python3.11/site-packages/old.pyc": _pyc(0),
            "bin/tool.pyc": _pyc(0),
        }
    )
    builder.layer(arn, layer)
    blob = zip_bytes({"app.py": HANDLER})
    builder.code(blob, "orders")
    builder.versions("orders", [function_config("orders", code=blob, layers=[arn])])
    (finding,) = run_detector(builder, code_bytecode.DETECTOR)
    assert finding.severity is Severity.MEDIUM
    assert finding.details["modules"] == ["evil", "hook"]
    assert arn in finding.details["used_by"]


PY311 = b"\xa7\r\r\n" + _pyc(0)[4:]  # 3495: CPython 3.11's Lib/importlib/_bootstrap_external.py


def test_the_magic_numbers_are_cpythons() -> None:
    """The table holds the running interpreter's own `importlib.util.MAGIC_NUMBER`."""
    runtime = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    magic = int.from_bytes(importlib.util.MAGIC_NUMBER[:2], "little")
    assert python_imports.MAGIC_NUMBERS[runtime] == magic


def test_modules_their_python_cannot_import_are_low(builder: CaseBuilder) -> None:
    """A sourceless `helpers.pyc` was MEDIUM whatever Python wrote it, yet CPython refuses a
    `.pyc` whose magic number is not its own (`_classify_pyc`: ImportError: bad magic
    number): one no function running the package can import is LOW and says why; one that
    may load keeps the finding MEDIUM, as does a runtime whose number is not known."""
    cases = {  # name: (files, runtime)
        "old": ({"helpers.pyc": PY311}, "python3.12"),
        "junk": ({"helpers.pyc": b"MZ\x90\x00" + bytes(12)}, "python3.12"),
        "mixed": ({"helpers.pyc": PY311, "tools.pyc": _pyc(0)}, "python3.12"),
        "own": ({"helpers.pyc": PY311}, "python3.11"),
        "unknown": ({"helpers.pyc": PY311}, "python3.99"),
    }
    for name, (files, runtime) in cases.items():
        _function(builder, {"name.txt": name, **files}, name, runtime=runtime)
    found = {f.resource.split(":")[6]: f for f in run_detector(builder, code_bytecode.DETECTOR)}
    assert {n: f.severity for n, f in found.items()} == {
        "old": Severity.LOW,
        "junk": Severity.LOW,
        "mixed": Severity.MEDIUM,
        "own": Severity.MEDIUM,
        "unknown": Severity.MEDIUM,
    }
    assert (
        "helpers.pyc is compiled for python3.11 (magic number 3495), which python3.12 refuses "
        "(ImportError: bad magic number): not imported now, but would be on that version"
    ) in found["old"].summary
    assert "starting b'MZ\\x90\\x00'" in found["junk"].details["not_importable"]["helpers.pyc"]
    assert list(found["mixed"].details["not_importable"]) == ["helpers.pyc"]
    assert "not_importable" not in found["own"].details
    assert "not_importable" not in found["unknown"].details
