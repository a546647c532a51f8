"""Typed values parsed once from raw API responses in the case, for detectors to read.

Raw responses stay raw in the case; these are the few fields detectors need, each with the
evidence (path + SHA-256) it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from lambda_ir.evidence import ManifestEntry
from lambda_ir.model import EvidenceRef, FunctionRef


def ref_of(entry: ManifestEntry) -> EvidenceRef:
    """The evidence reference of a stored artifact."""
    assert entry.path is not None and entry.sha256 is not None
    return EvidenceRef(entry.path, entry.sha256)


@dataclass(frozen=True)
class FunctionConfig:
    """One version of a function's configuration ($LATEST or a number)."""

    ref: FunctionRef  # qualifier is the version
    runtime: str
    handler: str
    role: str
    code_sha256: str  # AWS's base64 form
    package_type: str
    environment: Mapping[str, str]
    layers: tuple[str, ...]
    log_group: str
    timeout: int
    memory: int
    last_modified: str
    evidence: EvidenceRef

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.ref.account, self.ref.region, self.ref.name, self.ref.qualifier or "")

    @property
    def unqualified_arn(self) -> str:
        return FunctionRef(self.ref.account, self.ref.region, self.ref.name).arn


def parse_function(config: Mapping[str, Any], entry: ManifestEntry) -> FunctionConfig:
    """A `FunctionConfiguration` (from ListVersionsByFunction or GetFunction) as a value."""
    arn = str(config.get("FunctionArn", ""))
    try:
        base = FunctionRef.from_arn(arn)
    except ValueError:
        base = FunctionRef(
            entry.account or "", entry.region or "", str(config.get("FunctionName", ""))
        )
    version = str(config.get("Version") or base.qualifier or "$LATEST")
    env = ((config.get("Environment") or {}).get("Variables")) or {}
    logging = config.get("LoggingConfig") or {}
    return FunctionConfig(
        ref=FunctionRef(base.account, base.region, base.name, version),
        runtime=str(config.get("Runtime") or ""),
        handler=str(config.get("Handler") or ""),
        role=str(config.get("Role") or ""),
        code_sha256=str(config.get("CodeSha256") or ""),
        package_type=str(config.get("PackageType") or "Zip"),
        environment={str(k): str(val) for k, val in env.items()},
        layers=tuple(str(layer.get("Arn", "")) for layer in config.get("Layers") or []),
        log_group=str(logging.get("LogGroup") or ""),
        timeout=int(config.get("Timeout") or 0),
        memory=int(config.get("MemorySize") or 0),
        last_modified=str(config.get("LastModified") or ""),
        evidence=ref_of(entry),
    )


@dataclass(frozen=True)
class PolicyStatement:
    """One statement of a function's resource policy, and the qualifier it applies to."""

    function: FunctionRef
    sid: str
    effect: str
    principals: tuple[str, ...]  # "*", account ids, ARNs, service names
    actions: tuple[str, ...]
    condition: str  # JSON text, "" when there is none
    evidence: EvidenceRef


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(item) for item in value)
    return (str(value),)


def _principals(value: Any) -> tuple[str, ...]:
    if isinstance(value, Mapping):
        out: list[str] = []
        for item in value.values():
            out.extend(_as_tuple(item))
        return tuple(out)
    return _as_tuple(value)


def parse_policy(document: Any, entry: ManifestEntry) -> list[PolicyStatement]:
    """Statements of a GetPolicy response; the qualifier comes from each statement's Resource."""
    text = (document or {}).get("Policy") if isinstance(document, Mapping) else None
    if not isinstance(text, str):
        return []
    try:
        policy = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(policy, Mapping):
        return []  # a policy of another shape holds no statement we can read
    statements = policy.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        return []
    out = []
    for stmt in statements:
        if not isinstance(stmt, Mapping):
            continue
        resource = _as_tuple(stmt.get("Resource"))
        try:
            function = FunctionRef.from_arn(resource[0]) if resource else None
        except ValueError:
            function = None
        if function is None:
            name = str(entry.params.get("FunctionName", ""))
            function = FunctionRef(entry.account or "", entry.region or "", name)
        condition = stmt.get("Condition")
        out.append(
            PolicyStatement(
                function=function,
                sid=str(stmt.get("Sid", "")),
                effect=str(stmt.get("Effect", "")),
                principals=_principals(stmt.get("Principal")),
                actions=_as_tuple(stmt.get("Action")),
                condition=orjson.dumps(condition, option=orjson.OPT_SORT_KEYS).decode()
                if condition
                else "",
                evidence=ref_of(entry),
            )
        )
    return out


@dataclass(frozen=True)
class Alias:
    """An alias: its primary version and the versions it routes extra traffic to."""

    function: FunctionRef  # qualifier is the alias name
    version: str
    weights: Mapping[str, float]
    evidence: EvidenceRef


def parse_aliases(document: Any, entry: ManifestEntry) -> list[Alias]:
    """Aliases of a ListAliases response (pages merged)."""
    out = []
    for alias in (document or {}).get("Aliases") or []:
        try:
            function = FunctionRef.from_arn(str(alias.get("AliasArn", "")))
        except ValueError:
            name = str(entry.params.get("FunctionName", ""))
            function = FunctionRef(entry.account or "", entry.region or "", name, alias.get("Name"))
        routing = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        out.append(
            Alias(
                function=function,
                version=str(alias.get("FunctionVersion", "")),
                weights={str(k): float(w) for k, w in routing.items()},
                evidence=ref_of(entry),
            )
        )
    return out


@dataclass(frozen=True)
class FunctionUrl:
    """A function URL configuration."""

    function: FunctionRef
    url: str
    auth_type: str
    allow_origins: tuple[str, ...]
    evidence: EvidenceRef


def parse_urls(document: Any, entry: ManifestEntry) -> list[FunctionUrl]:
    """URL configurations of a ListFunctionUrlConfigs (or GetFunctionUrlConfig) response."""
    configs = (document or {}).get("FunctionUrlConfigs")
    if configs is None and isinstance(document, Mapping) and "AuthType" in document:
        configs = [document]
    out = []
    for config in configs or []:
        try:
            function = FunctionRef.from_arn(str(config.get("FunctionArn", "")))
        except ValueError:
            name = str(entry.params.get("FunctionName", ""))
            function = FunctionRef(entry.account or "", entry.region or "", name)
        cors = config.get("Cors") or {}
        out.append(
            FunctionUrl(
                function=function,
                url=str(config.get("FunctionUrl", "")),
                auth_type=str(config.get("AuthType", "")),
                allow_origins=_as_tuple(cors.get("AllowOrigins")),
                evidence=ref_of(entry),
            )
        )
    return out


@dataclass(frozen=True)
class Layer:
    """A layer version and its package, when collected."""

    arn: str
    code_sha256: str
    blob: EvidenceRef | None
    evidence: EvidenceRef


def parse_layer(document: Any, entry: ManifestEntry, blobs: Mapping[str, ManifestEntry]) -> Layer:
    """A GetLayerVersionByArn response, joined to its stored package by ARN."""
    arn = str((document or {}).get("LayerVersionArn") or entry.params.get("Arn", ""))
    blob_entry = blobs.get(arn)
    return Layer(
        arn=arn,
        code_sha256=str(((document or {}).get("Content") or {}).get("CodeSha256", "")),
        blob=ref_of(blob_entry) if blob_entry else None,
        evidence=ref_of(entry),
    )


@dataclass(frozen=True)
class Package:
    """A code zip in the case and every function version that runs it, or one layer
    version's zip and the function versions that carry that layer (and the layer itself)."""

    blob: EvidenceRef
    kind: str  # code | layer
    owners: tuple[str, ...]  # function ARNs with version, and a layer's own version ARN
    runtimes: tuple[str, ...]  # runtimes of the functions that run it ("" for layers)
    layer: str = ""  # the layer version ARN of a layer package, "" for a code package

    @property
    def owner(self) -> str:
        """The first user, named on findings (all users are in the finding's details)."""
        return self.owners[0]

    @property
    def key(self) -> str:
        """What a finding on one of its files is keyed by: the bytes, and for a layer the
        layer version too (two layers with the same bytes are two findings)."""
        return f"{self.blob.sha256}|{self.layer}" if self.kind == "layer" else self.blob.sha256


@dataclass(frozen=True)
class LogEvent:
    """One CloudWatch Logs event."""

    group: str
    stream: str
    timestamp: int  # ms since the epoch
    message: str
    evidence: EvidenceRef
    account: str
    region: str
    event_id: str = ""  # CloudWatch's eventId, when the artifact kept it
    function: str = ""  # the function the artifact was read for (a shared group is read once)
