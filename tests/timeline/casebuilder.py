"""Build small incident cases from files for timeline and report tests (no AWS).

`build_case` writes what acquire would (through `Case`, per docs/EVIDENCE.md) plus an index
database with the schema of `evidence.index` and a findings.json, for a function whose code
was replaced, given a layer and a public URL, and whose logs show a miner's errors.
With `hostile=True` the function name, an environment value, a log line and a user agent
carry HTML/script payloads that set `window.__pwned` if a report ever executes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

from lambda_ir.evidence import Case
from lambda_ir.model import Actor, EvidenceRef, Finding, Severity

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ATTACKER = f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-deployer/mallory"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/orders-exec"
SECRET_VALUE = "hunter2-super-secret-value"
PAYLOAD_NAME = 'orders<img src=x onerror="window.__pwned=1">'
PAYLOAD_ENV = "<script>window.__pwned=2</script>"
PAYLOAD_LOG = (
    "<img src=x onerror=window.__pwned=3> [ERROR] </script><script>window.__pwned=4</script>"
)
HASH_V1 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
HASH_V2 = "YmFkY29kZWJhZGNvZGViYWRjb2RlYmFkY29kZWJhZGM="

INDEX_SCHEMA = (
    """CREATE TABLE trail_events (event_id VARCHAR, event_time TIMESTAMP, event_source VARCHAR,
    event_name VARCHAR, operation VARCHAR, aws_region VARCHAR, account VARCHAR,
    actor_arn VARCHAR, actor_type VARCHAR, actor_name VARCHAR, access_key_id VARCHAR,
    session_issuer_arn VARCHAR, source_ip VARCHAR, user_agent VARCHAR, read_only BOOLEAN,
    error_code VARCHAR, function_name VARCHAR, qualifier VARCHAR, request_parameters JSON,
    response_elements JSON, record JSON, evidence_path VARCHAR, evidence_sha256 VARCHAR)""",
    """CREATE TABLE log_events (account VARCHAR, region VARCHAR, log_group VARCHAR,
    log_stream VARCHAR, function_name VARCHAR, version VARCHAR, ts TIMESTAMP, message VARCHAR,
    request_id VARCHAR, evidence_path VARCHAR, evidence_sha256 VARCHAR)""",
    """CREATE TABLE report_lines (account VARCHAR, region VARCHAR, log_group VARCHAR,
    log_stream VARCHAR, function_name VARCHAR, version VARCHAR, ts TIMESTAMP,
    request_id VARCHAR, duration_ms DOUBLE, billed_ms DOUBLE, memory_mb INTEGER,
    max_memory_mb INTEGER, init_ms DOUBLE, status VARCHAR, evidence_path VARCHAR,
    evidence_sha256 VARCHAR)""",
)


@dataclass(frozen=True)
class BuiltCase:
    """A fixture case and the names a test needs to look for."""

    case: Case
    function: str
    index_path: Path

    def index(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.index_path), read_only=True)


def build_case(root: Path, *, hostile: bool = False) -> BuiltCase:
    """A case with versions, alias, policy, URL, trigger, role, a gap, logs, trail, findings."""
    name = PAYLOAD_NAME if hostile else "orders-api"
    case = Case.create(root, {"accounts": [ACCOUNT], "regions": [REGION]}, caller="tester")
    put = _Putter(case)
    versions = _versions(name, hostile)
    put.json(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/f/versions/1.json",
        {"Versions": versions},
        "function-versions",
        "lambda:ListVersionsByFunction",
        {"FunctionName": name, "page": 1},
    )
    put.json(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/f/aliases.json",
        {"Aliases": [{"Name": "live", "FunctionVersion": "2", "AliasArn": f"{_arn(name)}:live"}]},
        "alias",
        "lambda:ListAliases",
        {"FunctionName": name},
    )
    put.json(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/f/policy/_.json",
        {"Policy": _policy(name)},
        "policy",
        "lambda:GetPolicy",
        {"FunctionName": name},
    )
    put.json(
        f"raw/{ACCOUNT}/{REGION}/lambda/functions/f/url-configs.json",
        {
            "FunctionUrlConfigs": [
                {
                    "FunctionUrl": "https://abc.lambda-url.eu-west-1.on.aws/",
                    "AuthType": "NONE",
                    "FunctionArn": _arn(name),
                    "CreationTime": "2026-11-20T10:00:00.000+0000",
                }
            ]
        },
        "url",
        "lambda:ListFunctionUrlConfigs",
        {"FunctionName": name},
    )
    put.json(
        f"raw/{ACCOUNT}/{REGION}/lambda/event-source-mappings.json",
        {
            "EventSourceMappings": [
                {
                    "UUID": "1b2c",
                    "FunctionArn": _arn(name),
                    "State": "Enabled",
                    "EventSourceArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders",
                }
            ]
        },
        "event-source",
        "lambda:ListEventSourceMappings",
        {},
    )
    put.json(
        f"raw/{ACCOUNT}/global/iam/roles/orders-exec/role.json",
        {"Role": {"RoleName": "orders-exec", "Arn": ROLE_ARN}},
        "role",
        "iam:GetRole",
        {"RoleName": "orders-exec"},
        region=None,
    )
    put.json(
        f"raw/{ACCOUNT}/global/iam/roles/orders-exec/inline/data.json",
        {
            "RoleName": "orders-exec",
            "PolicyName": "data",
            "PolicyDocument": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": "*",
                    },
                    {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
                ]
            },
        },
        "role-policy",
        "iam:GetRolePolicy",
        {"RoleName": "orders-exec", "PolicyName": "data"},
        region=None,
    )
    case.record_error(
        kind="logs",
        api="logs:FilterLogEvents",
        account=ACCOUNT,
        region=REGION,
        params={"logGroupName": "/aws/lambda/old-orders"},
        error="AccessDeniedException: not authorized to perform logs:FilterLogEvents",
    )
    trail = put.bytes(f"trail/{ACCOUNT}/{REGION}/events.jsonl.gz", b"fixture", "trail")
    logs = put.bytes(f"logs/{ACCOUNT}/{REGION}/lambda/stream.jsonl.gz", b"fixture", "logs")
    index_path = root / "case.duckdb"
    _write_index(index_path, name, trail, logs, hostile)
    case.write_derived("findings.json", orjson.dumps([f.to_json() for f in _findings(name)]))
    return BuiltCase(case, name, index_path)


def freeze(built: BuiltCase) -> Case:
    """Pin the case's id and every collection time, so rendered output is reproducible."""
    root = built.case.root
    info_path, manifest_path = root / "case.json", root / "manifest.jsonl"
    info_path.chmod(0o644)
    info = orjson.loads(info_path.read_bytes())
    info.update(id="00000000-0000-4000-8000-000000000000", created="2026-11-29T08:00:00Z")
    info_path.write_bytes(orjson.dumps(info, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    lines = []
    for raw in manifest_path.read_bytes().splitlines():
        record = orjson.loads(raw)
        record["acquired_at"] = "2026-11-29T08:00:00Z"
        lines.append(orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n")
    manifest_path.write_bytes(b"".join(lines))
    return Case.open(root)


class _Putter:
    def __init__(self, case: Case) -> None:
        self.case = case

    def json(
        self,
        path: str,
        body: Any,
        kind: str,
        api: str,
        params: dict[str, Any],
        region: str | None = REGION,
    ) -> EvidenceRef:
        entry = self.case.put_json(
            path, body, kind=kind, api=api, params=params, account=ACCOUNT, region=region
        )
        return EvidenceRef(entry.path or "", entry.sha256 or "")

    def bytes(self, path: str, body: bytes, kind: str) -> EvidenceRef:
        entry = self.case.put_bytes(body, path, kind=kind, account=ACCOUNT, region=REGION)
        return EvidenceRef(entry.path or "", entry.sha256 or "")


def _arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def _versions(name: str, hostile: bool) -> list[dict[str, Any]]:
    env = {"STAGE": "prod", "DB_PASSWORD": SECRET_VALUE}
    if hostile:
        env["GREETING"] = PAYLOAD_ENV
    base = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Handler": "app.handler",
        "Role": ROLE_ARN,
        "Timeout": 30,
        "MemorySize": 256,
        "Environment": {"Variables": env},
    }
    layer = [{"Arn": f"arn:aws:lambda:{REGION}:999988887777:layer:helper:1", "CodeSize": 10}]
    return [
        {
            **base,
            "Version": "$LATEST",
            "CodeSha256": HASH_V2,
            "Layers": layer,
            "LastModified": "2026-11-28T22:14:05.000+0000",
        },
        {
            **base,
            "Version": "1",
            "CodeSha256": HASH_V1,
            "LastModified": "2026-11-01T09:00:00.000+0000",
        },
        {
            **base,
            "Version": "2",
            "CodeSha256": HASH_V2,
            "Layers": layer,
            "LastModified": "2026-11-28T22:14:05.000+0000",
        },
    ]


def _policy(name: str) -> str:
    statement = {
        "Sid": "open",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "lambda:InvokeFunctionUrl",
        "Resource": _arn(name),
    }
    return orjson.dumps({"Version": "2012-10-17", "Statement": [statement]}).decode()


def _write_index(
    path: Path, name: str, trail: EvidenceRef, logs: EvidenceRef, hostile: bool
) -> None:
    agent = "<script>window.__pwned=5</script>" if hostile else "aws-cli/2.15"
    calls = [
        ("e1", "2026-11-28 22:10:00", "UpdateFunctionCode20150331v2", None, {"functionName": name}),
        ("e2", "2026-11-28 22:14:05", "PublishVersion20150331", None, {"functionName": name}),
        (
            "e3",
            "2026-11-28 22:15:00",
            "UpdateAlias20150331",
            None,
            {"functionName": name, "name": "live", "functionVersion": "2"},
        ),
        (
            "e4",
            "2026-11-28 22:16:00",
            "AddPermission20150331v2",
            "ResourceConflictException",
            {"functionName": name, "principal": "*", "action": "lambda:InvokeFunctionUrl"},
        ),
    ]
    line = PAYLOAD_LOG if hostile else "[ERROR] ConnectionError: pool.minexmr.com:4444 refused"
    con = duckdb.connect(str(path))
    for statement in INDEX_SCHEMA:
        con.execute(statement)
    for event_id, when, event, error, params in calls:
        con.execute(
            "INSERT INTO trail_events (event_id, event_time, event_source, event_name, account,"
            " aws_region, actor_arn, actor_name, source_ip, user_agent, error_code, function_name,"
            " request_parameters, evidence_path, evidence_sha256) VALUES"
            " (?, ?, 'lambda.amazonaws.com', ?, ?, ?, ?, 'mallory', '203.0.113.7',"
            " ?, ?, ?, ?, ?, ?)",
            [
                event_id,
                when,
                event,
                ACCOUNT,
                REGION,
                ATTACKER,
                agent,
                error,
                name,
                orjson.dumps(params).decode(),
                trail.path,
                trail.sha256,
            ],
        )
    logs_rows = [
        ("2026-11-28 22:20:00", "r-1", "START RequestId: r-1 Version: 2"),
        ("2026-11-28 22:20:01", "r-1", line),
        ("2026-11-28 22:21:00", "r-2", "Task timed out after 30.03 seconds"),
    ]
    for when, request, message in logs_rows:
        con.execute(
            "INSERT INTO log_events VALUES (?, ?, ?, 's1', ?, '2', ?, ?, ?, ?, ?)",
            [
                ACCOUNT,
                REGION,
                f"/aws/lambda/{name}",
                name,
                when,
                message,
                request,
                logs.path,
                logs.sha256,
            ],
        )
    for when, request, duration, status in (
        ("2026-11-28 22:20:02", "r-1", 1520.4, None),
        ("2026-11-28 22:21:00", "r-2", 30030.0, "timeout"),
    ):
        con.execute(
            "INSERT INTO report_lines VALUES"
            " (?, ?, ?, 's1', ?, '2', ?, ?, ?, ?, 256, 250, 412.5, ?, ?, ?)",
            [
                ACCOUNT,
                REGION,
                f"/aws/lambda/{name}",
                name,
                when,
                request,
                duration,
                duration + 1,
                status,
                logs.path,
                logs.sha256,
            ],
        )
    con.close()


def _findings(name: str) -> list[Finding]:
    function_arn = _arn(name)
    return [
        Finding(
            id="LIR-CODE-001:1",
            detector="LIR-CODE-001",
            title="Cryptominer pool in code",
            severity=Severity.CRITICAL,
            resource=f"{function_arn}:2",
            account=ACCOUNT,
            region=REGION,
            summary=f"app.py connects to pool.minexmr.com (DB_PASSWORD={SECRET_VALUE})",
            evidence=(EvidenceRef("blobs/sha256/aa/" + "a" * 64, "a" * 64, member="app.py"),),
            attack=("T1496",),
            time="2026-11-28T22:14:05Z",
            details={"line": 12, "rule": "miner_pool"},
        ),
        Finding(
            id="LIR-POL-001:1",
            detector="LIR-POL-001",
            title="Function invocable by anyone",
            severity=Severity.HIGH,
            resource=function_arn,
            account=ACCOUNT,
            region=REGION,
            summary="resource policy allows Principal * to call lambda:InvokeFunctionUrl",
            evidence=(
                EvidenceRef(f"raw/{ACCOUNT}/{REGION}/lambda/functions/f/policy/_.json", "b" * 64),
            ),
            attack=("T1546",),
            time="2026-11-28T22:16:00Z",
            actor=Actor(arn=ATTACKER, source_ip="203.0.113.7"),
        ),
        Finding(
            id="LIR-CFG-002:1",
            detector="LIR-CFG-002",
            title="Layer from another account",
            severity=Severity.MEDIUM,
            resource=f"{function_arn}:2",
            account=ACCOUNT,
            region=REGION,
            summary="layer helper:1 comes from account 999988887777",
            evidence=(
                EvidenceRef(f"raw/{ACCOUNT}/{REGION}/lambda/functions/f/versions/1.json", "c" * 64),
            ),
            attack=("T1525",),
        ),
    ]
