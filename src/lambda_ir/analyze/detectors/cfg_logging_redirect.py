"""LIR-CFG-007: a function's logs are sent to a log group other than its own."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.attribution import config_event
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.versions import group_finding, group_versions
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CFG-007",
    title="Logging redirected away from the function's log group",
    severity=Severity.LOW,
    attack=("T1562.008",),
    evidence=(Kind.FUNCTION_VERSIONS, Kind.FUNCTION),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html",
    ),
    false_positives="Teams that centralise several functions' logs in one group by design.",
)


def detect(case: CaseView) -> Iterator[Finding]:
    """LoggingConfig.LogGroup set to something other than /aws/lambda/<function>."""
    items = [
        (c, c.log_group)
        for c in case.functions
        if c.log_group
        and c.log_group != f"/aws/lambda/{c.ref.name}"
        and c.log_group not in case.options.allowed_names
    ]
    for group in group_versions(items):
        config = group.first
        yield group_finding(
            INFO,
            group,
            cause=config_event(case, config, "loggingConfig", group.key),
            summary=(
                f"{config.ref.name} (versions {', '.join(group.versions)}) logs to {group.key}, "
                f"not /aws/lambda/{config.ref.name}: a collection with a window reads that "
                "group too (unless --no-logs); check who changed it and what else writes there."
            ),
            details={"log_group": group.key, "versions": group.versions},
        )


DETECTOR = Detector(INFO, detect)
