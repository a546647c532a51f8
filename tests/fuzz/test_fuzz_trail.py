"""Fuzzing the CloudTrail reader: any bytes, any JSON; good records kept, nothing raises."""

from __future__ import annotations

import io
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from lambda_ir.evidence.trail_read import iter_record_blocks, iter_record_lines
from lambda_ir.evidence.trail_shapes import records_of

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _record(n: int, extra: Any) -> bytes:
    return orjson.dumps({"eventID": f"e{n}", "eventName": "X", "eventTime": "t", "x": extra})


# Elements that cost their record only: bad UTF-8, a nesting bomb, broken JSON, a
# non-object, and unbalanced brackets either way (the reader resynchronises at the next
# record's start).
_BAD = st.sampled_from(
    [
        b'{"eventID": "\xff\xfe"}',
        b'{"eventID": "deep", "x": ' + b"[" * 3000 + b"]" * 3000 + b"}",
        b'{"eventID": tru}',
        b"[1, 2]",
        b'{"eventID": "open", "x": [[1]}',
        b'{"eventID": "close", "x": [1]]}',
        b'{"eventID": "brace", "x": {"a": 1}}}',
    ]
)


@given(st.binary(max_size=2000))
def test_any_bytes_never_raise(data: bytes) -> None:
    problems: list[str] = []
    for line in iter_record_lines(io.BytesIO(data), problems):
        assert line.endswith(b"\n")
        orjson.loads(line)  # every line kept is JSON


@given(_JSON)
def test_records_of_any_json(value: Any) -> None:
    for record in records_of(value):
        assert isinstance(record, dict)


# Valid JSON that JSON readers of the index refuse, kept all the same (its escape as text): a
# lone surrogate.
_KEPT = st.just(b'{"eventID": "a", "x": "\\ud800"}')
_ELEMENT = st.one_of(
    _JSON.map(lambda extra: ("record", extra)),
    _BAD.map(lambda raw: ("bad", raw)),
    _KEPT.map(lambda raw: ("kept", raw)),
)


@given(st.lists(_ELEMENT, max_size=12), st.booleans())
def test_records_file_keeps_every_good_record(elements: list[Any], pretty: bool) -> None:
    parts = [
        _record(n, item) if kind == "record" else item for n, (kind, item) in enumerate(elements)
    ]
    good = sum(1 for kind, _ in elements if kind != "bad")
    separator = b",\n " if pretty else b","
    document = b'{"Records": [' + separator.join(parts) + b"]}"
    problems: list[str] = []
    lines = list(iter_record_lines(io.BytesIO(document), problems))
    assert len(lines) == good
    if good < len(parts):
        assert problems  # every bad record is counted


@given(st.lists(_BAD, min_size=1, max_size=4), st.integers(0, 5))
def test_bad_elements_anywhere(bad: list[bytes], good: int) -> None:
    parts = [_record(n, n) for n in range(good)] + bad
    document = b'{"Records":[' + b",".join(parts) + b"]}"
    problems: list[str] = []
    blocks = list(iter_record_blocks(io.BytesIO(document), problems))
    assert sum(b.records for b in blocks) == good
    assert problems
