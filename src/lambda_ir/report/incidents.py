"""Incidents from `incidents.json` (written by `analyze`), parsed once for the report.

An incident is findings of one actor close in time, or one function's exposure (DESIGN.md).
When the file is absent the report groups findings by function instead; a malformed entry
is a warning, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from lambda_ir.analyze.incidents import rank
from lambda_ir.evidence import Case
from lambda_ir.model import Severity
from lambda_ir.redact import redact_text

INCIDENTS_FILE = "incidents.json"


@dataclass(frozen=True)
class IncidentActor:
    """Who acted in an incident: the principal, its access keys and where it came from."""

    principal: str
    access_keys: tuple[str, ...]
    addresses: tuple[str, ...]
    user_agents: tuple[str, ...]


@dataclass(frozen=True)
class Incident:
    """One incident as the report shows it (redacted)."""

    id: str
    title: str
    severity: Severity
    score: float
    kind: str
    actors: tuple[IncidentActor, ...]
    functions: tuple[str, ...]
    first: str
    last: str
    findings: tuple[str, ...]
    actions: tuple[str, ...]


def read_incidents(case: Case, warnings: list[str] | None = None) -> tuple[Incident, ...] | None:
    """The case's incidents in incidents.json's ranking (`rank`: most severe, activity before
    exposure, then score), which the file already holds and a sort that keeps ties in the
    file's order leaves as it is; None when `incidents.json` does not exist.

    A ranking of its own (score before kind) put an exposure above an intrusion of the same
    severity: the page and the terminal named a different incident first."""
    path = case.root / INCIDENTS_FILE
    if not path.is_file():
        return None
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        if warnings is not None:
            warnings.append(f"{INCIDENTS_FILE}: not valid JSON ({exc})")
        return None
    records = document.get("incidents", []) if isinstance(document, dict) else document
    incidents = []
    for number, record in enumerate(records if isinstance(records, list) else []):
        try:
            incidents.append(_incident(record))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if warnings is not None:
                warnings.append(f"{INCIDENTS_FILE}: incident {number} unreadable ({exc})")
    return tuple(sorted(incidents, key=lambda i: rank(i.severity, i.kind, i.score, i.first)))


def _incident(record: dict[str, Any]) -> Incident:
    return Incident(
        id=str(record["id"]),
        title=redact_text(str(record.get("title") or "")),
        severity=Severity(str(record.get("severity") or "info").lower()),
        score=float(record.get("score") or 0),
        kind=str(record.get("kind") or ""),
        actors=tuple(_actor(a) for a in record.get("actors") or [] if isinstance(a, dict)),
        functions=_strings(record.get("functions")),
        first=str(record.get("first") or ""),
        last=str(record.get("last") or ""),
        findings=_strings(record.get("findings")),
        actions=tuple(redact_text(a) for a in _strings(record.get("actions"))),
    )


def _actor(record: dict[str, Any]) -> IncidentActor:
    return IncidentActor(
        principal=str(record.get("principal") or ""),
        access_keys=_strings(record.get("access_keys")),
        addresses=_strings(record.get("addresses")),
        user_agents=_strings(record.get("user_agents")),
    )


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if v is not None and not isinstance(v, dict | list))
    return ()
