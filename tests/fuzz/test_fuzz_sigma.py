"""Fuzzing the Sigma field mapping: any field path and value compile to SQL that matches the
record holding them, and only it, both as written and after `share_fields` rewrote it."""

from __future__ import annotations

from typing import Any

import duckdb
import orjson
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sigma.collection import SigmaCollection

from lambda_ir.analyze.sigma.backend import TrailBackend, share_fields

# Field names as CloudTrail and rule authors write them, plus quotes and odd characters;
# a `.` separates nested keys, so it is not part of a segment.
_SEGMENT = st.text(
    st.characters(codec="utf-8", exclude_characters=".\x00", exclude_categories=("Cs",)),
    min_size=1,
    max_size=8,
).filter(lambda s: s.strip() == s and not s.startswith(("|", "-", "#")) and "|" not in s)
_PATH = st.lists(_SEGMENT, min_size=1, max_size=3)
# Values without Sigma's own wildcards (`*`, `?`) and escape (`\`): they match literally.
_VALUE = st.text(
    st.characters(codec="utf-8", exclude_characters="*?\\\x00", exclude_categories=("Cs",)),
    min_size=1,
    max_size=12,
)


def _nested(path: list[str], value: Any) -> Any:
    for key in reversed(path):
        value = {key: value}
    return value


def _where(path: list[str], value: str) -> str:
    rule = {
        "title": "fuzz",
        "logsource": {"product": "aws", "service": "cloudtrail"},
        "detection": {"selection": {".".join(path): value}, "condition": "selection"},
    }
    (compiled,) = SigmaCollection.from_yaml(yaml.safe_dump(rule)).rules
    return " OR ".join(f"({q})" for q in TrailBackend().convert_rule(compiled))


def _matches(con: duckdb.DuckDBPyConnection, where: str, record: Any) -> bool:
    query = f"SELECT count(*) FROM (SELECT ?::JSON AS record) WHERE {where}"
    row = con.execute(query, [orjson.dumps(record).decode()]).fetchone()
    return bool(row and row[0])


def _matches_shared(con: duckdb.DuckDBPyConnection, where: str, record: Any) -> bool:
    paths, (rewritten,) = share_fields([where])
    inner = (
        f"SELECT record, json_extract_string(record, {paths}) AS f FROM (SELECT ?::JSON AS record)"
    )
    row = con.execute(
        f"SELECT count(*) FROM ({inner}) WHERE {rewritten}",
        [orjson.dumps(record).decode()],
    ).fetchone()
    return bool(row and row[0])


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")


@given(path=_PATH, value=_VALUE, other=_VALUE)
def test_field_and_value_match_exactly_their_record(
    con: duckdb.DuckDBPyConnection, path: list[str], value: str, other: str
) -> None:
    where = _where(path, value)
    holding = _nested(path, value)
    assert _matches(con, where, holding)
    assert _matches_shared(con, where, holding)
    if other.casefold() != value.casefold():  # Sigma strings match regardless of case
        assert not _matches(con, where, _nested(path, other))
        assert not _matches_shared(con, where, _nested(path, other))
    assert not _matches(con, where, {"elsewhere": value})
