"""Salvage, never lose: a bad CloudTrail record costs that record only, counted and named."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import orjson
import pytest

from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.index import build_index
from lambda_ir.evidence.trail import import_trail
from lambda_ir.evidence.trail_read import iter_record_lines, open_artifact
from lambda_ir.evidence.trail_salvage import (
    MAX_DEPTH,
    depth_exceeds,
    elements,
    nesting_exceeds,
)

CLI = [sys.executable, "-m", "lambda_ir"]


def _record(n: int, **extra: object) -> bytes:
    record = {
        "eventVersion": "1.08",
        "eventID": f"e{n}",
        "eventTime": f"2026-01-02T03:04:{n:02d}Z",
        "eventSource": "lambda.amazonaws.com",
        "eventName": "GetFunction20150331v2",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        **extra,
    }
    return orjson.dumps(record)


def _bomb(levels: int) -> bytes:
    return (
        b'{"eventID":"bomb","eventName":"X","eventTime":"2026-01-02T03:04:59Z",'
        b'"requestParameters":' + b"[" * levels + b"]" * levels + b"}"
    )


def _not_utf8() -> bytes:
    return _record(9, eventID="bad", userAgent="XX").replace(b"XX", b"\xff\xfe")


def _records_file(path: Path, records: list[bytes], *, pretty: bool = False) -> Path:
    sep = b",\n  " if pretty else b","
    head, tail = (b'{\n  "Records": [\n  ', b"\n  ]\n}\n") if pretty else (b'{"Records":[', b"]}")
    path.write_bytes(head + sep.join(records) + tail)
    return path


def _unique_events(case: Case) -> int:
    with duckdb.connect(str(case.root / "case.duckdb"), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM trail_events").fetchone()
    return int(row[0]) if row else 0


def _import(tmp_path: Path, *paths: Path) -> tuple[Case, object]:
    case = Case.create(tmp_path / "case")
    return case, import_trail(case, list(paths), workers=1)


@pytest.mark.parametrize("levels", [1_000, 5_000, 100_000])
def test_nesting_bomb_costs_one_record_in_a_folder_of_eleven(tmp_path: Path, levels: int) -> None:
    folder = tmp_path / "trail"
    folder.mkdir()
    good = [_record(n) for n in range(4)]
    _records_file(folder / "a.json", [*good[:2], _bomb(levels), *good[2:]])
    for n in range(10):
        _records_file(folder / f"ok{n}.json", [_record(10 + n)])
    case, summary = _import(tmp_path, folder)
    assert summary.records == 14  # type: ignore[attr-defined]
    problems = [p for f in summary.files for p in f.problems]  # type: ignore[attr-defined]
    assert len(problems) == 1
    assert "record 3" in problems[0]
    assert "(eventID bomb)" in problems[0]
    assert "deep" in problems[0]
    errors = [e.error for e in case.entries() if e.error]
    assert errors == problems  # in the manifest, so in ingest_warnings and the gap findings


def test_bomb_as_a_json_line_is_counted(tmp_path: Path) -> None:
    lines = tmp_path / "t.jsonl"
    lines.write_bytes(_record(1) + b"\n" + b"[" * 50_000 + b"]" * 50_000 + b"\n" + _record(2))
    _, summary = _import(tmp_path, lines)
    assert summary.records == 2  # type: ignore[attr-defined]
    assert summary.warnings == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("pretty", [False, True])
def test_invalid_utf8_in_one_record_costs_that_record(tmp_path: Path, pretty: bool) -> None:
    good = [_record(n) for n in range(4)]
    path = _records_file(tmp_path / "a.json", [*good[:2], _not_utf8(), *good[2:]], pretty=pretty)
    _, summary = _import(tmp_path, path)
    assert summary.records == 4  # type: ignore[attr-defined]
    (problem,) = [p for f in summary.files for p in f.problems]  # type: ignore[attr-defined]
    assert "record 3" in problem
    assert "(eventID bad)" in problem
    assert "not UTF-8" in problem


def test_a_file_of_one_bad_record_says_so(tmp_path: Path) -> None:
    path = _records_file(tmp_path / "one.json", [_not_utf8()])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambda_ir",
            "import-trail",
            "--case",
            str(tmp_path / "c"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Nothing imported is a failure (exit 1), the bad record named and indexed all the same.
    assert done.returncode == 1, done.stderr
    assert "nothing imported: 0 records from 1 file (1 skipped, 1 warning," in done.stderr
    assert "record 1 of line 1 (eventID bad) skipped: not UTF-8" in " ".join(done.stderr.split())
    with duckdb.connect(str(tmp_path / "c" / "case.duckdb"), read_only=True) as con:
        warnings = con.execute("SELECT reason FROM ingest_warnings").fetchall()
    assert any("eventID bad" in reason for (reason,) in warnings)


def test_cut_short_document_keeps_what_came_before(tmp_path: Path) -> None:
    whole = _records_file(tmp_path / "x.json", [_record(n) for n in range(5)]).read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(whole[: len(whole) - 30])
    case, summary = _import(tmp_path, cut)
    assert summary.records == 4  # type: ignore[attr-defined]
    (problem,) = [p for f in summary.files for p in f.problems]  # type: ignore[attr-defined]
    assert "record 5" in problem
    assert "cut short" in problem
    from lambda_ir.evidence.index import build_index

    build_index(case)
    assert _unique_events(case) == 4


def test_many_bad_records_are_named_up_to_a_limit_then_counted(tmp_path: Path) -> None:
    records = [_not_utf8().replace(b'"bad"', f'"bad{n}"'.encode()) for n in range(30)]
    path = _records_file(tmp_path / "a.json", [_record(1), *records])
    _, summary = _import(tmp_path, path)
    problems = [p for f in summary.files for p in f.problems]  # type: ignore[attr-defined]
    assert summary.records == 1  # type: ignore[attr-defined]
    assert len(problems) == 21
    assert problems[-1] == "10 more bad record(s) of line 1 skipped"


def test_elements_splits_without_recursion() -> None:
    document = b'{"Records":[{"a":"],\\"x"},' + b"[" * 200_000 + b"]" * 200_000 + b",{}]}"
    parts = list(elements(document, len(b'{"Records":[')))
    assert [reason for _, reason in parts] == [None, None, None]
    assert parts[0][0] == b'{"a":"],\\"x"}'
    assert MAX_DEPTH < 200_000


def _shaped(shape: str, records: list[bytes]) -> bytes:
    """The records in one of the shapes import-trail reads."""
    if shape == "lines":
        return b"\n".join(records) + b"\n"
    if shape == "array":
        return b"[" + b",".join(records) + b"]"
    if shape == "pretty":
        return b'{\n  "Records": [\n  ' + b",\n  ".join(records) + b"\n  ]\n}\n"
    if shape == "lookup-events":
        events = [{"EventId": "x", "CloudTrailEvent": r.decode()} for r in records]
        return orjson.dumps({"Events": events})
    separator = b",\r" if shape == "delivered-cr" else b","  # a CR: the fast reader re-writes
    return b'{"Records":[' + separator.join(records) + b"]}"


SHAPES = ("delivered", "delivered-cr", "lines", "array", "pretty", "lookup-events")


def _deep(levels: int) -> bytes:
    """A record nested `levels` deep, the record itself counted as level 1."""
    inner = b"[" * (levels - 1) + b"]" * (levels - 1)
    return _record(5, eventID="deep")[:-1] + b',"requestParameters":' + inner + b"}"


def _lines(document: bytes) -> tuple[list[bytes], list[str]]:
    problems: list[str] = []
    return list(iter_record_lines(io.BytesIO(document), problems)), problems


@pytest.mark.parametrize("shape", SHAPES)
def test_one_depth_limit_for_every_shape(shape: str) -> None:
    """MAX_DEPTH levels are kept and one more is not, whatever the file's shape (before, a
    record 129-1,000 deep was kept in CloudTrail's delivered form, and one ~500 deep in a
    file with a CR raised TypeError)."""
    for levels, kept in ((MAX_DEPTH, True), (MAX_DEPTH + 1, False), (600, False), (5_000, False)):
        lines, problems = _lines(_shaped(shape, [_record(1), _deep(levels), _record(2)]))
        assert len(lines) == (3 if kept else 2), (levels, problems)
        if kept:
            assert problems == []
        else:
            (problem,) = problems
            assert f"nested deeper than {MAX_DEPTH} levels" in problem, problem


UNBALANCED = {
    "extra [": b'{"eventVersion":"1.08","eventID":"bad","x":[[1]}',
    "extra ]": b'{"eventVersion":"1.08","eventID":"bad","x":[1]]}',
    "extra {": b'{"eventVersion":"1.08","eventID":"bad","x":{"a":{"b":1}}',
    "extra }": b'{"eventVersion":"1.08","eventID":"bad","x":{"a":1}}}',
}


@pytest.mark.parametrize("shape", ["delivered", "array", "pretty"])
@pytest.mark.parametrize("where", [0, 2, 4])
@pytest.mark.parametrize("kind", sorted(UNBALANCED))
def test_unbalanced_brackets_cost_that_record_only(shape: str, where: int, kind: str) -> None:
    """Before, the records after it in its file went with it (up to where brackets balanced)."""
    records = [_record(n) for n in range(4)]
    records.insert(where, UNBALANCED[kind])
    lines, problems = _lines(_shaped(shape, records))
    assert sorted(orjson.loads(line)["eventID"] for line in lines) == ["e0", "e1", "e2", "e3"]
    (problem,) = problems
    assert f"record {where + 1}" in problem and "(eventID bad)" in problem, problem
    # One more `[` in an array's last record reads as a document cut short inside it.
    cut_short = where == 4 and shape == "array" and kind in ("extra [", "extra {")
    assert ("cut short" if cut_short else "unbalanced brackets") in problem


def test_an_unbalanced_record_in_a_folder_is_counted_in_the_summary(tmp_path: Path) -> None:
    path = _records_file(tmp_path / "a.json", [_record(1), UNBALANCED["extra ["], _record(3)])
    case, summary = _import(tmp_path, path)
    assert summary.records == 2  # type: ignore[attr-defined]
    errors = [e.error for e in case.entries() if e.error]
    assert len(errors) == 1 and "record 2 of line 1 (eventID bad)" in str(errors[0])


def test_opposite_imbalances_lose_only_their_own_records() -> None:
    """One more `[` in one record and one more `]` in a later one balance each other: the
    good records between them are kept all the same."""
    records = [_record(0), UNBALANCED["extra ["], _record(1), _record(2), UNBALANCED["extra ]"]]
    lines, problems = _lines(_shaped("delivered", [*records, _record(3)]))
    assert sorted(orjson.loads(line)["eventID"] for line in lines) == ["e0", "e1", "e2", "e3"]
    assert len(problems) == 2 and all("(eventID bad)" in p for p in problems), problems


def _nested_record(levels: int) -> bytes:
    """A balanced PutBucketPolicy record nested `levels` deep, holding a record-like object."""
    inner = b'{"eventName":"DeleteTrail","eventID":"invented","eventTime":"2026-01-02T03:04:05Z"}'
    return (
        b'{"eventVersion":"1.08","eventID":"deep","eventName":"PutBucketPolicy","x":'
        + b"[" * levels
        + b'{"a":1},'
        + inner
        + b"]" * levels
        + b"}"
    )


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (_nested_record(2_000), f"nested deeper than {MAX_DEPTH} levels"),
        (_nested_record(3).replace(b'"a":1', b'"a":"\xff"'), "not UTF-8"),
    ],
)
def test_a_balanced_bad_record_is_not_split_into_invented_records(bad: bytes, reason: str) -> None:
    """Before, a balanced record that was too deep or not UTF-8 was cut at each record-like
    object inside it, and those objects were kept as records (reported as unbalanced)."""
    lines, problems = _lines(_shaped("delivered", [_record(0), bad, _record(1)]))
    assert sorted(orjson.loads(line)["eventID"] for line in lines) == ["e0", "e1"]
    (problem,) = problems
    assert "record 2" in problem and "(eventID deep)" in problem and reason in problem, problem


def _sorted_keys(n: int) -> bytes:
    return orjson.dumps(orjson.loads(_record(n)), option=orjson.OPT_SORT_KEYS)


@pytest.mark.parametrize("shape", ["delivered", "array", "pretty"])
@pytest.mark.parametrize("kind", ["extra ]", "extra }"])
def test_records_with_sorted_keys_after_an_extra_close_are_kept(shape: str, kind: str) -> None:
    """Before, records not starting with a key CloudTrail puts first (`awsRegion` first, as
    a writer sorting keys does) were all dropped after an extra close, with no word of it."""
    records = [_sorted_keys(n) for n in range(4)]
    records.insert(1, UNBALANCED[kind])
    lines, problems = _lines(_shaped(shape, records))
    assert sorted(orjson.loads(line)["eventID"] for line in lines) == ["e0", "e1", "e2", "e3"]
    (problem,) = problems
    assert "record 2" in problem and "the records after it are kept" in problem, problem


def test_an_extra_close_with_no_record_after_it_says_what_it_cost() -> None:
    """The rest of a document with no next record after an extra close is one bad record,
    named, never dropped quietly."""
    document = b'{"Records":[' + _record(0) + b',{"eventID":"bad","x":{"a":1}}},"y":2'
    lines, problems = _lines(document)
    assert [orjson.loads(line)["eventID"] for line in lines] == ["e0"]
    (problem,) = problems
    assert "record 2" in problem and "(eventID bad)" in problem, problem
    assert "unbalanced brackets (no record follows it" in problem, problem


def test_an_unclosed_string_full_of_escaped_quotes_is_scanned_in_linear_time() -> None:
    """Before, each `\\"` restarted the string's scan to the end: 20,000 took 4.5 s."""
    document = b'{"Records":[' + _record(0) + b',{"eventID":"bad","x":"' + b'\\"' * 100_000
    began = time.perf_counter()
    parts = list(elements(document, len(b'{"Records":[')))
    assert time.perf_counter() - began < 2
    assert [reason for _, reason in parts] == [None, "cut short (the document ends inside it)"]


def test_alternating_nesting_is_measured_exactly() -> None:
    """`{[{[`… falls two levels a fast pass: the limit is still exact for it."""
    for levels, deeper in ((MAX_DEPTH, False), (MAX_DEPTH + 1, True)):
        opens = b"".join(b'{"a":' if n % 2 else b"[" for n in range(levels - 1))
        value = (
            opens + b"0" + b"".join(b"}" if n % 2 else b"]" for n in reversed(range(levels - 1)))
        )
        record = b'{"eventID":"x","r":' + value + b"}"
        assert depth_exceeds(orjson.loads(record), MAX_DEPTH) is deeper
        assert nesting_exceeds(record) is deeper


def _lone_surrogate(n: int) -> bytes:
    """A record whose function name holds `\\ud800` with no low half (Python's json reads
    it; orjson, msgspec and DuckDB refuse it), and text that only looks like an escape."""
    return _record(n, eventID="lone", userAgent="XX", requestParameters={"functionName": "YY"})


def _with_escapes(line: bytes) -> bytes:
    return line.replace(b'"YY"', b'"\\ud800x"').replace(b'"XX"', b'"\\\\ud800"')


@pytest.mark.parametrize("shape", ["records", "pretty", "lines", "lookup", "with-bad-utf8"])
def test_a_lone_surrogate_escape_costs_nothing_and_is_kept_as_read(
    tmp_path: Path, shape: str
) -> None:
    records = [_with_escapes(_lone_surrogate(1)), _record(2)]
    if shape == "with-bad-utf8":  # a line that fails twice: the rest is salvaged
        records.append(_not_utf8())
    src = tmp_path / "in.json"
    if shape in ("records", "with-bad-utf8"):
        _records_file(src, records)
    elif shape == "pretty":
        _records_file(src, records, pretty=True)
    elif shape == "lines":
        src.write_bytes(b"\n".join(records) + b"\n")
    else:  # lookup-events output: each record a JSON string
        events = [{"CloudTrailEvent": r.decode()} for r in records]
        src.write_bytes(orjson.dumps({"Events": events}))
    case, summary = _import(tmp_path, src)
    assert summary.records == 2  # type: ignore[attr-defined]
    with duckdb.connect(str(build_index(case)), read_only=True) as con:
        row = con.execute(
            "SELECT function_name, user_agent FROM trail_events WHERE event_id = 'lone'"
        ).fetchone()
    assert row == ("\\ud800x", "\\ud800")  # the lone escape as text; the text untouched
    kept = [e for e in case.entries() if e.kind == "other"]
    if shape == "lookup":  # the outer JSON is valid: its records were written anew anyway
        assert kept == []
        return
    (entry,) = kept
    assert entry.path and entry.path.endswith("in.json.as-sent.zst")
    problems = [p for f in summary.files for p in f.problems]  # type: ignore[attr-defined]
    (said,) = [p for p in problems if "surrogate" in p]
    assert said.endswith(f"kept as read in {entry.path}")
    failed = [e.error or "" for e in case.entries() if e.error]  # said: no failed call
    if shape == "with-bad-utf8":
        (failed_once,) = failed
        assert failed_once.startswith("record 3 of line 1 (eventID bad) skipped: not UTF-8")
    else:
        assert failed == []
    # as read: the line that held it (in a delivered or pretty file, the whole document)
    as_read = records[0] + b"\n" if shape == "lines" else src.read_bytes()
    with open_artifact(case.root / entry.path) as stored:
        assert stored.read() == as_read
    assert verify_case(case.root).ok
