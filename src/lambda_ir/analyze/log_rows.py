"""Helpers for log detectors: evidence lists and function ARNs from index rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from lambda_ir.analyze.detector import DetectorInfo, make_finding
from lambda_ir.model import EvidenceRef, Finding, FunctionRef, Severity

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


def log_finding(
    info: DetectorInfo,
    where: tuple[str, str, str, str | None],
    *,
    first: object,
    evidence: Iterable[str],
    key: str,
    summary: str,
    severity: Severity | None = None,
    details: dict[str, Any] | None = None,
) -> Finding:
    """A finding about one function version's logs; `where` is (account, region, function,
    version) as the index rows give them, `first` the first matching time."""
    account, region, name, version = where
    return make_finding(
        info,
        resource=function_arn(account, region, name, version),
        account=account or "",
        region=region or "",
        severity=severity,
        key=key,
        time=iso(first),
        evidence=refs(evidence),
        summary=summary,
        details=details,
    )
