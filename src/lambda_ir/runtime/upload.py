"""Ship a snapshot to the responder's S3 bucket: gzip JSON, then a manifest of its hash.

Plain `urllib` with an AWS Signature Version 4 signature made here (no SDK in a customer's
function): credentials are the function role's, from the environment Lambda sets. S3 checks
each body against the `x-amz-checksum-sha256` sent with it. The manifest is written last, so
a snapshot without one is incomplete. The only call is `s3:PutObject` on the given prefix.
A refused or unanswered upload raises `UploadError`, whose text names the bucket and key, S3's
error code and what to check; never a header, a signature or S3's error body (a
SignatureDoesNotMatch body quotes the signed headers, session token included).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SNAPSHOT_NAME = "snapshot.json.gz"
MANIFEST_NAME = "manifest.json"
TIMEOUT = 3.0  # seconds per request: a slow S3 never holds a cold start for long
_CODE = re.compile(rb"<Code>([A-Za-z0-9.]{1,64})</Code>")
# What to check, for the S3 error codes a misconfigured destination gives.
_HINTS = {
    "NoSuchBucket": "the bucket does not exist: create it, or correct LAMBDA_IR_BUCKET",
    "PermanentRedirect": "the bucket is in another region than AWS_REGION: use one in this region",
    "AuthorizationHeaderMalformed": "the bucket is in another region than AWS_REGION",
}
_DENIED_HINT = (
    "check that the execution role allows s3:PutObject on {resource} and that the bucket's "
    "policy (and its KMS key, if it has one) lets the role write"
)


class UploadError(Exception):
    """S3 refused an upload or did not answer; the text is safe to log (no credentials)."""


@dataclass(frozen=True)
class Destination:
    """`s3://bucket/prefix/` plus the region and endpoint to reach it."""

    bucket: str
    prefix: str
    region: str
    endpoint: str | None = None  # a custom endpoint (tests, VPC endpoints); path-style

    @classmethod
    def from_url(cls, url: str, region: str, endpoint: str | None = None) -> Destination:
        """Parse `s3://bucket[/prefix]`; the prefix always ends with `/` when given."""
        if not url.startswith("s3://") or len(url) <= 5:
            raise ValueError(f"{url!r} is not s3://bucket[/prefix]")
        bucket, _, prefix = url[5:].partition("/")
        prefix = prefix.strip("/")
        return cls(bucket, f"{prefix}/" if prefix else "", region, endpoint or None)


def snapshot_folder(snapshot: Mapping[str, Any]) -> str:
    """`<region>/<function>/<time>-<id>/`: the key folder of one snapshot under the prefix."""
    context = snapshot.get("context") or {}
    compact = str(snapshot["captured_at"]).replace("-", "").replace(":", "").replace(".", "")
    function = _safe(str(context.get("function_name") or "unknown"))
    region = _safe(str(context.get("region") or "unknown"))
    return f"{region}/{function}/{compact}-{snapshot['snapshot_id']}/"


def upload_snapshot(
    snapshot: Mapping[str, Any], where: Destination, env: Mapping[str, str]
) -> dict[str, Any]:
    """Put the snapshot and its manifest; returns the manifest (keys, sizes, SHA-256)."""
    body = gzip.compress(json.dumps(snapshot, sort_keys=True).encode(), mtime=0)
    folder = where.prefix + snapshot_folder(snapshot)
    digest = hashlib.sha256(body).hexdigest()
    _put(where, folder + SNAPSHOT_NAME, body, "application/gzip", env)
    manifest = {
        "format": "lambda-ir-runtime-manifest/1",
        "snapshot_id": snapshot["snapshot_id"],
        "captured_at": snapshot["captured_at"],
        "trigger": snapshot["trigger"],
        "context": snapshot.get("context") or {},
        "files": [{"key": folder + SNAPSHOT_NAME, "sha256": digest, "size": len(body)}],
    }
    text = json.dumps(manifest, sort_keys=True, indent=1).encode()
    _put(where, folder + MANIFEST_NAME, text, "application/json", env)
    return manifest


def _put(
    where: Destination, key: str, body: bytes, content_type: str, env: Mapping[str, str]
) -> None:
    if where.endpoint:
        base = where.endpoint.rstrip("/")
        path = f"/{where.bucket}/{urllib.parse.quote(key, safe='/~')}"
    else:
        base = f"https://{where.bucket}.s3.{where.region}.amazonaws.com"
        path = f"/{urllib.parse.quote(key, safe='/~')}"
    payload_hash = hashlib.sha256(body).hexdigest()
    headers = {
        "content-type": content_type,
        "host": urllib.parse.urlsplit(base).netloc,
        "x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(payload_hash)).decode(),
        "x-amz-content-sha256": payload_hash,
        "x-amz-date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
    }
    if env.get("AWS_SESSION_TOKEN"):
        headers["x-amz-security-token"] = env["AWS_SESSION_TOKEN"]
    headers["authorization"] = _authorization("PUT", path, headers, payload_hash, where, env)
    request = urllib.request.Request(  # noqa: S310 - https, or the endpoint the user set
        base + path, data=body, method="PUT", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - https or the given endpoint
            response.read()
    except urllib.error.HTTPError as exc:
        raise UploadError(_refused(where, key, exc)) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise UploadError(f"PUT s3://{where.bucket}/{key}: no answer ({reason})") from None


def _refused(where: Destination, key: str, exc: urllib.error.HTTPError) -> str:
    """`PUT s3://bucket/key: HTTP 404 NoSuchBucket: <what to check>` from S3's error code only."""
    try:
        found = _CODE.search(exc.read(4096))
    except OSError:
        found = None
    code = found.group(1).decode() if found else ""
    text = f"PUT s3://{where.bucket}/{key}: HTTP {exc.code}" + (f" {code}" if code else "")
    hint = _HINTS.get(code)
    if hint is None and exc.code == 403:
        hint = _DENIED_HINT.format(resource=f"arn:aws:s3:::{where.bucket}/{where.prefix}*")
    return f"{text}: {hint}" if hint else text


def failure_line(exc: Exception) -> str:
    """The one log line for a failed snapshot: an upload failure says the snapshot was taken
    and where it could not go; anything else, that the snapshot itself failed."""
    if isinstance(exc, UploadError):
        return f"lambda-ir: snapshot taken, upload failed: {exc}"
    return f"lambda-ir: snapshot failed: {type(exc).__name__}: {exc}"


def _authorization(
    method: str,
    path: str,
    headers: Mapping[str, str],
    payload_hash: str,
    where: Destination,
    env: Mapping[str, str],
) -> str:
    """AWS Signature Version 4 for S3 (headers signed, no query string)."""
    names = sorted(headers)
    canonical = "\n".join(
        [
            method,
            path,
            "",
            "".join(f"{name}:{headers[name].strip()}\n" for name in names),
            ";".join(names),
            payload_hash,
        ]
    )
    stamp = headers["x-amz-date"]
    scope = f"{stamp[:8]}/{where.region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + env.get("AWS_SECRET_ACCESS_KEY", "")).encode()
    for part in (stamp[:8], where.region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    access_key = env.get("AWS_ACCESS_KEY_ID", "")
    return (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:140] or "unknown"
