"""CloudTrail collection against the emulator: LookupEvents and the trail bucket, de-duplicated
in one normalised table together with the Stratus Red Team detonation logs."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import orjson

from lambda_ir.acquire.cloudtrail import (
    collect_lambda_trail,
    collect_role_trail,
    estimated_seconds,
    lookup_window,
)
from lambda_ir.acquire.context import Scope
from lambda_ir.acquire.steps import FunctionTarget
from lambda_ir.acquire.trail_bucket import TrailBucket, collect_trail_bucket, day_prefixes, days
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from lambda_ir.evidence.trail import import_trail
from lambda_ir.evidence.trail_read import open_artifact
from tests.acquire import seed
from tests.acquire.test_logs import ACCOUNT, collect_context

STRATUS = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "stratus-red-team-detonation-logs"
)


def estate(session: boto3.Session, aws: Emulator) -> None:
    """A logging org-style trail, a function, 60 reads (to need 2 pages) and role activity."""
    s3 = seed.client(session, aws.endpoint_url, "s3")
    s3.create_bucket(Bucket="org-trail")
    trail = seed.client(session, aws.endpoint_url, "cloudtrail")
    trail.create_trail(
        Name="org", S3BucketName="org-trail", S3KeyPrefix="ct", IsMultiRegionTrail=True
    )
    trail.start_logging(Name="org")
    seed.function(session, aws.endpoint_url, "pay", ["print('v1')", "print('v2')"])
    lam = seed.client(session, aws.endpoint_url, "lambda")
    for _ in range(60):
        lam.get_function(FunctionName="pay")
    sts = seed.client(session, aws.endpoint_url, "sts")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/fn-role", RoleSessionName="pay")
    keys = creds["Credentials"]
    as_role = boto3.Session(
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"],
        region_name="us-east-1",
    )
    as_role.client("lambda", endpoint_url=aws.endpoint_url).list_functions()
    aws.flush_trails()


def test_lookup_and_bucket_and_stratus_in_one_deduplicated_table(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    estate(session, aws)
    today = datetime.now(UTC).strftime("%Y-%m-%dT00:00:00Z")
    scope = Scope(("us-east-1",), since=today)
    with collect_context(case, session, aws, scope) as ctx:
        collect_lambda_trail(ctx, "us-east-1")
        collect_role_trail(ctx, FunctionTarget(ACCOUNT, "us-east-1", "pay"))
        collect_trail_bucket(ctx, "us-east-1", bucket=TrailBucket.parse("s3://org-trail/ct"))
        assert ctx.tally.errors == []
    import_trail(case, [STRATUS])
    trail = {e.path: e for e in case.entries() if e.kind == "trail" and e.path}
    lookup = [p for p in trail if "/lookup/" in p]
    bucket = [p for p in trail if "/bucket/" in p]
    assert len(lookup) == 2 and bucket
    source = trail[next(p for p in lookup if "EventSource" in p)]
    assert source.meta["pages"] >= 2 and source.meta["complete"] is True
    seen = {p: ids_in(case, p) for p in trail}
    from_lookup = set().union(*(seen[p] for p in lookup))
    from_bucket = set().union(*(seen[p] for p in bucket))
    assert from_lookup & from_bucket  # the same calls came both ways
    expected = set().union(*seen.values())
    with open_index(case) as con:
        rows = con.execute("SELECT event_id FROM trail_events").fetchall()
        assert len(rows) == len(expected) and {r[0] for r in rows} == expected
        role_calls = con.execute(
            "SELECT operation, actor_name, session_issuer_arn FROM trail_events "
            "WHERE actor_type = 'AssumedRole' AND actor_name = 'pay'"
        ).fetchall()
        assert ("ListFunctions", "pay", f"arn:aws:iam::{ACCOUNT}:role/fn-role") in role_calls
        ops = {
            r[0]
            for r in con.execute(
                "SELECT operation FROM trail_events WHERE function_name = 'pay'"
            ).fetchall()
        }
        assert {"CreateFunction", "UpdateFunctionCode", "GetFunction"} <= ops
        stratus = con.execute(
            "SELECT count(*) FROM trail_events WHERE user_agent LIKE 'stratus-red-team%'"
        ).fetchone()
        assert stratus is not None and stratus[0] > 0


def ids_in(case: Case, path: str) -> set[str]:
    with open_artifact(case.path(path)) as stream:
        lines = stream.read().splitlines()
    return {orjson.loads(line)["eventID"] for line in lines}


def test_window_is_clamped_to_90_days_and_recorded(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    since = (datetime.now(UTC) - timedelta(days=200)).strftime("%Y-%m-%dT%H:%M:%SZ")
    start, _, clamped = lookup_window(since, None)
    assert clamped and start > since
    with collect_context(case, session, aws, Scope(("us-east-1",), since=since)) as ctx:
        collect_lambda_trail(ctx, "us-east-1")
        collect_role_trail(ctx, FunctionTarget(ACCOUNT, "us-east-1", "idle"))
    empty = [e for e in case.entries() if e.kind == "trail"]
    assert [(e.meta["lines"], e.meta["complete"]) for e in empty] == [(0, True), (0, True)]
    gaps = [e for e in case.entries() if e.kind == "gap"]
    assert [case.read_json(g.path or "")["gap"] for g in gaps] == ["cloudtrail-lookup-90-days"]
    assert estimated_seconds(5000) == 50.0


def test_day_prefixes_prune_to_scope() -> None:
    window = days("2026-11-19T22:00:00Z", "2026-11-20T01:00:00Z")
    assert window is not None and len(window) == 2
    prefixes = day_prefixes("ct/", ["", "o-abc/"], "111122223333", "eu-west-1", window)
    assert prefixes == [
        "ct/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/19/",
        "ct/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/20/",
        "ct/AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2026/11/19/",
        "ct/AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2026/11/20/",
    ]
    assert days(None, None) is None
    assert TrailBucket.parse("s3://b") == TrailBucket("b", "")


def test_org_trail_layout_day_pruning_and_digests(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    s3 = seed.client(session, aws.endpoint_url, "s3")
    s3.create_bucket(Bucket="org-logs")
    root = f"AWSLogs/o-abc123/{ACCOUNT}"

    def put(key: str, event_id: str) -> None:
        body = orjson.dumps({"Records": [{"eventID": event_id, "eventName": "GetFunction"}]})
        s3.put_object(Bucket="org-logs", Key=key, Body=gzip.compress(body))

    put(f"{root}/CloudTrail/us-east-1/2026/11/20/{ACCOUNT}_CloudTrail_us-east-1_a.json.gz", "in")
    put(f"{root}/CloudTrail/us-east-1/2026/11/25/{ACCOUNT}_CloudTrail_us-east-1_b.json.gz", "late")
    put(f"{root}/CloudTrail/eu-west-1/2026/11/20/{ACCOUNT}_CloudTrail_eu-west-1_c.json.gz", "eu")
    put(f"{root}/CloudTrail-Digest/us-east-1/2026/11/20/{ACCOUNT}_digest.json.gz", "digest")
    s3.put_object(
        Bucket="org-logs",
        Key=f"{root}/CloudTrail/us-east-1/2026/11/20/x.json.gz",
        Body=b"\x1f\x8b truncated",
    )
    scope = Scope(("us-east-1",), since="2026-11-19T00:00:00Z", until="2026-11-21T00:00:00Z")
    with collect_context(case, session, aws, scope) as ctx:
        collect_trail_bucket(ctx, "us-east-1", bucket=TrailBucket.parse("s3://org-logs"))
    stored = [e for e in case.entries() if e.kind == "trail" and e.path]
    assert [ids_in(case, e.path or "") for e in stored] == [{"in"}]
    problems = [e for e in case.entries() if e.error]
    assert len(problems) == 1 and problems[0].params["Key"].endswith("x.json.gz")


def test_a_record_with_a_lone_surrogate_escape_is_kept_and_so_is_the_file_as_read(
    case: Case, session: boto3.Session, aws: Emulator
) -> None:
    """DuckDB, orjson and msgspec refuse `\\ud800` without its low half; Python's json reads
    it. The record is stored with it as text, the file's bytes beside it as read."""
    s3 = seed.client(session, aws.endpoint_url, "s3")
    s3.create_bucket(Bucket="odd-logs")
    lone = b'{"eventID":"lone","eventName":"GetFunction","requestParameters":{"f":"\\ud800"}}'
    body = b'{"Records":[' + lone + b',{"eventID":"ok","eventName":"GetFunction"}]}'
    key = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/20/{ACCOUNT}_CloudTrail_x.json.gz"
    s3.put_object(Bucket="odd-logs", Key=key, Body=gzip.compress(body))
    scope = Scope(("us-east-1",), since="2026-11-19T00:00:00Z", until="2026-11-21T00:00:00Z")
    with collect_context(case, session, aws, scope) as ctx:
        collect_trail_bucket(ctx, "us-east-1", bucket=TrailBucket.parse("s3://odd-logs"))
    (stored,) = [e for e in case.entries() if e.kind == "trail" and e.path]
    assert ids_in(case, stored.path or "") == {"lone", "ok"}
    (kept,) = [e for e in case.entries() if e.kind == "other"]
    assert kept.params == {"Bucket": "odd-logs", "Key": key} and not kept.error
    with open_artifact(case.path(kept.path or "")) as stream:
        assert stream.read() == body
    assert [e for e in case.entries() if e.error] == []
