"""What the emulator keeps about Lambda beyond moto's backend, and how handlers reach both.

moto keeps functions, versions, aliases and code bytes; this keeps what moto drops or merges:
resource policies and function URL configs per qualifier, LoggingConfig per version,
recursion/runtime-management/provisioned-concurrency settings, and downloadable blobs.
One `LambdaExtras` lives in each `Emulator`; `reset()` replaces it.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda.models import lambda_backends

from lambda_ir.emulator.calls import ApiCall
from lambda_ir.emulator.http import Response, rest_error

# (account, region, function name, qualifier or None) — AWS's unit of per-qualifier truth.
QualifierKey = tuple[str, str, str, str | None]


@dataclass
class LambdaExtras:
    """Per-emulator Lambda state moto lacks; every map is guarded by `lock`."""

    policies: dict[QualifierKey, list[dict[str, Any]]] = field(default_factory=dict)
    policy_revisions: dict[QualifierKey, str] = field(default_factory=dict)
    url_configs: dict[QualifierKey, dict[str, Any]] = field(default_factory=dict)
    logging: dict[QualifierKey, dict[str, Any]] = field(default_factory=dict)
    recursion: dict[QualifierKey, str] = field(default_factory=dict)
    runtime: dict[QualifierKey, dict[str, Any]] = field(default_factory=dict)
    provisioned: dict[QualifierKey, dict[str, Any]] = field(default_factory=dict)
    # Code-signing configs by ARN (moto has none); which function uses one is moto's
    # `code_signing_config_arn` on the function, as CreateFunction sets it.
    signing_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    # Event-source mappings still settling: UUID -> (until, on `time.monotonic`; its state
    # meanwhile), for `mapping_settle_seconds` after a create or update (`lambda_mappings`).
    mapping_settling: dict[str, tuple[float, str]] = field(default_factory=dict)
    mapping_settle_seconds: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add_blob(self, data: bytes, code_sha256: str = "") -> str:
        """Keep `data` downloadable by its SHA-256 (hex), like an immutable S3 object.

        `code_sha256` is the API's base64 CodeSha256 of `data` when known: moto computed it
        from these very bytes at upload, so a 50 MB package is not hashed on every GetFunction.
        """
        digest = base64.b64decode(code_sha256).hex() if code_sha256 else ""
        if len(digest) != 64:
            digest = hashlib.sha256(data).hexdigest()
        with self.lock:
            self.blobs.setdefault(digest, data)
        return digest


@dataclass(frozen=True)
class LambdaContext:
    """What a Lambda gap handler may touch: the caller's account, our extras, moto, the endpoint."""

    account_id: str
    region: str
    extras: LambdaExtras
    endpoint_url: str
    forward: Callable[[bytes | None], Response]

    @property
    def backend(self) -> Any:
        """moto's LambdaBackend for the caller's account and the request's region."""
        return lambda_backends[self.account_id][self.region]

    def blob_url(self, data: bytes, code_sha256: str = "") -> str:
        """A plain-HTTP URL on the emulator that returns exactly `data`."""
        digest = self.extras.add_blob(data, code_sha256)
        return f"{self.endpoint_url}/_emulator/blobs/{digest}"


def function_name_of(name_or_arn: str) -> tuple[str, str | None]:
    """(name, qualifier in the name or None) from a name, partial ARN or full ARN."""
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":")
        return parts[6], parts[7] if len(parts) > 7 else None
    if ":function:" in name_or_arn:
        parts = name_or_arn.split(":function:")[1].split(":")
        return parts[0], parts[1] if len(parts) > 1 else None
    name, _, qualifier = name_or_arn.partition(":")
    return name, qualifier or None


def key_for(ctx: LambdaContext, call: ApiCall) -> QualifierKey:
    """The (account, region, function, qualifier) a call addresses; '$LATEST' counts as None."""
    name, in_name = function_name_of(str(call.params.get("FunctionName", "")))
    qualifier = call.params.get("Qualifier") or in_name
    if qualifier == "$LATEST":
        qualifier = None
    return (ctx.account_id, ctx.region, name, qualifier)


def not_found(message: str = "The resource you requested does not exist.") -> Response:
    """Lambda's ResourceNotFoundException, HTTP 404."""
    return rest_error(404, "ResourceNotFoundException", message)


def function_missing(ctx: LambdaContext, name: str, qualifier: str | None = None) -> Response:
    """The 404 Lambda returns for a function (or qualifier) that does not exist."""
    arn = f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:function:{name}"
    arn += f":{qualifier}" if qualifier else ""
    return not_found(f"Function not found: {arn}")


def find_function(ctx: LambdaContext, name: str, qualifier: str | None) -> Any | None:
    """moto's LambdaFunction for name+qualifier (version or alias), or None."""
    try:
        return ctx.backend.get_function(name, qualifier)
    except Exception:  # moto raises its own exception types for unknown names
        return None


def is_alias(ctx: LambdaContext, name: str, qualifier: str | None) -> bool:
    """True when `qualifier` names an alias of the function."""
    if not qualifier or qualifier == "$LATEST" or qualifier.isdigit():
        return False
    try:
        ctx.backend.get_alias(qualifier, name)
    except Exception:
        return False
    return True
