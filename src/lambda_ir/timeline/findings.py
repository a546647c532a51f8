"""Findings from `findings.json` (written by `analyze`): parsed once, and dated ones as events."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from lambda_ir.evidence import Case
from lambda_ir.model import Actor, EvidenceRef, Finding, FunctionRef, Severity, TimelineEvent
from lambda_ir.timeline.clock import utc_iso

FINDINGS_FILE = "findings.json"


def read_findings(case: Case, warnings: list[str] | None = None) -> list[Finding]:
    """The case's findings, most severe first; an absent file means `analyze` has not run."""
    path = case.root / FINDINGS_FILE
    if not path.is_file():  # said: a report of "0 findings" otherwise read as all clear
        if warnings is not None:
            warnings.append(f"no {FINDINGS_FILE}: `lambda-ir analyze` has not run on this case")
        return []
    notes: list[str] = []  # the unreadable findings, once whichever way the file was read
    try:
        try:
            findings = _parsed(finding_blocks(path), notes)
        except orjson.JSONDecodeError:  # not laid out as `analyze` writes it: parsed whole
            notes.clear()
            findings = _parsed([_items(orjson.loads(path.read_bytes()))], notes)
    except orjson.JSONDecodeError as exc:
        notes = [f"{FINDINGS_FILE}: not valid JSON ({exc})"]
        findings = []
    if warnings is not None:
        warnings.extend(notes)
    return sorted(findings, key=lambda f: (-f.severity.rank, f.time or "", f.id))


def _parsed(blocks: Iterable[list[Any]], warnings: list[str]) -> list[Finding]:
    findings = []
    number = 0
    for block in blocks:
        for record in block:
            try:
                findings.append(parse_finding(record))
            except (KeyError, TypeError, ValueError) as exc:
                warnings.append(f"{FINDINGS_FILE}: finding {number} unreadable ({exc})")
            number += 1
    return findings


BLOCK = 8 * 2**20  # bytes of findings.json parsed at once
# Where two findings meet in `analyze`'s indented JSON, and nowhere else: a string holds no
# raw newline, and only the list's own items close at two spaces.
_BETWEEN = b"\n  },\n  {"


def finding_blocks(path: Path, size: int = BLOCK) -> Iterator[list[Any]]:
    """The items of a findings.json list, parsed about `size` bytes of findings at a time:
    at a million events the file is 311 MB, and parsed whole it took 1.5 GB before a single
    finding was built. A file not laid out as `analyze` writes it is parsed whole; a block
    that does not parse raises `orjson.JSONDecodeError` (the layout is only a shortcut)."""
    with path.open("rb") as stream:
        text = stream.read(size)
        if not text.startswith(b"[\n  {"):
            yield _items(orjson.loads(text + stream.read()))
            return
        text = text[1:]  # the items; each block is put back in brackets to be parsed
        while True:
            more = stream.read(size)
            text += more
            if not more:  # the rest, with the list's own "]"
                yield _items(orjson.loads(b"[" + text))
                return
            end = text.rfind(_BETWEEN)
            if end == -1:
                continue  # one finding longer than a block: read on
            yield _items(orjson.loads(b"[" + text[: end + 4] + b"]"))  # through its "}"
            text = text[end + 5 :]  # past the comma


def _items(document: Any) -> list[Any]:
    return document if isinstance(document, list) else []


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
        incident=str(record.get("incident") or ""),  # written as null when none
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
            actor=finding.actor.key if finding.actor else "",
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
        caller=str(record.get("caller") or ""),
    )
