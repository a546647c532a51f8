"""What a detector is: declared metadata plus a pure `detect(case)` that yields findings.

A detector reads a `CaseView`, yields `Finding`s that cite their evidence, writes nothing
and calls no AWS. Its id is stable and never reused; a finding's id is derived from the
detector id, the resource and the facts that make it this finding, so a re-run of the same
case produces the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from lambda_ir.model import Actor, EvidenceRef, Finding, Kind, Severity
from lambda_ir.redact import document_is_clean, redact_document, redact_text

if TYPE_CHECKING:
    from lambda_ir.analyze.caseview import CaseView


@dataclass(frozen=True)
class DetectorInfo:
    """A detector's declaration: id, title, default severity, ATT&CK ids, evidence it reads."""

    id: str
    title: str
    severity: Severity
    attack: tuple[str, ...]
    evidence: tuple[Kind, ...]
    references: tuple[str, ...] = ()
    false_positives: str = ""
    description: str = ""


DetectFn = Callable[["CaseView"], Iterable[Finding]]


@dataclass(frozen=True)
class Detector:
    """One unit of detection: its declaration and the function that runs it."""

    info: DetectorInfo
    detect: DetectFn


def finding_id(detector_id: str, resource: str, key: str) -> str:
    """A stable finding id: the same detector, resource and key facts give the same id."""
    digest = hashlib.sha256(f"{detector_id}\x00{resource}\x00{key}".encode()).hexdigest()
    return f"{detector_id}:{digest[:16]}"


def make_finding(
    info: DetectorInfo,
    *,
    resource: str,
    account: str,
    region: str,
    summary: str,
    evidence: Iterable[EvidenceRef],
    key: str = "",
    severity: Severity | None = None,
    time: str | None = None,
    actor: Actor | None = None,
    details: dict[str, Any] | None = None,
    title: str | None = None,
    attack: tuple[str, ...] | None = None,
) -> Finding:
    """Build a finding from a detector's declaration; summary and details are redacted here."""
    refs = tuple(dict.fromkeys(evidence))  # de-duplicated, order kept
    summary, clean = redacted(summary, details or {})
    return Finding(
        id=finding_id(info.id, resource, key),
        detector=info.id,
        title=title or info.title,
        severity=severity or info.severity,
        resource=resource,
        account=account,
        region=region,
        summary=summary,
        evidence=refs,
        attack=attack if attack is not None else info.attack,
        time=time,
        actor=actor,
        details=clean,
    )


def redacted(summary: str, details: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A finding's summary and details as findings.json holds them, secrets redacted. Both
    with nothing to redact (nearly all: ids, verdicts, operations) are checked in one search
    of their JSON and a walk of the details' keys (`redact.document_is_clean`), not string
    by string, and kept as given: a detector's details are JSON's own types (lists, not
    tuples), as findings.json gives them back, and may share parts (a verdict) with other
    findings', never to be changed."""
    document = [summary, details]
    try:
        text = orjson.dumps(document)
    except TypeError:  # not JSON as it stands (a non-string key): the long way
        return redact_text(summary), dict(redact_document(details))
    if document_is_clean(text, document):
        return summary, details
    return redact_text(summary), dict(redact_document(details))
