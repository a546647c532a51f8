"""LIR-LOG-003: a burst of failed invocations (crashes after a change, or probing)."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.log_rows import EVIDENCE_AGG, iso, log_finding
from lambda_ir.analyze.unknowns import NO_TIMES
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-LOG-003",
    title="Burst of invocation errors",
    severity=Severity.LOW,
    attack=("T1190", "T1499"),
    evidence=(Kind.LOGS,),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html",),
    false_positives="Outages of a dependency; bad deploys.",
)
MIN_ERRORS = 10
WINDOW_MINUTES = 5

_SQL = f"""
SELECT account, region, function_name, version, min(ts), count(*), {EVIDENCE_AGG}
FROM report_lines WHERE status IN ('error', 'timeout')
GROUP BY account, region, function_name, version, time_bucket(INTERVAL (?) MINUTE, ts)
HAVING count(*) >= ? ORDER BY min(ts)
"""  # noqa: S608 - constant SQL


def detect(case: CaseView) -> Iterator[Finding]:
    """At least 10 failed invocations of one version within 5 minutes."""
    rows = case.index.execute(_SQL, [WINDOW_MINUTES, MIN_ERRORS]).fetchall()
    for account, region, name, version, first, errors, evidence in rows:
        start = iso(first)
        # lines without a timestamp fall in no window: their failures are one count
        window = f" within {WINDOW_MINUTES} minutes from {start}" if start else f", {NO_TIMES}"
        yield log_finding(
            INFO,
            (account, region, name, version),
            key=f"{name}|{version}|{iso(first)}",
            first=first,
            evidence=evidence,
            summary=(
                f"{errors} invocations of {name} (version {version or '?'}) failed{window}; "
                "check what changed just before."
            ),
            details={"errors": errors},
        )


DETECTOR = Detector(INFO, detect)
