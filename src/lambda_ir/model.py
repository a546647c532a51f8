"""Values that cross module boundaries: evidence kinds, references, findings, timeline events.

Everything here is a frozen dataclass or an enum, with no behaviour that touches AWS or disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How urgently a responder should look at a finding."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]


# Severity.rank is asked for every finding when sorting and correlating: a lookup, not a scan.
_RANKS = {severity: number for number, severity in enumerate(Severity)}


class Kind(StrEnum):
    """What an artifact in the case folder is; the manifest's `kind` field."""

    CASE = "case"
    ACCOUNT = "account"
    FUNCTION_LIST = "function-list"
    FUNCTION_VERSIONS = "function-versions"
    FUNCTION = "function"
    CODE = "code"
    LAYER = "layer"
    LAYER_CODE = "layer-code"
    IMAGE = "image"
    IMAGE_LAYER = "image-layer"
    ALIAS = "alias"
    POLICY = "policy"
    URL = "url"
    EVENT_SOURCE = "event-source"
    INVOKE_CONFIG = "invoke-config"
    CONCURRENCY = "concurrency"
    FUNCTION_SETTING = "function-setting"
    TAGS = "tags"
    ROLE = "role"
    ROLE_POLICY = "role-policy"
    LOGS = "logs"
    TRAIL = "trail"
    TRAIL_CONFIG = "trail-config"
    TRIGGER = "trigger"
    RUNTIME = "runtime"
    RESPONSE = "response"
    GAP = "gap"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """One Lambda function, optionally at a qualifier (version number, alias or `$LATEST`)."""

    account: str
    region: str
    name: str
    qualifier: str | None = None

    @property
    def arn(self) -> str:
        base = f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"
        return f"{base}:{self.qualifier}" if self.qualifier else base

    @classmethod
    def from_arn(cls, arn: str) -> FunctionRef:
        """Parse `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`."""
        parts = arn.split(":")
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function" or not parts[6]:
            raise ValueError(f"not a Lambda function ARN: {arn!r}")
        qualifier = parts[7] if len(parts) > 7 else None
        return cls(account=parts[4], region=parts[3], name=parts[6], qualifier=qualifier)


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """A pointer into the case folder: a path relative to the case and the file's SHA-256."""

    path: str
    sha256: str
    member: str | None = None  # a file inside an archive, when the evidence is one

    def to_json(self) -> dict[str, str]:
        out = {"path": self.path, "sha256": self.sha256}
        if self.member:
            out["member"] = self.member
        return out


# How another account's caller (an `AWSAccount` identity, which CloudTrail names by no ARN) is
# keyed and named: `account:<account id>/<principal id>`, by baselines, incidents and outputs.
FOREIGN_CALLER = "account:"


def foreign_caller(actor_type: str, actor_arn: str, actor_name: str) -> str:
    """`<account id>/<principal id>` of another account's caller (the index's `actor_name`
    of an `AWSAccount` identity without an ARN), "" for any other caller."""
    return actor_name if actor_type == "AWSAccount" and not actor_arn else ""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made an AWS call, as CloudTrail's userIdentity shows it."""

    arn: str
    type: str = ""
    access_key_id: str = ""
    session_issuer: str = ""
    source_ip: str = ""
    user_agent: str = ""
    # An `AWSAccount` caller (another account, through a resource policy) has no ARN:
    # `<account id>/<principal id>` names it (the principal id without a session name).
    caller: str = ""

    @property
    def key(self) -> str:
        """Who acted, as outputs key and list callers: the ARN, else `account:<caller>` for
        another account's caller (as `baseline_tools.principal_of` names it), else ""."""
        return self.arn or (f"{FOREIGN_CALLER}{self.caller}" if self.caller else "")

    @property
    def name(self) -> str:
        """Who acted, for a sentence: `key`, else the service acting (`AWSService`), the
        access key, or that nobody was named."""
        if key := self.key:
            return key
        if self.type == "AWSService" and self.user_agent:
            return self.user_agent
        if self.access_key_id:
            return f"access key {self.access_key_id}"
        return "an unnamed caller"

    def to_json(self) -> dict[str, str]:
        """The fields that are set, in their order (spelt out: a comprehension over the field
        names with getattr took twice as long, for every finding of a million-event case)."""
        out = {"arn": self.arn} if self.arn else {}
        if self.type:
            out["type"] = self.type
        if self.access_key_id:
            out["access_key_id"] = self.access_key_id
        if self.session_issuer:
            out["session_issuer"] = self.session_issuer
        if self.source_ip:
            out["source_ip"] = self.source_ip
        if self.user_agent:
            out["user_agent"] = self.user_agent
        if self.caller:
            out["caller"] = self.caller
        return out


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a detector found, citing the evidence it came from (findings.json)."""

    id: str
    detector: str
    title: str
    severity: Severity
    resource: str
    account: str
    region: str
    summary: str
    evidence: tuple[EvidenceRef, ...]
    attack: tuple[str, ...] = ()
    time: str | None = None
    actor: Actor | None = None
    details: dict[str, Any] = field(default_factory=dict)
    incident: str = ""  # the incident (incidents.json) that holds it, once correlated

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "incident": self.incident or None,
            "detector": self.detector,
            "title": self.title,
            "severity": self.severity.value,
            "resource": self.resource,
            "account": self.account,
            "region": self.region,
            "attack": list(self.attack),
            "summary": self.summary,
            "evidence": [ref.to_json() for ref in self.evidence],
            "time": self.time,
            "actor": self.actor.to_json() if self.actor else None,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One dated event on the case's timeline (timeline.jsonl)."""

    time: str  # UTC, ISO-8601 with a trailing Z
    source: str  # cloudtrail, lambda, logs, runtime, finding
    kind: str
    resource: str
    summary: str
    actor: str = ""
    evidence: tuple[EvidenceRef, ...] = ()
    # Where the event happened and what to pivot on (Timesketch); "" when the evidence
    # does not say. Same-named functions in two regions or accounts differ here.
    account: str = ""
    region: str = ""
    function: str = ""
    version: str = ""
    source_ip: str = ""
    access_key_id: str = ""
    event_id: str = ""

    @property
    def function_arn(self) -> str:
        """The unqualified ARN of the function the event is about, "" when not one."""
        if not (self.function and self.account and self.region):
            return ""
        return FunctionRef(self.account, self.region, self.function).arn

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "source": self.source,
            "kind": self.kind,
            "resource": self.resource,
            "actor": self.actor,
            "summary": self.summary,
            "evidence": [ref.to_json() for ref in self.evidence],
            **{name: getattr(self, name) for name in PIVOT_FIELDS},
        }


# TimelineEvent fields a timeline row carries for pivoting (JSONL, CSV, filters).
PIVOT_FIELDS = (
    "account",
    "region",
    "function",
    "version",
    "source_ip",
    "access_key_id",
    "event_id",
)
