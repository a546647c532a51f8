"""`findings.ocsf.jsonl`: findings as OCSF Detection Findings (class 2004), one per line.

The schema Amazon Security Lake uses (OCSF 1.1). Required attributes for the class:
activity_id, category_uid, class_uid, finding_info (uid, title), metadata (product,
version), severity_id, time, type_uid; plus cloud, resources, evidences, the ATT&CK
techniques in finding_info.attacks, and what has no OCSF attribute in `unmapped`.
Written with C1, DEL and bidi controls as `\\uXXXX` (`sanitize.json_bytes`, the same JSON).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC
from typing import Any

import orjson

from lambda_ir import __version__, sanitize
from lambda_ir.model import Finding, Severity
from lambda_ir.report.blocks import BLOCK, batches
from lambda_ir.timeline.clock import as_datetime

OCSF_VERSION = "1.1.0"
CLASS_UID = 2004  # Detection Finding
CATEGORY_UID = 2  # Findings
ACTIVITY_CREATE = 1
AWS_ACCOUNT = 10  # the Account object's type_id for an AWS account
SEVERITY_ID = {
    Severity.INFO: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}
REQUIRED = (
    "activity_id",
    "category_uid",
    "class_uid",
    "finding_info",
    "metadata",
    "severity_id",
    "time",
    "type_uid",
)


def ocsf_bytes(findings: tuple[Finding, ...], generated: str) -> bytes:
    """`findings.ocsf.jsonl` as written: one finding a line, nothing raw a terminal runs."""
    lines = b"".join(orjson.dumps(row) + b"\n" for row in render_ocsf(findings, generated))
    return sanitize.json_bytes(lines)


def ocsf_chunks(findings: Sequence[Finding], generated: str, block: int = BLOCK) -> Iterator[bytes]:
    """`ocsf_bytes`, `block` lines at a time: never a dict per finding for all of them, nor
    the whole file as one string."""
    for batch in batches(findings, block):
        yield sanitize.json_bytes(
            b"".join(orjson.dumps(_detection(finding, generated)) + b"\n" for finding in batch)
        )


def render_ocsf(findings: tuple[Finding, ...], generated: str) -> list[dict[str, Any]]:
    """One Detection Finding per finding; `generated` dates findings that carry no time."""
    return [_detection(finding, generated) for finding in findings]


def _detection(finding: Finding, generated: str) -> dict[str, Any]:
    when = finding.time or generated
    record: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Detection Finding: Create",
        "severity_id": SEVERITY_ID[finding.severity],
        "severity": finding.severity.value.capitalize(),
        "status_id": 1,
        "status": "New",
        "time": _epoch_ms(when),
        "time_dt": when,
        "message": f"{finding.title}: {finding.summary}",
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "lambda-ir", "vendor_name": "lambda-ir", "version": __version__},
            "uid": finding.id,
        },
        "finding_info": {
            "uid": finding.id,
            "title": finding.title,
            "desc": finding.summary,
            "analytic": {"uid": finding.detector, "name": finding.title, "type_id": 1},
            "types": [finding.detector],
            # Findings carry ATT&CK ids only; the id doubles as the name OCSF asks for.
            "attacks": [
                {"technique": {"uid": a, "name": a}, "version": "v15"} for a in finding.attack
            ],
        },
        "cloud": {
            "provider": "AWS",
            "region": finding.region,
            "account": {
                "uid": finding.account,
                "name": finding.account,
                "type": "AWS Account",
                "type_id": AWS_ACCOUNT,
            },
        },
        "resources": [{"uid": finding.resource, "type": "AWS::Lambda::Function"}],
        "evidences": [{"data": ref.to_json()} for ref in finding.evidence],
        "unmapped": {"details": finding.details},
    }
    if finding.actor is not None:
        # Detection Finding has no actor attribute; who did it travels in `unmapped`.
        record["unmapped"]["actor"] = finding.actor.to_json()
    return record


def _epoch_ms(iso: str) -> int:
    moment = as_datetime(iso)
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
