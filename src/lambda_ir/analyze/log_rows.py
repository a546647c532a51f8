"""Helpers for log detectors: evidence lists and function ARNs from index rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from lambda_ir.model import EvidenceRef, FunctionRef

MAX_REFS = 20  # a finding cites at most this many log files (the first ones, in order)

# SQL fragment: the distinct evidence of a group, as 'path|sha256' strings.
EVIDENCE_AGG = "list(DISTINCT evidence_path || '|' || evidence_sha256 ORDER BY 1)"


def refs(joined: Iterable[str]) -> tuple[EvidenceRef, ...]:
    """EvidenceRefs from `EVIDENCE_AGG` values."""
    out = []
    for item in list(joined)[:MAX_REFS]:
        path, _, sha = str(item).rpartition("|")
        out.append(EvidenceRef(path, sha))
    return tuple(out)


def function_arn(account: str, region: str, name: str, version: str | None) -> str:
    """The function (with version when the log stream names it)."""
    return FunctionRef(account or "", region or "", name or "?", version or None).arn


def iso(value: object) -> str | None:
    """Index timestamps (naive UTC) as ISO-8601 with a Z."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return None
