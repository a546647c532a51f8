"""Fuzzing profiles: `ci` (default, seconds) and `long` (HYPOTHESIS_PROFILE=long, minutes).

HYPOTHESIS_PROFILE=long .venv/bin/pytest -p no:xdist tests/fuzz tests/test_sanitize.py
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=5_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
