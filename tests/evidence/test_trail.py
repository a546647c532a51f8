"""CloudTrail import: every common shape, bad input as warnings, the Stratus detonation logs."""

from __future__ import annotations

import gzip
import io
import json
import os
import platform
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import orjson
import pytest

from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.index import build_index
from lambda_ir.evidence.index_trail import record_files, records_query
from lambda_ir.evidence.trail import MAX_AS_SENT, AsSent, import_trail
from lambda_ir.evidence.trail_read import (
    MAX_DOCUMENT,
    MAX_RECORD,
    MAX_WHOLE_GZIP,
    iter_record_blocks,
    iter_record_lines,
    open_stream,
)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
STRATUS = DATA / "stratus-red-team-detonation-logs"


def record(event_id: str, name: str = "GetFunction20150331v2", **extra: object) -> dict:
    return {
        "eventID": event_id,
        "eventTime": "2024-05-01T10:00:00Z",
        "eventSource": "lambda.amazonaws.com",
        "eventName": name,
        "awsRegion": "eu-west-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/deployer/alice-session",
            "accessKeyId": "ASIAEXAMPLE",
            "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/deployer"}},
        },
        "requestParameters": {
            "functionName": "arn:aws:lambda:eu-west-1:111122223333:function:pay:7"
        },
        **extra,
    }


def lines_of(data: bytes) -> tuple[list[dict], list[str]]:
    problems: list[str] = []
    out = [orjson.loads(line) for line in iter_record_lines(io.BytesIO(data), problems)]
    return out, problems


def test_records_object_array_lines_and_lookup_output_all_read() -> None:
    recs = [record("a"), record("b")]
    shapes = [
        json.dumps({"Records": recs}).encode(),
        json.dumps(recs, indent=3).encode(),
        b"\n".join(json.dumps(r).encode() for r in recs) + b"\n",
        json.dumps(
            {"Events": [{"EventId": r["eventID"], "CloudTrailEvent": json.dumps(r)} for r in recs]}
        ).encode(),
        json.dumps({"Records": recs}, indent=2).encode(),
    ]
    for shape in shapes:
        out, problems = lines_of(shape)
        assert [r["eventID"] for r in out] == ["a", "b"], shape[:40]
        assert problems == []


def test_one_line_records_file_with_carriage_returns_gives_one_line_per_record() -> None:
    recs = [record("a"), record("b")]
    # CRs as JSON whitespace inside records (no LF, so the file is still one line).
    body = ",".join(json.dumps(r, indent=1).replace("\n", "\r") for r in recs)
    data = ('{"Records": [' + body + "]}").encode()
    problems: list[str] = []
    lines = list(iter_record_lines(io.BytesIO(data), problems))
    assert [orjson.loads(line)["eventID"] for line in lines] == ["a", "b"]
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in lines)
    assert not any(b"\r" in line for line in lines)
    assert problems == []


def test_records_holding_a_non_object_keep_only_the_objects() -> None:
    out, problems = lines_of(json.dumps({"Records": [record("a"), "junk"]}).encode())
    assert [r["eventID"] for r in out] == ["a"]
    # Counted, never dropped unsaid (issue #18): the junk element is named as skipped.
    assert problems == [
        "1 line(s) skipped: element skipped: str that is not a CloudTrail record (first at line 1)"
    ]


def test_bad_lines_are_counted_and_the_rest_kept() -> None:
    good = json.dumps(record("ok")).encode()
    data = b"\n".join(
        [good, b"{not json", b'{"eventID": "x\xff\xfe"}', good.replace(b'"ok"', b'"ok2"')]
    )
    out, problems = lines_of(data)
    assert [r["eventID"] for r in out] == ["ok", "ok2"]
    assert any("invalid JSON" in p and "first at line 2" in p for p in problems)
    assert any("not UTF-8" in p for p in problems)


def test_oversized_line_is_skipped_without_reading_it_whole() -> None:
    big = b'{"eventID": "' + b"x" * 5000 + b'"}'
    data = json.dumps(record("a")).encode() + b"\n" + big + b"\n" + json.dumps(record("b")).encode()
    problems: list[str] = []
    out = list(iter_record_lines(io.BytesIO(data), problems, max_document=1000))
    assert [orjson.loads(x)["eventID"] for x in out] == ["a", "b"]
    assert problems == ["1 line(s) skipped: line longer than 1000 bytes (first at line 2)"]


def test_oversized_document_is_skipped() -> None:
    data = json.dumps([record(str(i)) for i in range(50)], indent=1).encode()
    problems: list[str] = []
    assert list(iter_record_lines(io.BytesIO(data), problems, max_document=1000)) == []
    assert problems and "larger than 1000 bytes" in problems[0]


def write_inputs(folder: Path) -> None:
    folder.mkdir()
    (folder / "a.json.gz").write_bytes(
        gzip.compress(
            json.dumps(
                {"Records": [record("e1"), record("e2", "UpdateFunctionCode20150331v2")]}
            ).encode()
        )
    )
    (folder / "b.jsonl").write_bytes(
        b"\n".join(
            json.dumps(r).encode()
            for r in [record("e2", "UpdateFunctionCode20150331v2"), record("e3")]
        )
    )
    whole = gzip.compress(b"\n".join(json.dumps(record(f"t{i}")).encode() for i in range(200)))
    (folder / "truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (folder / "garbage.json").write_bytes(b"\x00\xff not json at all")
    digest = folder / "CloudTrail-Digest"
    digest.mkdir()
    (digest / "d.json.gz").write_bytes(gzip.compress(b"{}"))


def test_import_folder_dedups_records_warnings_and_ignores_digests(tmp_path: Path) -> None:
    write_inputs(tmp_path / "in")
    case = Case.create(tmp_path / "case")
    summary = import_trail(case, [tmp_path / "in"], workers=2)
    assert len(summary.ignored) == 1
    by_name = {f.source.split("/")[-1]: f for f in summary.files}
    assert by_name["a.json.gz"].records == 2 and by_name["b.jsonl"].records == 2
    assert by_name["garbage.json"].artifact is None and by_name["garbage.json"].problems
    truncated = by_name["truncated.jsonl.gz"]
    assert 0 < truncated.records < 200
    assert any("truncated or corrupt" in p for p in truncated.problems)
    errors = [e for e in case.entries() if e.error]
    assert len(errors) == summary.warnings >= 2
    con = duckdb.connect(str(build_index(case)), read_only=True)
    ids = [r[0] for r in con.execute("SELECT event_id FROM trail_events").fetchall()]
    assert len(ids) == len(set(ids)) == 3 + truncated.records
    row = con.execute(
        "SELECT operation, function_name, qualifier, actor_name, actor_type, session_issuer_arn,"
        " request_parameters->>'functionName' FROM trail_events WHERE event_id = 'e2'"
    ).fetchone()
    assert row == (
        "UpdateFunctionCode",
        "pay",
        "7",
        "alice-session",
        "AssumedRole",
        "arn:aws:iam::111122223333:role/deployer",
        "arn:aws:lambda:eu-west-1:111122223333:function:pay:7",
    )
    warned = con.execute("SELECT count(*) FROM ingest_warnings").fetchone()
    assert warned == (len(errors),)


def test_file_name_not_utf8_is_recorded_escaped_and_the_case_stays_intact(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    # A name the file system holds as bytes: Python reads b"\xff" as the lone surrogate \udcff.
    Path(os.fsdecode(bytes(folder) + b"/bad\xff.json")).write_text(
        json.dumps({"Records": [record("odd")]})
    )
    (folder / "later.json").write_text(json.dumps({"Records": [record("later")]}))
    case = Case.create(tmp_path / "case")
    summary = import_trail(case, [folder], workers=1)
    assert [(f.source, f.records) for f in summary.files] == [
        ("in/bad\\udcff.json", 1),
        ("in/later.json", 1),
    ]
    sources = [e.params["source"] for e in Case.open(case.root).entries()]
    assert sources == ["in/bad\\udcff.json", "in/later.json"]
    assert verify_case(case.root).ok


# eventTime values DuckDB's cast took: its special values, years Python cannot hold, a year
# before CloudTrail, an offset that carries the time past 9999, a day that does not exist.
ODD_TIMES = (
    *("infinity", "-infinity", "epoch", "now", "10000-01-01T00:00:00Z"),
    *("-000001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "9999-12-31T23:00:00-05:00"),
    *("2024-02-30T10:00:00Z", "2024-05-01T10:00:00Zjunk", 1714557600, None),
)


def test_event_time_is_an_iso_time_of_1970_to_9999_and_else_null_with_a_warning(
    tmp_path: Path,
) -> None:
    good = {
        "z": ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10)),
        "fraction": ("2024-05-01T10:00:00.250Z", datetime(2024, 5, 1, 10, 0, 0, 250000)),
        "offset": ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10)),
    }
    records = [record(name, eventTime=text) for name, (text, _) in good.items()]
    records += [record(f"odd{i}", eventTime=value) for i, value in enumerate(ODD_TIMES)]
    src = tmp_path / "times.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    case = Case.create(tmp_path / "case")
    import_trail(case, [src])
    con = duckdb.connect(str(build_index(case)), read_only=True)
    times = dict(con.execute("SELECT event_id, event_time FROM trail_events").fetchall())
    assert times == {
        **{name: moment for name, (_, moment) in good.items()},
        **{f"odd{i}": None for i in range(len(ODD_TIMES))},
    }
    (warning,) = con.execute("SELECT reason FROM ingest_warnings").fetchall()
    assert f": {len(ODD_TIMES)} event(s) without a time" in warning[0]


def test_stratus_detonation_logs_all_imported(tmp_path: Path) -> None:
    files = sorted(STRATUS.glob("*.json"))
    expected = {r["eventID"] for f in files for r in json.loads(f.read_text())}
    case = Case.create(tmp_path / "case")
    summary = import_trail(case, files)
    assert summary.warnings == 0 and summary.skipped == 0
    con = duckdb.connect(str(build_index(case)), read_only=True)
    ids = {r[0] for r in con.execute("SELECT event_id FROM trail_events").fetchall()}
    assert ids == expected
    lambda_ops = {
        r[0]: r[1]
        for r in con.execute(
            "SELECT operation, function_name FROM trail_events "
            "WHERE event_source = 'lambda.amazonaws.com' AND function_name IS NOT NULL"
        ).fetchall()
    }
    assert lambda_ops["AddPermission"] == "stratus-red-team-backdoor-f-func"
    assert "UpdateFunctionCode" in lambda_ops and "UpdateFunctionConfiguration" in lambda_ops
    assert con.execute("SELECT count(*) FROM trail_events WHERE event_time IS NULL").fetchone() == (
        0,
    )


@pytest.mark.parametrize(
    ("name", "operation"),
    [
        ("UpdateFunctionCode20150331v2", "UpdateFunctionCode"),
        ("CreateFunction20150331", "CreateFunction"),
        ("PublishLayerVersion20181031", "PublishLayerVersion"),
        ("GetFunctionUrlConfig", "GetFunctionUrlConfig"),
        ("CreateDistribution2020_05_31", "CreateDistribution"),
    ],
)
def test_operation_strips_api_version(tmp_path: Path, name: str, operation: str) -> None:
    src = tmp_path / "one.json"
    src.write_text(json.dumps({"Records": [record("x", name)]}))
    case = Case.create(tmp_path / "case")
    import_trail(case, [src])
    con = duckdb.connect(str(build_index(case)), read_only=True)
    assert con.execute("SELECT operation FROM trail_events").fetchone() == (operation,)


def test_function_from_resources_for_data_events(tmp_path: Path) -> None:
    invoke = record("inv", "Invoke", requestParameters=None)
    invoke["resources"] = [
        {
            "type": "AWS::Lambda::Function",
            "ARN": "arn:aws:lambda:eu-west-1:111122223333:function:pay:live",
        },
    ]
    src = tmp_path / "data.jsonl"
    src.write_bytes(orjson.dumps(invoke) + b"\n")
    case = Case.create(tmp_path / "case")
    import_trail(case, [src])
    con = duckdb.connect(str(build_index(case)), read_only=True)
    row = con.execute("SELECT function_name, qualifier, request_parameters FROM trail_events")
    assert row.fetchone() == ("pay", "live", None)


def test_cli_import_twice_is_harmless_and_counts_problems(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from lambda_ir.cli.main import cli

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.json").write_text(json.dumps({"Records": [record("a"), record("b")]}))
    (src / "bad.json").write_bytes(b"\xff\xfe{")
    case_dir = str(tmp_path / "case")
    for _ in range(2):
        result = CliRunner().invoke(cli, ["--json", "import-trail", "--case", case_dir, str(src)])
        assert result.exit_code == 0, result.output
        summary = orjson.loads(result.stdout)
        assert (summary["records"], summary["skipped_files"], summary["unique_events"]) == (2, 1, 2)
        assert summary["warnings"] == 1
    index = CliRunner().invoke(cli, ["--json", "index", "--case", case_dir])
    assert index.exit_code == 0 and orjson.loads(index.stdout)["rows"]["trail_events"] == 2


def test_huge_single_line_is_skipped_and_following_lines_kept() -> None:
    data = b"x" * 3000 + b"\n" + json.dumps(record("after")).encode() + b"\n"
    problems: list[str] = []
    out = list(iter_record_lines(io.BytesIO(data), problems, max_document=1000))
    assert [orjson.loads(x)["eventID"] for x in out] == ["after"]
    assert problems == ["first line or document larger than 1000 bytes; skipped"]
    broken = json.dumps({"Events": [{"CloudTrailEvent": "{not json"}]}).encode()
    assert lines_of(broken) == (
        [],
        [
            "1 line(s) skipped: element skipped: CloudTrailEvent that does not parse"
            " (invalid JSON) (first at line 1)"
        ],
    )


def test_event_time_with_an_offset_is_converted_to_utc(tmp_path: Path) -> None:
    src = tmp_path / "tz.jsonl"
    src.write_bytes(orjson.dumps(record("tz", eventTime="2024-05-01T12:00:00+02:00")) + b"\n")
    case = Case.create(tmp_path / "case")
    import_trail(case, [src])
    con = duckdb.connect(str(build_index(case)), read_only=True)
    found = con.execute("SELECT strftime(event_time, '%Y-%m-%d %H:%M') FROM trail_events")
    assert found.fetchone() == ("2024-05-01 10:00",)


def test_a_delivered_file_becomes_its_own_record_bytes_one_per_line() -> None:
    """The fast path turns the compact array into lines without touching a record's bytes."""
    tricky = [
        record("a", requestParameters={"s": '},{"eventID":"forged"},{', "n": [1, {"x": "]"}]}),
        record("b", userAgent='agent, with "quotes", \\ and \u00e9 {[,]}'),
        record("c"),
    ]
    compact = [orjson.dumps(r) for r in tricky]
    # Written by another serializer: inner spaces and escapes that re-encoding would change.
    compact[1] = compact[1].replace(b'"eventID":"b"', b'"eventID" : "b" ,"esc":"\\u00e9"')
    delivered = b'{"Records":[' + b",".join(compact) + b"]}"
    problems: list[str] = []
    lines = list(iter_record_lines(io.BytesIO(delivered), problems))
    assert lines == [c + b"\n" for c in compact] and problems == []
    # Spaces between records, an extra top-level key: same records through the general path.
    spaced = b'{"Records": [' + b", ".join(compact) + b"]}"
    extra = b'{"Records":[' + b",".join(compact) + b'],"Other":1}'
    for variant in (spaced, extra):
        out, problems = lines_of(variant)
        assert [r["eventID"] for r in out] == ["a", "b", "c"] and problems == []
    out, problems = lines_of(b'{"Records":[{"eventID":"a"},3]}')
    assert [r["eventID"] for r in out] == ["a"]


def test_a_large_delivered_file_is_cut_into_blocks_without_losing_a_record() -> None:
    compact = [orjson.dumps(record(f"e{n}", padding="x" * (700 + n % 300))) for n in range(4000)]
    delivered = b'{"Records":[' + b",".join(compact) + b"]}\n"
    assert len(delivered) > 3 * (1 << 20)  # several ~1 MB blocks
    problems: list[str] = []
    blocks = list(iter_record_blocks(io.BytesIO(delivered), problems))
    assert len(blocks) > 2 and sum(b.records for b in blocks) == 4000 and problems == []
    assert b"".join(b.data for b in blocks) == b"".join(c + b"\n" for c in compact)


def test_gzip_is_inflated_whole_only_when_clean_and_bounded() -> None:
    """Whole-file inflating must read what streaming reads: every member, nothing unbounded."""
    recs = [orjson.dumps(record(f"m{n}")) for n in range(3)]
    members = b"".join(gzip.compress(r + b"\n") for r in recs)  # `cat a.gz b.gz c.gz`
    assert isinstance(open_stream(io.BytesIO(members)), io.BytesIO)
    problems: list[str] = []
    lines = iter_record_lines(open_stream(io.BytesIO(members)), problems)
    assert [orjson.loads(x)["eventID"] for x in lines] == ["m0", "m1", "m2"] and problems == []
    # Padding after the last member is not clean gzip: streamed, so the reader says what it is.
    padded = open_stream(io.BytesIO(members + b"\x00" * 8))
    assert not isinstance(padded, io.BytesIO)
    # A member that inflates past the document limit is never inflated whole.
    bomb = gzip.compress(b" " * (MAX_DOCUMENT + 2))
    assert len(bomb) < MAX_WHOLE_GZIP and not isinstance(open_stream(io.BytesIO(bomb)), io.BytesIO)
    half = gzip.compress(b"\n".join(recs))
    lines = list(iter_record_lines(open_stream(io.BytesIO(half[: len(half) // 2])), problems))
    assert lines == [] and problems and problems[0].startswith("truncated or corrupt")


def test_a_record_too_large_to_index_is_skipped_and_the_rest_kept() -> None:
    huge = orjson.dumps(record("huge", responseElements={"blob": "x" * (MAX_RECORD + 10)}))
    small = [orjson.dumps(record("a")), orjson.dumps(record("b"))]
    delivered = b'{"Records":[' + b",".join([small[0], huge, small[1]]) + b"]}"
    as_lines = b"\n".join([small[0], huge, small[1]]) + b"\n"
    for data, line in ((delivered, 1), (as_lines, 2)):
        out, problems = lines_of(data)
        assert [r["eventID"] for r in out] == ["a", "b"]
        assert problems == [
            f"1 line(s) skipped: record larger than {MAX_RECORD} bytes (first at line {line})"
        ]


def test_records_reads_each_indexed_event_back_once_from_its_kept_copy(tmp_path: Path) -> None:
    """The raw record is not stored in the index: records_query reads it from the evidence."""
    first = [record("e1"), record("e2", userAgent="from a")]
    second = [record("e2", userAgent="from b"), record("e3")]
    nameless = {k: v for k, v in record("x").items() if k != "eventID"}
    (tmp_path / "a.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in first))
    (tmp_path / "b.jsonl").write_bytes(
        b"".join(orjson.dumps(r) + b"\n" for r in (*second, nameless))
    )
    case = Case.create(tmp_path / "case")
    import_trail(case, [tmp_path / "a.jsonl", tmp_path / "b.jsonl"], workers=1)
    con = duckdb.connect(str(build_index(case)), read_only=True)
    assert "record" not in {c[0] for c in con.execute("DESCRIBE trail_events").fetchall()}
    files = record_files(con, case.root)
    assert len(files) == 2 and all(Path(f).is_file() for f in files)
    every = records_query("true")
    rows = con.execute(
        f"SELECT event_id, evidence_path, user_agent, record FROM ({every}) ORDER BY 1", [files]
    ).fetchall()
    kept = dict(con.execute("SELECT event_id, evidence_path FROM trail_events").fetchall())
    assert [r[0] for r in rows] == sorted(kept) and len(kept) == 4  # e1, e2, e3, md5:…
    for event_id, path, agent, raw in rows:  # e2's record is the copy its row was made from
        assert path == kept[event_id] and orjson.loads(raw).get("userAgent") == agent
    assert orjson.loads(next(r for r in rows if r[0].startswith("md5:"))[3]) == nameless


_FAULTS = """
import resource, sys
from pathlib import Path
from lambda_ir.evidence import Case, verify_case
from lambda_ir.evidence.trail import import_trail, reuse_freed_memory
if sys.argv[2] == "reuse":
    reuse_freed_memory()
folder = Path(sys.argv[1])
case = Case.create(folder / sys.argv[2])
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
import_trail(case, sorted(folder.glob("*.json.gz")), workers=1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_an_import_process_reuses_freed_buffers_instead_of_faulting_them_in(
    tmp_path: Path,
) -> None:
    for n in range(6):  # delivered files of ~5 MB, as CloudTrail writes them
        records = [record(f"{n}-{i}", padding="p" * 900) for i in range(5000)]
        (tmp_path / f"{n}.json.gz").write_bytes(
            gzip.compress(orjson.dumps({"Records": records}), 1)
        )

    def faults(mode: str) -> int:
        run = subprocess.run(
            [sys.executable, "-c", _FAULTS, str(tmp_path), mode],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(run.stdout)

    # Measured 7,300 page faults against 1,800: each file's buffers are faulted in afresh.
    assert faults("reuse") * 2 < faults("default")


def test_fields_of_an_unexpected_type_are_kept_as_text_not_a_failed_file(tmp_path: Path) -> None:
    odd = [
        record("odd", userIdentity="not an object", eventTime=1714557600, readOnly=True),
        record("obj", errorCode={"nested": [1]}, requestParameters=None),
        {k: v for k, v in record("x", userIdentity={"arn": 7}).items() if k != "eventID"},
    ]
    src = tmp_path / "odd.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in odd))
    case = Case.create(tmp_path / "case")
    import_trail(case, [src])
    con = duckdb.connect(str(build_index(case)), read_only=True)
    (warning,) = con.execute("SELECT reason FROM ingest_warnings").fetchall()  # the time only
    assert ": 1 event(s) without a time" in warning[0]
    rows = con.execute(
        "SELECT event_id, actor_arn, event_time, read_only, error_code,"
        " request_parameters->>'functionName', function_name FROM trail_events"
    ).fetchall()
    by_id = {r[0]: r[1:] for r in rows}
    pay = "arn:aws:lambda:eu-west-1:111122223333:function:pay:7"
    assert by_id["odd"] == (None, None, True, None, pay, "pay")  # a number is no time
    assert by_id["obj"] == (
        "arn:aws:sts::111122223333:assumed-role/deployer/alice-session",
        datetime(2024, 5, 1, 10, 0),
        None,
        '{"nested":[1]}',
        None,  # JSON null is NULL
        None,
    )
    (nameless,) = [v for k, v in by_id.items() if k.startswith("md5:")]
    assert nameless[0] == "7" and nameless[4:] == (pay, "pay")


def test_a_key_given_twice_in_a_record_costs_no_event(tmp_path: Path) -> None:
    """DuckDB's JSON reader refuses a record with a key given twice: the file is read again
    line by line, every event kept, and the index says so."""
    good = [orjson.dumps(record(f"g{n}")) for n in range(5)]
    twice = orjson.dumps(record("twice"))[:-1] + b',"errorCode":"x","errorCode":"y"}'
    (tmp_path / "dup.jsonl").write_bytes(b"\n".join([*good, twice]) + b"\n")
    (tmp_path / "fine.jsonl").write_bytes(orjson.dumps(record("fine")) + b"\n")
    case = Case.create(tmp_path / "case")
    import_trail(case, [tmp_path / "dup.jsonl", tmp_path / "fine.jsonl"])
    con = duckdb.connect(str(build_index(case)), read_only=True)
    ids = {r[0] for r in con.execute("SELECT event_id FROM trail_events").fetchall()}
    assert ids == {"g0", "g1", "g2", "g3", "g4", "twice", "fine"}
    (warning,) = con.execute("SELECT file, reason FROM ingest_warnings").fetchall()
    assert warning[0] == "index" and "dup.jsonl" in warning[1] and "line by line" in warning[1]


def test_cli_import_of_only_bad_files_imports_nothing_and_fails(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "notes.json").write_text("not json\n")
    (src / "other.json").write_text(json.dumps({"Items": [{"id": 1}]}))
    command = [sys.executable, "-m", "lambda_ir", "import-trail", "--case", str(tmp_path / "c")]
    done = subprocess.run([*command, str(src)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "nothing imported: 0 records from 2 files (2 skipped, 2 warnings" in done.stderr
    assert "in/notes.json: 1 line(s) skipped: invalid JSON" in done.stderr
    # one good file among them: the good one is imported, the others warned of, exit 0
    (src / "good.json").write_text(json.dumps({"Records": [record("a")]}))
    again = subprocess.run([*command, str(src)], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "imported 1 record from 3 files (2 skipped, 2 warnings" in again.stdout
    assert "1 unique event in" in again.stdout
    assert "in/other.json: 1 line(s) skipped" in again.stderr


def test_cli_import_says_a_file_held_no_record(tmp_path: Path) -> None:
    """A well-formed file without records (`{"Records": []}`) is named as such, not only
    counted as skipped: the responder knows it was read and held nothing."""
    empty = tmp_path / "empty.json"
    empty.write_text('{"Records": []}')
    command = [sys.executable, "-m", "lambda_ir", "import-trail", "--case", str(tmp_path / "c")]
    done = subprocess.run([*command, str(empty)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "empty.json: no CloudTrail records in it" in done.stderr
    assert "nothing imported: 0 records from 1 file (1 skipped, 1 warning," in done.stderr
    assert not [e for e in Case.open(tmp_path / "c").entries() if e.error]  # no collection gap


def test_lines_kept_as_read_are_bounded_and_the_rest_counted() -> None:
    """A file of nothing but lone-surrogate lines held them all in memory until its end (a
    216 MB file took 226 MB more): past MAX_AS_SENT bytes they are counted, not kept (their
    records are imported all the same, the escapes as text)."""
    line = b"x" * (MAX_AS_SENT // 2 + 1)
    kept = AsSent()
    for _ in range(3):
        kept.append(line)
    assert len(kept) == 1 and kept.dropped == 2 and kept.size == len(line)
