"""Grouping per-version configuration problems: one problem is one finding, not one a version."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lambda_ir.analyze.detector import DetectorInfo, make_finding
from lambda_ir.analyze.trail_rows import TrailRow
from lambda_ir.analyze.unknowns import UNKNOWN_TIME
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.model import EvidenceRef, Finding, Severity


@dataclass(frozen=True)
class VersionGroup:
    """Every version of one function that shows the same problem (`key`)."""

    key: str
    configs: tuple[FunctionConfig, ...]

    @property
    def first(self) -> FunctionConfig:
        """The version the finding names: $LATEST if affected, else the newest number."""
        return self.configs[0]

    @property
    def versions(self) -> list[str]:
        return [c.ref.qualifier or "$LATEST" for c in self.configs]

    @property
    def evidence(self) -> tuple[EvidenceRef, ...]:
        return tuple(dict.fromkeys(c.evidence for c in self.configs))


def _order(config: FunctionConfig) -> tuple[int, int]:
    qualifier = config.ref.qualifier or "$LATEST"
    return (0, 0) if qualifier == "$LATEST" else (1, -int(qualifier) if qualifier.isdigit() else 0)


def group_versions(items: Iterable[tuple[FunctionConfig, str]]) -> list[VersionGroup]:
    """Group (version, problem key) pairs by function and key, newest version first."""
    groups: dict[tuple[str, str], list[FunctionConfig]] = {}
    for config, key in items:
        groups.setdefault((config.unqualified_arn, key), []).append(config)
    return [
        VersionGroup(key, tuple(sorted(configs, key=_order)))
        for (_, key), configs in sorted(groups.items())
    ]


def chronological(configs: Iterable[FunctionConfig]) -> list[FunctionConfig]:
    """Versions oldest first: numbered versions ascending, then $LATEST."""

    def order(config: FunctionConfig) -> tuple[int, int]:
        qualifier = config.ref.qualifier or "$LATEST"
        return (1, 0) if not qualifier.isdigit() else (0, int(qualifier))

    return sorted(configs, key=order)


def by_function(configs: Iterable[FunctionConfig]) -> dict[str, list[FunctionConfig]]:
    """Versions grouped by unqualified function ARN, each list oldest first."""
    out: dict[str, list[FunctionConfig]] = {}
    for config in configs:
        out.setdefault(config.unqualified_arn, []).append(config)
    return {arn: chronological(versions) for arn, versions in out.items()}


def group_finding(
    info: DetectorInfo,
    group: VersionGroup,
    *,
    summary: str,
    severity: Severity | None = None,
    details: dict[str, Any] | None = None,
    extra_evidence: tuple[EvidenceRef, ...] = (),
    cause: TrailRow | None = None,
) -> Finding:
    """A finding about one problem shared by several versions: named on the newest version,
    citing every version's configuration, keyed by the problem; `cause` (the CloudTrail call
    that set the newest version's configuration) gives its time and actor."""
    config = group.first
    if cause is not None:
        extra_evidence = (*extra_evidence, cause.evidence)
    return make_finding(
        info,
        resource=config.ref.arn,
        account=config.ref.account,
        region=config.ref.region,
        severity=severity,
        key=group.key,
        evidence=(*group.evidence, *extra_evidence),
        summary=summary
        + (f" Set by {cause.actor.name} at {cause.time or UNKNOWN_TIME}." if cause else ""),
        time=cause.time if cause else None,
        actor=cause.actor if cause else None,
        details={"versions": group.versions, **(details or {})},
    )
