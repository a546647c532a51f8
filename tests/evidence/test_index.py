"""case.duckdb: every table always there, rebuilt identically, filled from the manifest."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import zipfile
from pathlib import Path

import orjson
import pytest

from lambda_ir.evidence import Case, logs
from lambda_ir.evidence.index import build_index, index_path, open_index
from lambda_ir.evidence.index_logs import unread_logs
from lambda_ir.evidence.index_schema import TABLE_NAMES
from lambda_ir.evidence.layout import TMP_DIR

ACCOUNT, REGION = "111122223333", "eu-west-1"
STREAM = "2024/05/01/[$LATEST]0123456789abcdef"
RID = "6bc28136-xmpl-4365-b021-0ce6b2e64ab0".replace("xmpl", "0a1b")


def code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # Fixed timestamps: the same call must give the same bytes (the test hashes it twice).
        app = zipfile.ZipInfo("app.py", date_time=(2024, 1, 1, 0, 0, 0))
        archive.writestr(app, "def handler(event, context):\n    return 'evil.example.com'\n")
        archive.writestr(zipfile.ZipInfo("../escape.txt", date_time=(2024, 1, 1, 0, 0, 0)), "x")
    return buffer.getvalue()


def config(version: str, sha: str) -> dict:
    return {
        "FunctionName": "pay",
        "FunctionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:pay:{version}",
        "Version": version,
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "Role": f"arn:aws:iam::{ACCOUNT}:role/pay-role",
        "CodeSha256": sha,
        "CodeSize": 100,
        "Timeout": 3,
        "MemorySize": 128,
        "LastModified": "2024-05-01T10:00:00.000+0000",
        "PackageType": "Zip",
        "Environment": {"Variables": {"STAGE": "prod"}},
    }


def log_lines() -> bytes:
    events = [
        (1714557600000, f"START RequestId: {RID} Version: $LATEST"),
        (1714557601000, f"2024-05-01T10:00:01.000Z {RID} Task timed out after 3.00 seconds"),
        (
            1714557601001,
            f"REPORT RequestId: {RID}\tDuration: 3003.44 ms\tBilled Duration: 3000 ms"
            "\tMemory Size: 128 MB\tMax Memory Used: 41 MB\tInit Duration: 150.50 ms",
        ),
    ]
    body = b"".join(
        orjson.dumps({"timestamp": t, "message": m, "logStreamName": STREAM}) + b"\n"
        for t, m in events
    )
    return gzip.compress(body)


def make_case(root: Path) -> Case:
    case = Case.create(root)
    blob = code_zip()
    sha = base64.b64encode(hashlib.sha256(blob).digest()).decode()
    src = {"account": ACCOUNT, "region": REGION}
    raw = f"raw/{ACCOUNT}/{REGION}/lambda/functions/pay"
    case.put_json(
        f"{raw}/get-function/$LATEST.json",
        {"Configuration": config("$LATEST", sha), "Code": {}, "Tags": {"team": "a"}},
        kind="function",
        api="lambda:GetFunction",
        params={"FunctionName": "pay", "Qualifier": "$LATEST"},
        **src,
    )
    case.put_json(
        f"{raw}/versions/1.json",
        {"Versions": [config("$LATEST", sha), config("1", sha)]},
        kind="function-versions",
        api="lambda:ListVersionsByFunction",
        params={"FunctionName": "pay", "page": 1},
        **src,
    )
    policy = {
        "Statement": [
            {
                "Sid": "public",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "lambda:InvokeFunction",
            }
        ]
    }
    case.put_json(
        f"{raw}/policy/_.json",
        {"Policy": json.dumps(policy)},
        kind="policy",
        api="lambda:GetPolicy",
        params={"FunctionName": "pay"},
        **src,
    )
    case.put_bytes(
        blob,
        kind="code",
        api="lambda:GetFunction",
        params={"FunctionName": "pay", "Qualifier": "1"},
        meta={"code_sha256": sha},
        **src,
    )
    case.put_bytes(
        log_lines(),
        f"logs/{ACCOUNT}/{REGION}/%2Faws%2Flambda%2Fpay/s.jsonl.gz",
        kind="logs",
        api="logs:FilterLogEvents",
        params={"logGroupName": "/aws/lambda/pay"},
        **src,
    )
    case.put_json(
        f"raw/{ACCOUNT}/global/iam/roles/pay-role/role.json",
        {
            "Role": {
                "RoleName": "pay-role",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/pay-role",
                "CreateDate": "2024-01-01T00:00:00Z",
                "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D",
            }
        },
        kind="role",
        api="iam:GetRole",
        params={"RoleName": "pay-role"},
        account=ACCOUNT,
    )
    case.record_error(
        kind="logs",
        api="logs:FilterLogEvents",
        error="ResourceNotFoundException: gone",
        params={"logGroupName": "/aws/lambda/old"},
        **src,
    )
    return case


def dump(case: Case) -> dict[str, list]:
    with open_index(case) as con:
        return {
            t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLE_NAMES
        }


def test_empty_case_has_every_table(tmp_path: Path) -> None:
    case = Case.create(tmp_path / "case")
    tables = dump(case)
    assert set(tables) == set(TABLE_NAMES)
    assert all(rows == [] for name, rows in tables.items() if name != "index_meta")


def test_tables_from_evidence(tmp_path: Path) -> None:
    case = make_case(tmp_path / "case")
    with open_index(case) as con:
        versions = con.execute(
            "SELECT version, code_sha256_hex, environment->>'$.Variables.STAGE', last_modified "
            "FROM versions ORDER BY version"
        ).fetchall()
        assert [v[0] for v in versions] == ["$LATEST", "1"]
        blob_sha = hashlib.sha256(code_zip()).hexdigest()
        assert versions[0][1] == blob_sha and versions[0][2] == "prod"
        assert str(versions[0][3]) == "2024-05-01 10:00:00"
        assert con.execute("SELECT tags->>'team' FROM functions").fetchall() == [("a",)]
        assert con.execute("SELECT statement->>'Principal' FROM policies").fetchall() == [("*",)]
        members = dict(con.execute("SELECT member, note FROM code_files").fetchall())
        assert members["app.py"] is None and "unsafe" in members["../escape.txt"]
        report = con.execute(
            "SELECT request_id, duration_ms, billed_ms, memory_mb, max_memory_mb, init_ms, status,"
            " version, function_name FROM report_lines"
        ).fetchall()
        assert report == [(RID, 3003.44, 3000.0, 128, 41, 150.5, "timeout", "$LATEST", "pay")]
        assert con.execute(
            "SELECT count(*) FROM log_events WHERE request_id = ?", [RID]
        ).fetchone() == (3,)
        assert con.execute("SELECT assume_role_policy->>'Version' FROM roles").fetchone() == (
            "2012-10-17",
        )
        assert con.execute("SELECT reason FROM ingest_warnings").fetchall() == [
            ("ResourceNotFoundException: gone",)
        ]


def test_json_log_format_reports(tmp_path: Path) -> None:
    report = {
        "time": "2024-05-01T10:00:01.000Z",
        "type": "platform.report",
        "record": {
            "requestId": RID,
            "metrics": {
                "durationMs": 12.5,
                "billedDurationMs": 13,
                "memorySizeMB": 256,
                "maxMemoryUsedMB": 70,
                "initDurationMs": 99.1,
            },
            "status": "error",
        },
    }
    app = {
        "timestamp": "2024-05-01T10:00:00.500Z",
        "level": "ERROR",
        "requestId": RID,
        "message": "boom",
    }
    events = [(1714557600500, json.dumps(app)), (1714557601000, json.dumps(report))]
    body = b"".join(
        orjson.dumps({"timestamp": t, "message": m, "logStreamName": STREAM}) + b"\n"
        for t, m in events
    )
    case = Case.create(tmp_path / "case")
    case.put_bytes(
        gzip.compress(body),
        "logs/a/r/g/events.jsonl.gz",
        kind="logs",
        api="logs:FilterLogEvents",
        params={"logGroupName": "/custom/json"},
        meta={"function_name": "pay"},
        account=ACCOUNT,
        region=REGION,
    )
    with open_index(case) as con:
        assert con.execute(
            "SELECT count(*) FROM log_events WHERE request_id = ?", [RID]
        ).fetchone() == (2,)
        rows = con.execute(
            "SELECT function_name, request_id, duration_ms, billed_ms, memory_mb, max_memory_mb,"
            " init_ms, status FROM report_lines"
        ).fetchall()
        assert rows == [("pay", RID, 12.5, 13.0, 256, 70, 99.1, "error")]
    parsed = logs.parse_report(json.dumps(report))
    assert parsed is not None and parsed.cold_start and parsed.status == "error"


def test_delete_and_rebuild_gives_same_tables(tmp_path: Path) -> None:
    case = make_case(tmp_path / "case")
    first = dump(case)
    index_path(case).unlink()
    assert dump(case) == first


def test_open_index_rebuilds_when_evidence_is_added(tmp_path: Path) -> None:
    case = make_case(tmp_path / "case")
    build_index(case)
    case.put_bytes(
        gzip.compress(
            orjson.dumps({"eventID": "late", "eventName": "GetPolicy20150331v2"}) + b"\n"
        ),
        "trail/import/x/late.jsonl.gz",
        kind="trail",
        api="local:import",
        params={"source": "late"},
    )
    with open_index(case) as con:
        assert con.execute("SELECT operation FROM trail_events").fetchall() == [("GetPolicy",)]


def test_code_sha256_hex_for_zip_and_image_functions() -> None:
    from lambda_ir.evidence.index_values import code_sha256_hex

    digest = hashlib.sha256(b"package").digest()
    assert code_sha256_hex(base64.b64encode(digest).decode()) == digest.hex()
    assert code_sha256_hex(digest.hex().upper()) == digest.hex()  # image digest, already hex
    assert code_sha256_hex("not base64!") is None


def test_overlapping_log_windows_index_each_event_once(tmp_path: Path) -> None:
    """Two collections whose windows overlap store some events twice; the index keeps one."""
    case = Case.create(tmp_path / "case")

    def events(*numbered: int) -> bytes:
        return gzip.compress(
            b"".join(
                orjson.dumps(
                    {
                        "timestamp": 1714557600000 + n,
                        "message": f"line {n}",
                        "logStreamName": STREAM,
                        "eventId": f"id-{n}",
                    }
                )
                + b"\n"
                for n in numbered
            )
        )

    for window, numbered in (("w1", (1, 2, 3)), ("w2", (2, 3, 4))):
        case.put_bytes(
            events(*numbered),
            f"logs/{ACCOUNT}/{REGION}/%2Faws%2Flambda%2Fpay/events-{window}.jsonl.gz",
            kind="logs",
            api="logs:FilterLogEvents",
            params={"logGroupName": "/aws/lambda/pay", "window": window},
            account=ACCOUNT,
            region=REGION,
        )
    with open_index(case) as con:
        rows = con.execute("SELECT message FROM log_events ORDER BY ts").fetchall()
    assert [r[0] for r in rows] == ["line 1", "line 2", "line 3", "line 4"]


def test_a_memory_limit_keeps_duckdb_within_it_spilling_under_the_case(tmp_path: Path) -> None:
    # The report sorts every trail event for its page: without a limit DuckDB took 740 MB
    # at once on a million events; with one it spills to the case's own scratch folder.
    case = Case.create(tmp_path / "case")
    with open_index(case, memory_limit="64MB") as con:
        limit, spill = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone() or ("", "")
        assert limit == "61.0 MiB"  # 64 MB as DuckDB shows it
        assert Path(spill).parent == case.root / TMP_DIR
    with open_index(case) as con:  # without one, DuckDB's own default
        (limit,) = con.execute("SELECT current_setting('memory_limit')").fetchone() or ("",)
        assert limit != "61.0 MiB"


def _damaged(kind: str) -> bytes:
    """A log artifact of another function damaged one way: a truncated gzip, bytes that are
    not gzip at all, or one event whose time no reader can hold beside a good one."""
    good = {"timestamp": 1714557602000, "message": "other ok", "logStreamName": STREAM}
    if kind == "truncated":
        return gzip.compress(orjson.dumps(good) + b"\n" * 200)[:-12]
    if kind == "not-gzip":
        return b"this is no gzip stream\n"
    far = {**good, "timestamp": -99999999999999999, "message": "far"}
    return gzip.compress(orjson.dumps(far) + b"\n" + orjson.dumps(good) + b"\n")


@pytest.mark.parametrize("damage", ["truncated", "not-gzip", "time-out-of-range"])
def test_a_damaged_log_artifact_costs_only_itself(tmp_path: Path, damage: str) -> None:
    """One bad artifact used to fail the one scan of all of them: `log_events` was empty for
    every function, said only in a warning."""
    case = make_case(tmp_path / "case")
    bad = f"logs/{ACCOUNT}/{REGION}/%2Faws%2Flambda%2Fother/s.jsonl.gz"
    case.put_bytes(
        _damaged(damage),
        bad,
        kind="logs",
        api="logs:FilterLogEvents",
        params={"logGroupName": "/aws/lambda/other"},
        account=ACCOUNT,
        region=REGION,
    )
    with open_index(case) as con:
        by_function = dict(
            con.execute("SELECT function_name, count(*) FROM log_events GROUP BY 1").fetchall()
        )
        assert by_function["pay"] == 3  # the good artifact whole, its REPORT read too
        assert con.execute("SELECT status FROM report_lines").fetchall() == [("timeout",)]
        warned = con.execute("SELECT reason FROM ingest_warnings WHERE file = ?", [bad]).fetchall()
        (unread,) = unread_logs(con)
    assert len(warned) == 1 and (unread.path, unread.function_name) == (bad, "other")
    if damage == "time-out-of-range":  # only the event is lost
        assert by_function["other"] == 1
        assert warned == [("1 event(s) left out: a timestamp outside the years 1 to 9999",)]
    else:
        assert "other" not in by_function
        assert warned[0][0].startswith("not read, none of its events indexed: ")
        assert str(tmp_path) not in warned[0][0]  # the artifact by its case path


def _put_events(case: Case, events: list[dict]) -> str:
    """A logs artifact of function pay's log group holding `events`; returns its path."""
    path = "logs/a/r/g/events.jsonl.gz"
    case.put_bytes(
        gzip.compress(b"".join(orjson.dumps(e) + b"\n" for e in events)),
        path,
        kind="logs",
        api="logs:FilterLogEvents",
        params={"logGroupName": "/aws/lambda/pay"},
        account=ACCOUNT,
        region=REGION,
    )
    return path


def test_a_log_time_past_year_9999_is_left_out_and_counted(tmp_path: Path) -> None:
    """DuckDB holds times to year 294247, Python and the timeline to 9999: such an event
    would have been indexed with a time no reader can read."""
    case = Case.create(tmp_path / "case")
    events = [
        {"timestamp": 253402300800000, "message": "year 10000", "logStreamName": STREAM},
        {"timestamp": 253402300799999, "message": "last ms of 9999", "logStreamName": STREAM},
        {"message": "no time", "logStreamName": STREAM},
    ]
    path = _put_events(case, events)
    with open_index(case) as con:
        kept = con.execute("SELECT message, ts FROM log_events ORDER BY message").fetchall()
        warned = con.execute("SELECT file, reason FROM ingest_warnings").fetchall()
    assert [message for message, _ in kept] == ["last ms of 9999", "no time"]
    assert warned == [(path, "1 event(s) left out: a timestamp outside the years 1 to 9999")]


def test_log_lines_without_event_id_or_timestamp_are_each_kept(tmp_path: Path) -> None:
    """Copies of one event (overlapping collections) are kept once by eventId, else by stream,
    time and message: a line without a timestamp made that key NULL, and every such line of
    the log group but one was dropped without a word."""
    case = Case.create(tmp_path / "case")
    events = [
        {"message": "START no time", "logStreamName": STREAM},
        {"message": "a stolen key was used", "logStreamName": STREAM},
        {"message": "no stream either"},
        {"message": "no stream either"},  # the same line twice: one event, as before
        {"timestamp": 1714557602000, "message": "timed", "logStreamName": STREAM},
    ]
    _put_events(case, events)
    with open_index(case) as con:
        found = con.execute("SELECT message FROM log_events ORDER BY message").fetchall()
    kept = [m for (m,) in found]
    assert kept == ["START no time", "a stolen key was used", "no stream either", "timed"]
