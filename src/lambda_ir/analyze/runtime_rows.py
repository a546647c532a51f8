"""What the runtime detectors (`detectors/rt_*.py`) share: the finding for one snapshot fact.

Rows come from the index's `runtime_files`, `runtime_processes` and `runtime_connections`
(`evidence/index_runtime.py`) grouped by function and fact; each finding cites every snapshot
that showed the fact and carries the first time it was seen.
"""

from __future__ import annotations

from typing import Any

from lambda_ir.analyze.detector import DetectorInfo, make_finding
from lambda_ir.model import EvidenceRef, Finding, FunctionRef, Severity

# Aggregate of a grouped query: the distinct snapshots (path, sha256) that showed the fact.
EVIDENCE_AGG = "list(DISTINCT [evidence_path, evidence_sha256]) AS evidence"
# The collector itself: its own processes and layer files are never findings.
OWN_PATHS = ("/opt/lambda-ir/", "/opt/extensions/lambda-ir")


def resource_of(account: str, region: str, function: str) -> str:
    """The function's ARN when the account is known, else its name."""
    if account and region and function:
        return FunctionRef(account, region, function).arn
    return function or "unknown function"


def runtime_finding(
    info: DetectorInfo,
    where: tuple[str, str, str],
    *,
    key: str,
    first: Any,
    evidence: list[list[str]],
    summary: str,
    severity: Severity | None = None,
    details: dict[str, Any] | None = None,
) -> Finding:
    """One finding about `where` (account, region, function), citing the snapshots."""
    account, region, function = where
    resource = resource_of(account, region, function)
    return make_finding(
        info,
        resource=resource,
        account=account,
        region=region,
        key=key,
        severity=severity,
        time=f"{first.isoformat(timespec='milliseconds')}Z" if first is not None else None,
        evidence=(EvidenceRef(path, sha256) for path, sha256 in evidence),
        summary=summary,
        details=details,
    )
