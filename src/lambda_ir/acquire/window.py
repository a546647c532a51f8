"""`--since` / `--until`: the time window for logs and CloudTrail, as UTC ISO-8601."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, now: datetime | None = None) -> str:
    """`7d`, `36h`, `30m` (ago), `2026-11-20` or `2026-11-20T03:14:00Z` → `...Z` in UTC.

    Raises ValueError with the accepted forms when `text` is none of them.
    """
    now = now or datetime.now(UTC)
    value = text.strip()
    match = _RELATIVE.match(value.lower())
    if match:
        moment = now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return _iso(moment)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use 7d, 36h, 30m, 2026-11-20 or 2026-11-20T03:14:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _iso(moment)


def is_relative(text: str) -> bool:
    """Whether `text` is a time ago (`7d`, `36h`, `30m`) rather than a date or a time."""
    return _RELATIVE.match(text.strip().lower()) is not None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_segment(start: str | None, end: str | None) -> str:
    """The window as a path segment, `20261115T000000Z--20261129T000000Z` (`open` ends).

    Part of every windowed artifact's path, so a run over another window adds artifacts
    instead of colliding with the write-once rule, and a run over the same window resumes.
    """
    return f"{_compact(start)}--{_compact(end)}"


def _compact(when: str | None) -> str:
    return when.replace("-", "").replace(":", "") if when else "open"
