"""One timestamp format for the whole timeline: UTC, ISO-8601, milliseconds, trailing Z.

Evidence dates come in many shapes (CloudTrail `2026-11-29T09:00:00Z`, Lambda
`2026-11-29T09:00:00.000+0000`, CloudWatch epoch milliseconds, DuckDB timestamps). Events
are merged by comparing these strings, so every source must go through `utc_iso`.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(value: object) -> str | None:
    """`value` as `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC, or None when it is not a date at all.

    Naive datetimes and offset-less strings are taken as UTC (AWS writes UTC everywhere);
    integers are epoch milliseconds, as CloudWatch Logs gives them.
    """
    if type(value) is datetime and value.tzinfo is None:  # DuckDB's TIMESTAMP, the common case
        return value.isoformat(timespec="milliseconds") + "Z"  # UTC already: a third the time
    if type(value) is str and len(value) in (20, 24) and value[10] == "T" and value[-1] == "Z":
        # CloudTrail's `…:SSZ` (every finding's time) and this function's own `…:SS.mmmZ`: the
        # time without its Z, when that reads as a naive time, is the moment in UTC
        try:
            moment = datetime.fromisoformat(value[:-1])
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is None:
            return moment.isoformat(timespec="milliseconds") + "Z"
    moment = as_datetime(value)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"


# `utc_iso` of a DuckDB TIMESTAMP column (UTC by the index's convention), in SQL: the
# timeline's million trail calls are formatted by DuckDB as it reads them (1.1 s of Python
# less), to the same text (`tests/timeline/test_time_fast_paths.py`), for the years Python
# has (1-9999); NULL for any other time (infinity, year 10000, BC: a corrupt or crafted
# eventTime), which its reader gives `utc_iso` as before (`UTC_ISO_RAW_SQL`).
UTC_ISO_SQL = (
    "CASE WHEN isfinite({column}) AND year({column}) BETWEEN 1 AND 9999 "
    "THEN strftime({column}, '%Y-%m-%dT%H:%M:%S.%gZ') END"
)
UTC_ISO_RAW_SQL = (
    "CASE WHEN NOT (isfinite({column}) AND year({column}) BETWEEN 1 AND 9999) THEN {column} END"
)


def as_datetime(value: object) -> datetime | None:
    """Parse any of the evidence's date shapes; naive results are UTC by convention."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value:
        text = value.strip().replace("Z", "+00:00")
        # Lambda writes `+0000`; fromisoformat wants `+00:00`.
        if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
            text = f"{text[:-2]}:{text[-2:]}"
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    return None
