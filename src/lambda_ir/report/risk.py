"""Which functions the findings put at risk, and how: computed once per report.

The page, the Markdown and the checklist each asked for the list (seven times a report; on
a million-event case 0.4 s each), so `ReportFacts.at_risk` keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lambda_ir.analyze.incident_actions import RUNNING
from lambda_ir.model import Finding, FunctionRef, Severity

# Findings that say something happened (code, logs, a principal's calls), not only a door
# left open: a function with one of these, or with a miner seen running in it (`RUNNING` at
# high or worse: an executable in /tmp alone is a headless browser's too), is compromised,
# otherwise exposed.
ACTIVITY = ("yara:", "LIR-CODE-", "LIR-CHG-", "LIR-IOC-", "LIR-LOG-", "LIR-CT-", "sigma:")


@dataclass(frozen=True)
class AtRisk:
    """A function the findings (medium or worse) are about."""

    arn: str
    label: str
    severity: Severity
    state: str  # compromised | exposed
    findings: tuple[Finding, ...]
    first: str


def function_arn(resource: str) -> str:
    """The unqualified ARN of the function a resource names, "" when it names none."""
    try:
        ref = FunctionRef.from_arn(resource)
    except ValueError:
        return ""
    return FunctionRef(ref.account, ref.region, ref.name).arn


def at_risk(findings: Iterable[Finding], label: Callable[[str], str]) -> tuple[AtRisk, ...]:
    """Functions with medium or worse findings, the most severe (then most findings) first;
    `label` names a function for people (`ReportFacts.label`)."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        arn = function_arn(finding.resource)
        if arn and finding.severity.rank >= Severity.MEDIUM.rank:
            grouped.setdefault(arn, []).append(finding)
    out = [
        AtRisk(
            arn=arn,
            label=label(arn),
            severity=max((f.severity for f in found), key=lambda s: s.rank),
            state=_state(found),
            findings=tuple(found),
            first=min((f.time for f in found if f.time), default=""),
        )
        for arn, found in grouped.items()
    ]
    return tuple(sorted(out, key=lambda a: (-a.severity.rank, -len(a.findings), a.arn)))


def _state(findings: list[Finding]) -> str:
    """compromised when a finding says something happened, else exposed."""
    happened = any(
        f.detector.startswith(ACTIVITY)
        or (f.detector in RUNNING and f.severity.rank >= Severity.HIGH.rank)
        for f in findings
    )
    return "compromised" if happened else "exposed"
