"""Findings from `findings.json` (written by `analyze`): parsed once, and dated ones as events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from lambda_ir.evidence import Case
from lambda_ir.model import Actor, EvidenceRef, Finding, FunctionRef, Severity, TimelineEvent
from lambda_ir.timeline.clock import utc_iso

FINDINGS_FILE = "findings.json"


def read_findings(case: Case, warnings: list[str] | None = None) -> list[Finding]:
    """The case's findings, most severe first; an absent file means `analyze` has not run."""
    path = case.root / FINDINGS_FILE
    if not path.is_file():
        return []
    try:
        records = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        if warnings is not None:
            warnings.append(f"{FINDINGS_FILE}: not valid JSON ({exc})")
        return []
    findings = []
    for number, record in enumerate(records if isinstance(records, list) else []):
        try:
            findings.append(parse_finding(record))
        except (KeyError, TypeError, ValueError) as exc:
            if warnings is not None:
                warnings.append(f"{FINDINGS_FILE}: finding {number} unreadable ({exc})")
    return sorted(findings, key=lambda f: (-f.severity.rank, f.time or "", f.id))


def parse_finding(record: dict[str, Any]) -> Finding:
    """One `Finding.to_json()` object back into a `Finding`."""
    actor = record.get("actor") or None
    return Finding(
        id=str(record["id"]),
        detector=str(record["detector"]),
        title=str(record["title"]),
        severity=Severity(str(record["severity"]).lower()),
        resource=str(record.get("resource") or ""),
        account=str(record.get("account") or ""),
        region=str(record.get("region") or ""),
        summary=str(record.get("summary") or ""),
        evidence=tuple(
            EvidenceRef(
                path=str(e["path"]), sha256=str(e.get("sha256", "")), member=e.get("member")
            )
            for e in record.get("evidence") or []
        ),
        attack=tuple(str(a) for a in record.get("attack") or ()),
        time=utc_iso(record.get("time")),
        actor=_actor(actor) if isinstance(actor, dict) else None,
        details=dict(record.get("details") or {}),
    )


def finding_events(findings: Iterable[Finding]) -> list[TimelineEvent]:
    """Findings that carry a time, as `finding` events (undated ones stay in the report)."""
    events = [
        TimelineEvent(
            time=finding.time,
            source="finding",
            kind=finding.detector,
            resource=finding.resource,
            summary=f"[{finding.severity.value}] {finding.title}: {finding.summary}",
            actor=finding.actor.arn if finding.actor else "",
            evidence=finding.evidence,
            **_where(finding),
        )
        for finding in findings
        if finding.time
    ]
    return sorted(events, key=lambda e: e.time)


def _where(finding: Finding) -> dict[str, str]:
    """The pivot fields of a finding's event: its function and the actor's key and address."""
    try:
        ref = FunctionRef.from_arn(finding.resource)
    except ValueError:
        ref = FunctionRef(finding.account, finding.region, "")
    actor = finding.actor or Actor(arn="")
    return {
        "account": ref.account or finding.account,
        "region": ref.region or finding.region,
        "function": ref.name,
        "version": ref.qualifier or "",
        "source_ip": actor.source_ip,
        "access_key_id": actor.access_key_id,
    }


def _actor(record: dict[str, Any]) -> Actor:
    return Actor(
        arn=str(record.get("arn") or ""),
        type=str(record.get("type") or ""),
        access_key_id=str(record.get("access_key_id") or ""),
        session_issuer=str(record.get("session_issuer") or ""),
        source_ip=str(record.get("source_ip") or ""),
        user_agent=str(record.get("user_agent") or ""),
    )
