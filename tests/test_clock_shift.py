"""`make pytest-clock` really moves the clock: a check that the clocked runs are not a no-op.

The Makefile runs the date-sensitive tests with LAMBDA_IR_CLOCK_SHIFT set to the shift
(`+400d`, `-2h`) and tests/clock on PYTHONPATH. This process's clock, and a `lambda-ir`
child's, must then differ from the real one (read by `date`, which is not Python) by that much.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(shift: str) -> int:
    match = re.fullmatch(r"([+-])(\d+)([smhd])", shift)
    assert match, f"LAMBDA_IR_CLOCK_SHIFT={shift!r} is not like +400d or -2h"
    sign = -1 if match.group(1) == "-" else 1
    return sign * int(match.group(2)) * _UNITS[match.group(3)]


def test_the_clock_is_moved_as_the_run_says() -> None:
    shift = os.environ.get("LAMBDA_IR_CLOCK_SHIFT")
    if not shift:
        pytest.skip("runs under `make pytest-clock`, where the clock is moved")
    real = int(subprocess.run(["date", "+%s"], capture_output=True, text=True, check=True).stdout)
    assert abs((time.time() - real) - _seconds(shift)) < 120
    child = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert abs((float(child.stdout) - real) - _seconds(shift)) < 120
