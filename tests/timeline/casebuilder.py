"""Build small incident cases from files for timeline and report tests (no AWS).

`build_case` writes what acquire would (through `Case`, per docs/EVIDENCE.md) plus an index
database with the schema of `evidence.index` and a findings.json, for a function whose code
was replaced, given a layer and a public URL, and whose logs show a miner's errors.
With `hostile=True` the function name, an environment value, a log line and a user agent
carry HTML/script payloads that set `window.__pwned` if a report ever executes them.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson

from lambda_ir.evidence import Case
from lambda_ir.evidence.index import build_index
from lambda_ir.evidence.layout import path_segment
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
PAYLOAD_FILE = "<img src=x onerror=window.__pwned=6>.py"
PAYLOAD_CODE = "# </pre><script>window.__pwned=7</script><img src=x onerror=window.__pwned=8>\n"


def package(version: int, hostile: bool = False) -> bytes:
    """A deterministic code zip: version 2 changes app.py and adds a miner."""
    files = {"app.py": b"def handler(e, c):\n    return 'ok'\n", "lib/util.py": b"X = 1\n"}
    if version == 2:
        files["app.py"] = b"import miner\ndef handler(e, c):\n    miner.run()\n"
        files["miner.py"] = b"POOL = 'pool.minexmr.com:4444'\n"
        if hostile:
            files[PAYLOAD_FILE] = b"#\n"
            files["miner.py"] += PAYLOAD_CODE.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 11, 1, 9, 0, 0)), body)
    return buffer.getvalue()


def code_sha256(data: bytes) -> str:
    """AWS's CodeSha256: base64 of the raw SHA-256."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


HASH_V1 = code_sha256(package(1))
HASH_V2 = code_sha256(package(2))

REQ_1 = "8f5f0f3c-2a43-4d8e-9a55-0c1d2e3f4a51"
REQ_2 = "1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5"


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
    for version in (1, 2):
        data = package(version, hostile)
        case.put_bytes(
            data,
            kind="code",
            api="lambda:GetFunction",
            params={"FunctionName": name, "Qualifier": str(version)},
            account=ACCOUNT,
            region=REGION,
            meta={"code_sha256": code_sha256(data)},
        )
    case.record_error(
        kind="policy",
        api="lambda:GetPolicy",
        account=ACCOUNT,
        region=REGION,
        params={"FunctionName": name, "Qualifier": "1"},
        error="not-found: ResourceNotFoundException: The resource you requested does not exist.",
    )
    case.record_error(
        kind="function-setting",
        api="lambda:GetFunctionCodeSigningConfig",
        account=ACCOUNT,
        region=REGION,
        params={"FunctionName": name},
        error="denied: AccessDeniedException: not authorized to perform "
        "lambda:GetFunctionCodeSigningConfig",
    )
    put.json(
        f"raw/{ACCOUNT}/{REGION}/gaps/old-orders-logs.json",
        {"gap": "log-group-missing", "detail": "/aws/lambda/old-orders has no log group"},
        "gap",
        "logs:DescribeLogGroups",
        {"logGroupNamePrefix": "/aws/lambda/old-orders"},
    )
    _put_trail(case, name, hostile)
    _put_logs(case, name, hostile)
    index_path = build_index(case)
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
    new_code = code_sha256(package(2, hostile))
    return [
        {
            **base,
            "Version": "$LATEST",
            "CodeSha256": new_code,
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
            "CodeSha256": new_code,
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


def _put_trail(case: Case, name: str, hostile: bool) -> None:
    agent = "<script>window.__pwned=5</script>" if hostile else "aws-cli/2.15"
    calls = [
        ("2026-11-28T22:10:00Z", "UpdateFunctionCode20150331v2", None, {"functionName": name}),
        ("2026-11-28T22:14:05Z", "PublishVersion20150331", None, {"functionName": name}),
        (
            "2026-11-28T22:15:00Z",
            "UpdateAlias20150331",
            None,
            {"functionName": name, "name": "live", "functionVersion": "2"},
        ),
        (
            "2026-11-28T22:16:00Z",
            "AddPermission20150331v2",
            "ResourceConflictException",
            {"functionName": name, "principal": "*", "action": "lambda:InvokeFunctionUrl"},
        ),
    ]
    records = [
        {
            "eventVersion": "1.08",
            "eventID": f"e{number}",
            "eventTime": when,
            "eventSource": "lambda.amazonaws.com",
            "eventName": event,
            "awsRegion": REGION,
            "recipientAccountId": ACCOUNT,
            "sourceIPAddress": "203.0.113.7",
            "userAgent": agent,
            "userIdentity": {
                "type": "AssumedRole",
                "arn": ATTACKER,
                "accessKeyId": "ASIAEXAMPLE",
                "sessionContext": {
                    "sessionIssuer": {"arn": f"arn:aws:iam::{ACCOUNT}:role/ci-deployer"}
                },
            },
            "requestParameters": params,
            "responseElements": None,
            **({"errorCode": error} if error else {}),
        }
        for number, (when, event, error, params) in enumerate(calls, start=1)
    ]
    body = b"".join(orjson.dumps(r) + b"\n" for r in records)
    case.put_bytes(
        gzip.compress(body, mtime=0),
        f"trail/{ACCOUNT}/{REGION}/events.jsonl.gz",
        kind="trail",
        api="cloudtrail:LookupEvents",
        params={},
        account=ACCOUNT,
        region=REGION,
    )


def _put_logs(case: Case, name: str, hostile: bool) -> None:
    line = PAYLOAD_LOG if hostile else "[ERROR] ConnectionError: pool.minexmr.com:4444 refused"
    stream = "2026/11/28/[2]0123456789abcdef"
    messages = [
        (1795904400000, f"START RequestId: {REQ_1} Version: 2"),
        (1795904401000, f"2026-11-28T22:20:01.000Z\t{REQ_1}\t{line}"),
        (
            1795904402000,
            f"REPORT RequestId: {REQ_1}\tDuration: 1520.40 ms\tBilled Duration: "
            "1521 ms\tMemory Size: 256 MB\tMax Memory Used: 250 MB\t"
            "Init Duration: 412.50 ms",
        ),
        (1795904460000, f"2026-11-28T22:21:00.000Z {REQ_2} Task timed out after 30.03 seconds"),
        (
            1795904460001,
            f"REPORT RequestId: {REQ_2}\tDuration: 30030.00 ms\tBilled Duration: "
            "30000 ms\tMemory Size: 256 MB\tMax Memory Used: 250 MB",
        ),
    ]
    body = b"".join(
        orjson.dumps({"timestamp": ts, "message": message, "logStreamName": stream}) + b"\n"
        for ts, message in messages
    )
    group = f"/aws/lambda/{name}"
    case.put_bytes(
        gzip.compress(body, mtime=0),
        f"logs/{ACCOUNT}/{REGION}/{path_segment(group)}/s.jsonl.gz",
        kind="logs",
        api="logs:FilterLogEvents",
        params={"logGroupName": group},
        account=ACCOUNT,
        region=REGION,
    )


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
