"""Aliases: where each alias pointed when the case was collected.

ListAliases carries no dates, so the alias's state is placed at collection time; the moves
themselves come from CloudTrail (`UpdateAlias`, `CreateAlias`), read by `cloudtrail`.
"""

from __future__ import annotations

from typing import Any

from lambda_ir.evidence import Case
from lambda_ir.model import TimelineEvent
from lambda_ir.timeline.clock import utc_iso
from lambda_ir.timeline.documents import Document, documents


def alias_events(case: Case, warnings: list[str] | None = None) -> list[TimelineEvent]:
    """One `alias-state` event per alias, dated when it was collected."""
    events = [
        event
        for doc in documents(case, "alias", warnings=warnings)
        for event in _from_document(doc)
    ]
    return sorted(events, key=lambda e: e.time)


def describe_alias(alias: dict[str, Any]) -> str:
    """How an alias reads: `live → 3 (weighted: 4 at 10%)`."""
    target = f"{alias.get('Name', '?')} → {alias.get('FunctionVersion', '?')}"
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    if weights:
        shares = ", ".join(f"{v} at {float(w) * 100:g}%" for v, w in sorted(weights.items()))
        target += f" (weighted: {shares})"
    return target


def routed_versions(alias: dict[str, Any]) -> tuple[str, ...]:
    """The versions an alias sends traffic to: its own, then those it weights."""
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return tuple(str(v) for v in (alias.get("FunctionVersion"), *weights) if v)


def _from_document(doc: Document) -> list[TimelineEvent]:
    function = str(doc.entry.params.get("FunctionName", ""))
    time = utc_iso(doc.entry.acquired_at)
    body = doc.body if isinstance(doc.body, dict) else {}
    if time is None:
        return []
    return [
        TimelineEvent(
            time=time,
            source="lambda",
            kind="alias-state",
            resource=f"{function}:{alias.get('Name', '')}",
            summary=f"at collection, alias {describe_alias(alias)} of {function}",
            evidence=(doc.ref,),
            account=doc.entry.account or "",
            region=doc.entry.region or "",
            function=function,
            version=str(alias.get("Name", "")),
        )
        for alias in body.get("Aliases") or []
        if isinstance(alias, dict)
    ]
