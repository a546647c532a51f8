"""LIR-LOG-002: a version whose duration or memory use stands out from the function's others."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.log_rows import EVIDENCE_AGG, log_finding
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-LOG-002",
    title="Duration or memory outlier for a function version",
    severity=Severity.LOW,
    attack=("T1496",),
    evidence=(Kind.LOGS,),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html",),
    false_positives="A release that legitimately does more work; cold-start heavy versions.",
    description=(
        "LOW: a version that runs much longer or near its memory limit is usually a heavier "
        "release; it is a reason to diff the version's code, not evidence of compromise."
    ),
)
RATIO = 5.0  # median duration at least this many times the function's other versions
MIN_MS = 1000.0

_SQL = f"""
WITH per_version AS (
  SELECT account, region, function_name, version, count(*) AS calls,
         median(duration_ms) AS p50, median(max_memory_mb::DOUBLE / nullif(memory_mb, 0)) AS mem,
         min(ts) AS first, {EVIDENCE_AGG} AS evidence
  FROM report_lines WHERE duration_ms IS NOT NULL GROUP BY ALL
)
SELECT v.account, v.region, v.function_name, v.version, v.calls, v.p50, v.mem, v.first,
       v.evidence, (SELECT median(o.p50) FROM per_version o
                    WHERE o.function_name = v.function_name AND o.account = v.account
                      AND o.region = v.region AND o.version IS DISTINCT FROM v.version) AS others
FROM per_version v ORDER BY v.function_name, v.version
"""  # noqa: S608 - constant SQL


def detect(case: CaseView) -> Iterator[Finding]:
    """Versions running 5x longer than the function's other versions, or near memory limits."""
    rows = case.index.execute(_SQL).fetchall()
    for account, region, name, version, calls, p50, mem, first, evidence, others in rows:
        reasons = []
        if others and p50 >= MIN_MS and p50 >= RATIO * others:
            reasons.append(f"median duration {p50:.0f} ms vs {others:.0f} ms for other versions")
        if mem is not None and mem >= 0.95 and calls >= 3:
            reasons.append(f"median memory use {mem:.0%} of the configured size")
        if not reasons:
            continue
        yield log_finding(
            INFO,
            (account, region, name, version),
            key=f"{name}|{version}|{';'.join(r.split(' ')[1] for r in reasons)}",
            first=first,
            evidence=evidence,
            summary=(
                f"{name} version {version or '?'}: {'; '.join(reasons)} over {calls} "
                "invocations; compare its code with the other versions (the report's "
                "version table gives the complete diff command)."
            ),
            details={
                "calls": calls,
                "median_ms": p50,
                "others_median_ms": others,
                "median_memory_share": mem,
            },
        )


DETECTOR = Detector(INFO, detect)
