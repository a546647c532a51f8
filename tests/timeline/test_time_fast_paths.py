"""The shortcuts taken for the common timestamps give what the general path gives.

A million-event timeline formats a million DuckDB timestamps and reads each formatted time
back as epoch microseconds (`epoch_micros`): DuckDB formats the trail's (`UTC_ISO_SQL`),
`utc_iso` takes a short path for a naive UTC datetime and for a `…Z` trail time (every
finding's, read back from findings.json), and `epoch_micros` for `utc_iso`'s own `…Z` text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_ir.timeline.clock import UTC_ISO_RAW_SQL, UTC_ISO_SQL, as_datetime, utc_iso
from lambda_ir.timeline.output import epoch_micros

_MOMENTS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))


def test_duckdb_formats_a_timestamp_as_utc_iso_does() -> None:
    sql = f"SELECT {UTC_ISO_SQL.format(column='t')} FROM (SELECT CAST(? AS TIMESTAMP) AS t)"
    with duckdb.connect() as con:

        @given(_MOMENTS)
        @settings(max_examples=300, deadline=None)
        def same(moment: datetime) -> None:
            found = con.execute(sql, [moment]).fetchone()
            assert found is not None and found[0] == utc_iso(moment)

        same()
        assert con.execute(sql, [None]).fetchone() == (None,)  # no time: no event


def test_a_time_duckdb_cannot_format_as_utc_iso_is_read_as_before() -> None:
    # a corrupt or crafted eventTime: infinity, past year 9999, before year 1
    formatted, raw = (f.format(column="t") for f in (UTC_ISO_SQL, UTC_ISO_RAW_SQL))
    sql = f"SELECT {formatted}, {raw}, t FROM (SELECT CAST(? AS TIMESTAMP) AS t)"
    with duckdb.connect() as con:
        for value in ("infinity", "-infinity", "10000-01-01 00:00:00", "0000-06-01 00:00:00"):
            found = con.execute(sql, [value]).fetchone()
            assert found is not None
            text, fallback, before = found
            assert text is None and fallback == before  # what `utc_iso` read before


@given(_MOMENTS)
@settings(max_examples=300, deadline=None)
def test_a_naive_datetime_formats_as_the_same_moment_in_utc(moment: datetime) -> None:
    # an aware datetime takes the general path (to UTC, then formatted)
    assert utc_iso(moment) == utc_iso(moment.replace(tzinfo=UTC))


@given(_MOMENTS, st.integers(min_value=-14 * 60, max_value=14 * 60))
@settings(max_examples=300, deadline=None)
def test_utc_iso_text_reads_back_as_the_general_path_reads_it(
    moment: datetime, offset_minutes: int
) -> None:
    zone = timezone(timedelta(minutes=offset_minutes))
    text = utc_iso(moment.replace(tzinfo=UTC).astimezone(zone))
    assert text is not None and text.endswith("Z")
    general = as_datetime(text)
    assert general is not None
    assert epoch_micros(text) == int(general.timestamp() * 1_000_000)


def test_other_shapes_still_take_the_general_path() -> None:
    paris = timezone(timedelta(hours=1))
    assert utc_iso(datetime(2026, 11, 28, 23, 14, 5, 500000, tzinfo=paris)) == (
        "2026-11-28T22:14:05.500Z"
    )
    assert epoch_micros("2026-11-28T22:14:05.000+0000") == 1_795_904_045_000_000
    assert epoch_micros("2026-11-28T22:14:05.250Z") == 1_795_904_045_250_000
    assert epoch_micros(" 2026-11-28T22:14:05Z ") == 1_795_904_045_000_000  # trimmed
    assert epoch_micros("not a dateZ") == 0


def _general(value: object) -> str | None:
    """`utc_iso`'s general path, without the shortcuts."""
    moment = as_datetime(value)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


@given(_MOMENTS, st.booleans())
@settings(max_examples=300, deadline=None)
def test_a_trail_time_formats_as_the_general_path_formats_it(
    moment: datetime, milliseconds: bool
) -> None:
    # every finding's time (CloudTrail's `…:SSZ`) and `utc_iso`'s own `…:SS.mmmZ`
    text = moment.isoformat(timespec="milliseconds" if milliseconds else "seconds") + "Z"
    assert utc_iso(text) == _general(text) is not None


_ODD = st.text(alphabet="0123456789-:T.Z+W ", min_size=9, max_size=9)


@given(st.text(alphabet="0123456789-:.+W ", min_size=10, max_size=10), _ODD, st.booleans())
@settings(max_examples=2000, deadline=None)
def test_a_string_shaped_like_a_trail_time_reads_as_before(
    date: str, time: str, milliseconds: bool
) -> None:
    # the shortcut's shape (a T at 10, a Z last, 20 or 24 long) with anything in between:
    # week dates, offsets, a second Z, hours past 23 read as the general path reads them
    text = f"{date}T{time}{'.123' if milliseconds else ''}Z"
    assert utc_iso(text) == _general(text)


def test_odd_trail_times_read_as_before() -> None:
    for text in (
        "2026-W45-1T00:00:07Z",  # an ISO week date
        "2026-11-01T00:00+01Z",  # an offset, then a Z: no time
        "2026-11-01T25:00:07Z",
        "2026-11-01T00:00:07.1234Z",
        " 2026-11-01T00:00:07Z",
    ):
        assert utc_iso(text) == _general(text), text
    assert utc_iso("2026-11-01T00:00:07Z") == "2026-11-01T00:00:07.000Z"
