"""Build small case folders for analysis tests, the way acquire writes them (docs/EVIDENCE.md)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import stat
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from lambda_ir.evidence import Case, ManifestEntry

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
ACCOUNT = "111122223333"
REGION = "eu-west-1"
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def zip_bytes(files: Mapping[str, bytes | str], links: Mapping[str, str] | None = None) -> bytes:
    """A zip package holding `files` (name -> content), then `links` (name -> target) as
    symlink entries (`zip -y`), its entries at a fixed time: the same files are the same
    bytes (and CodeSha256) whenever a test builds them. (`writestr` of a name stamps the
    current time: two builds a second apart were two packages.)"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            # as `writestr` of a name sets them: a folder 0o40775 with its DOS flag, a file 0o600
            entry.external_attr = (0o40775 << 16) | 0x10 if name.endswith("/") else 0o600 << 16
            archive.writestr(entry, content.encode() if isinstance(content, str) else content)
        for name, target in (links or {}).items():
            entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            entry.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(entry, target)
    return buf.getvalue()


def code_sha256(blob: bytes) -> str:
    """AWS's CodeSha256: base64 of the raw SHA-256."""
    return base64.b64encode(hashlib.sha256(blob).digest()).decode()


def function_config(
    name: str,
    version: str = "$LATEST",
    *,
    code: bytes = b"",
    runtime: str = "python3.12",
    env: Mapping[str, str] | None = None,
    layers: Iterable[str] = (),
    role: str = "",
    account: str = ACCOUNT,
    region: str = REGION,
    **extra: Any,
) -> dict[str, Any]:
    """A FunctionConfiguration as boto3 returns it."""
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    config: dict[str, Any] = {
        "FunctionName": name,
        "FunctionArn": f"{arn}:{version}",
        "Runtime": runtime,
        "Role": role or f"arn:aws:iam::{account}:role/{name}-role",
        "Handler": "app.handler",
        "CodeSha256": code_sha256(code),
        "Version": version,
        "Timeout": 30,
        "MemorySize": 128,
        "LastModified": "2026-11-01T10:00:00.000+0000",
        "PackageType": "Zip",
        "Layers": [{"Arn": arn_, "CodeSize": 1} for arn_ in layers],
    }
    if env:
        config["Environment"] = {"Variables": dict(env)}
    config.update(extra)
    return config


class CaseBuilder:
    """Writes evidence into a new case with the paths, kinds and apis acquire uses."""

    def __init__(self, root: Path, scope: dict[str, Any] | None = None) -> None:
        self.case = Case.create(root, scope or {"accounts": [ACCOUNT]}, caller="test")
        self.root = root
        self._pages = 0

    def put(self, relpath: str, document: Any, kind: str, api: str, **params: Any) -> ManifestEntry:
        return self.case.put_json(
            relpath, document, kind=kind, api=api, params=params, account=ACCOUNT, region=REGION
        )

    def admin_role(self, name: str = "admin-ish") -> tuple[ManifestEntry, ManifestEntry]:
        """A role `name` whose inline policy allows `*` on `*`: its GetRole and GetRolePolicy."""
        role = self.put(
            f"raw/{ACCOUNT}/global/iam/roles/{name}/role.json",
            {"Role": {"RoleName": name, "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}"}},
            "role",
            "iam:GetRole",
            RoleName=name,
        )
        inline = self.put(
            f"raw/{ACCOUNT}/global/iam/roles/{name}/inline-p.json",
            {
                "RoleName": name,
                "PolicyName": "p",
                "PolicyDocument": {
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
                },
            },
            "role-policy",
            "iam:GetRolePolicy",
            RoleName=name,
            PolicyName="p",
        )
        return role, inline

    def versions(self, name: str, configs: list[dict[str, Any]]) -> ManifestEntry:
        return self.put(
            f"raw/{ACCOUNT}/{REGION}/lambda/functions/{name}/versions/1.json",
            {"Versions": configs},
            "function-versions",
            "lambda:ListVersionsByFunction",
            FunctionName=name,
            page=1,
        )

    def code(self, blob: bytes, name: str, qualifier: str = "$LATEST") -> ManifestEntry:
        return self.case.put_bytes(
            blob,
            kind="code",
            api="lambda:GetFunction",
            params={"FunctionName": name, "Qualifier": qualifier},
            account=ACCOUNT,
            region=REGION,
            meta={"code_sha256": code_sha256(blob)},
        )

    def layer(self, arn: str, blob: bytes) -> tuple[ManifestEntry, ManifestEntry]:
        name, version = arn.split(":")[6:8]
        doc = {
            "LayerVersionArn": arn,
            "Version": int(version),
            "Content": {"CodeSha256": code_sha256(blob), "CodeSize": len(blob)},
        }
        meta = self.put(
            f"raw/{ACCOUNT}/{REGION}/lambda/layers/{name}/{version}.json",
            doc,
            "layer",
            "lambda:GetLayerVersionByArn",
            Arn=arn,
        )
        code = self.case.put_bytes(
            blob,
            kind="layer-code",
            api="lambda:GetLayerVersionByArn",
            params={"Arn": arn},
            account=ACCOUNT,
            region=REGION,
            meta={"layer_arn": arn, "code_sha256": code_sha256(blob)},
        )
        return meta, code

    def failed(
        self, kind: str, api: str, params: dict[str, Any], error: str, region: str | None = REGION
    ) -> None:
        """A call collect recorded as failed (`error`: `denied: …`, `not-found: …`)."""
        self.case.record_error(
            kind=kind, api=api, params=params, error=error, account=ACCOUNT, region=region
        )

    def policy(
        self, name: str, statements: list[dict[str, Any]], qualifier: str = ""
    ) -> ManifestEntry:
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        params: dict[str, Any] = {"FunctionName": name}
        if qualifier:
            params["Qualifier"] = qualifier
        return self.put(
            f"raw/{ACCOUNT}/{REGION}/lambda/functions/{name}/policy/{qualifier or '_'}.json",
            {"Policy": orjson.dumps(policy).decode(), "RevisionId": "r1"},
            "policy",
            "lambda:GetPolicy",
            **params,
        )

    def trail(self, records: list[dict[str, Any]], name: str = "events") -> ManifestEntry:
        body = gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in records))
        return self.case.put_bytes(
            body,
            f"trail/{ACCOUNT}/import/{name}.jsonl.gz",
            kind="trail",
            api="local:import",
            params={"source": name},
            account=ACCOUNT,
        )

    def logs(self, group: str, events: list[dict[str, Any]], stream: str = "s1") -> ManifestEntry:
        body = gzip.compress(b"".join(orjson.dumps(e) + b"\n" for e in events))
        return self.log_artifact(group, body, stream)

    def log_artifact(
        self, group: str, body: bytes, stream: str = "s1", reader: str = ""
    ) -> ManifestEntry:
        """A log artifact whose bytes are `body` as they are (a damaged one, say); `reader`:
        the function collect read the group for (`meta.function_name`)."""
        safe = group.strip("/").replace("/", "%2F")
        return self.case.put_bytes(
            body,
            f"logs/{ACCOUNT}/{REGION}/{safe}/{stream}.jsonl.gz",
            kind="logs",
            api="logs:FilterLogEvents",
            params={"logGroupName": group},
            account=ACCOUNT,
            region=REGION,
            meta={"function_name": reader} if reader else {},
        )


def trail_event(
    event_name: str,
    request: Mapping[str, Any] | None = None,
    *,
    response: Mapping[str, Any] | None = None,
    source: str = "lambda.amazonaws.com",
    identity: Mapping[str, Any] | None = None,
    event_id: str = "e1",
    time: str = "2026-11-02T12:00:00Z",
    user_agent: str = "aws-cli/2.15.0 Python/3.11",
    source_ip: str = "198.51.100.7",
    **extra: Any,
) -> dict[str, Any]:
    """A CloudTrail record shaped like the real ones."""
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "eventID": event_id,
        "eventTime": time,
        "eventSource": source,
        "eventName": event_name,
        "awsRegion": REGION,
        "recipientAccountId": ACCOUNT,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "userIdentity": dict(
            identity
            or {
                "type": "IAMUser",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
                "accountId": ACCOUNT,
                "accessKeyId": "AKIAEXAMPLEKEY000001",
                "userName": "mallory",
            }
        ),
        "requestParameters": dict(request or {}),
        "responseElements": dict(response) if response is not None else None,
        "readOnly": event_name.startswith(("Get", "List")),
        "eventType": "AwsApiCall",
    }
    record.update(extra)
    return record


def role_identity(role: str, session: str, account: str = ACCOUNT) -> dict[str, Any]:
    """userIdentity of an assumed-role session."""
    return {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "accessKeyId": "ASIAEXAMPLEKEY000002",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "userName": role,
            }
        },
    }


CI_ROLE = f"arn:aws:iam::{ACCOUNT}:role/gha-deploy"
TERRAFORM = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io)"


def ci_identity(run: int) -> dict[str, Any]:
    """userIdentity of the CI role's session for one pipeline run (its own access key)."""
    return {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/gha-deploy/gha-run-{run}",
        "accountId": ACCOUNT,
        "accessKeyId": f"ASIACIRUN{run:011d}",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": CI_ROLE}},
    }


def run_detector(builder: CaseBuilder, detector: Any, **options: Any) -> list[Any]:
    """Findings of one detector over the case built so far."""
    from lambda_ir.analyze.caseview import AnalyzeOptions, CaseView

    view = CaseView(Case.open(builder.root), AnalyzeOptions(**options))
    return list(detector.detect(view))


LOG_T0 = 1_764_676_800_000  # 2025-12-02T12:00:00Z in ms: fixed log times, never sent to an API


def report_line(
    i: int, version: str, duration: float, status: str = "", memory: int = 60
) -> dict[str, Any]:
    """Invocation `i`'s REPORT log event (as FilterLogEvents returns it) for `version`, its
    duration in ms, memory used and status (`timeout`, `error`) when not a success."""
    rid = str(uuid.UUID(int=i + (int(version) if version.isdigit() else 0) * 10_000))
    line = (
        f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: "
        f"{duration:.0f} ms\tMemory Size: 128 MB\tMax Memory Used: {memory} MB\t"
    )
    if status:
        line += f"Status: {status}"
    return {
        "timestamp": LOG_T0 + i * 1000,
        "message": line,
        "logStreamName": f"2025/12/02/[{version}]abcdef",
    }
