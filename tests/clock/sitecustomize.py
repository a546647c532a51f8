"""Moves this Python process's wall clock by LAMBDA_IR_CLOCK_SHIFT (`+400d`, `-2h`) at start.

`make pytest-clock` puts this folder on PYTHONPATH, so every Python process of the run (pytest,
its xdist workers, the `lambda-ir` subprocesses the CLI tests start, the emulator threads)
imports it first and travels by the same shift with time-machine: `time.time`,
`datetime.now`, `date.today` and friends move, the clock keeps ticking, and the monotonic
clocks (timeouts, rate limits) stay real. Nothing happens without the variable.
"""

from __future__ import annotations

import os
import re
import time

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _shift_seconds(text: str) -> int:
    match = re.fullmatch(r"([+-])(\d+)([smhd])", text.strip())
    if match is None:
        raise SystemExit(f"LAMBDA_IR_CLOCK_SHIFT={text!r}: use a shift like +400d or -2h")
    sign = -1 if match.group(1) == "-" else 1
    return sign * int(match.group(2)) * _UNITS[match.group(3)]


_SHIFT = os.environ.get("LAMBDA_IR_CLOCK_SHIFT")
if _SHIFT:
    import time_machine

    time_machine.travel(time.time() + _shift_seconds(_SHIFT), tick=True).start()
