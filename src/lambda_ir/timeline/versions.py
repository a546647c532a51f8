"""Versions and configuration changes: when each version's code and configuration changed.

Parsing (which versions exist, with which hash) is kept apart from which dates become events
(a version's `LastModified`) and how they read (the messages), as plaso taught.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from lambda_ir.evidence import Case
from lambda_ir.model import EvidenceRef, TimelineEvent
from lambda_ir.timeline.clock import utc_iso
from lambda_ir.timeline.documents import documents

# Configuration fields whose change between versions a responder wants to see.
WATCHED_FIELDS = (
    "Role",
    "Handler",
    "Runtime",
    "Layers",
    "Environment",
    "Timeout",
    "MemorySize",
    "VpcConfig",
    "ImageConfigResponse",
    "Architectures",
)


@dataclass(frozen=True)
class VersionRecord:
    """One function version (or `$LATEST`) as ListVersionsByFunction/GetFunction showed it."""

    account: str
    region: str
    function: str
    version: str
    code_sha256: str
    last_modified: str | None
    configuration: dict[str, Any]
    evidence: EvidenceRef

    @property
    def order(self) -> tuple[int, int]:
        """Sort key: numbered versions in order, `$LATEST` after them."""
        return (1, 0) if not self.version.isdigit() else (0, int(self.version))


def read_versions(case: Case, warnings: list[str] | None = None) -> list[VersionRecord]:
    """Every version of every function, once each, sorted by function then version number."""
    seen: dict[tuple[str, str, str, str], VersionRecord] = {}
    for doc in documents(case, "function-versions", "function", warnings=warnings):
        body = doc.body if isinstance(doc.body, dict) else {}
        configs = body.get("Versions") or (
            [body["Configuration"]] if "Configuration" in body else []
        )
        for config in configs:
            if not isinstance(config, dict) or not config.get("FunctionName"):
                continue
            record = VersionRecord(
                account=doc.entry.account or "",
                region=doc.entry.region or "",
                function=str(config["FunctionName"]),
                version=str(config.get("Version", "$LATEST")),
                code_sha256=str(config.get("CodeSha256", "")),
                last_modified=utc_iso(config.get("LastModified")),
                configuration=config,
                evidence=doc.ref,
            )
            key = (record.account, record.region, record.function, record.version)
            seen.setdefault(key, record)  # the version list comes first and is complete
    return sorted(seen.values(), key=lambda r: (r.account, r.region, r.function, r.order))


def version_events(records: Iterable[VersionRecord]) -> list[TimelineEvent]:
    """Version publications, code-hash changes and configuration changes, as events."""
    events: list[TimelineEvent] = []
    previous: VersionRecord | None = None
    for record in records:
        same_function = previous is not None and _function_key(previous) == _function_key(record)
        events.extend(_events_for(record, previous if same_function else None))
        previous = record
    return sorted(events, key=lambda e: e.time)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The watched configuration fields that differ between two versions."""
    return [name for name in WATCHED_FIELDS if before.get(name) != after.get(name)]


def _events_for(record: VersionRecord, previous: VersionRecord | None) -> Iterator[TimelineEvent]:
    if record.last_modified is None:
        return
    if record.version == "$LATEST" and previous is not None and _same_as(previous, record):
        return  # $LATEST unchanged since the last publication: that version already says it
    resource = f"{record.function}:{record.version}"
    label = "$LATEST" if record.version == "$LATEST" else f"version {record.version}"
    yield _event(record, "version-modified", f"{label} last modified; code {record.code_sha256}")
    if previous is None:
        return
    if previous.code_sha256 != record.code_sha256:
        yield _event(
            record,
            "code-changed",
            f"code of {record.function} changed from {previous.version} to {record.version}: "
            f"{previous.code_sha256} → {record.code_sha256}",
        )
    fields = changed_fields(previous.configuration, record.configuration)
    if fields:
        yield _event(
            record,
            "config-changed",
            f"configuration of {resource} differs from {previous.version}: {', '.join(fields)}",
        )


def _event(record: VersionRecord, kind: str, summary: str) -> TimelineEvent:
    return TimelineEvent(
        time=record.last_modified or "",
        source="lambda",
        kind=kind,
        resource=f"{record.function}:{record.version}",
        summary=summary,
        evidence=(record.evidence,),
        account=record.account,
        region=record.region,
        function=record.function,
        version=record.version,
    )


def _same_as(published: VersionRecord, latest: VersionRecord) -> bool:
    return (
        published.code_sha256 == latest.code_sha256
        and published.last_modified == latest.last_modified
        and not changed_fields(published.configuration, latest.configuration)
    )


def _function_key(record: VersionRecord) -> tuple[str, str, str]:
    return (record.account, record.region, record.function)
