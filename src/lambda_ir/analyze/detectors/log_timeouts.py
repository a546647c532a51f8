"""LIR-LOG-001: a function version whose invocations run into the timeout (miners do)."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.log_rows import EVIDENCE_AGG, log_finding
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-LOG-001",
    title="Invocations running into the timeout",
    severity=Severity.LOW,
    attack=("T1496",),
    evidence=(Kind.LOGS,),
    references=(
        "https://www.cadosecurity.com/cado-discovers-denonia-the-first-malware-specifically-targeting-lambda/",
    ),
    false_positives="Slow downstream services; functions that poll until their deadline.",
    description=(
        "Timeouts are a symptom a miner shares with a slow dependency, never evidence of "
        "compromise alone: MEDIUM when 10 or more invocations and 75% of a version's ran to "
        "the deadline (a person must look at its code), LOW otherwise."
    ),
)
MIN_TIMEOUTS = 3
MIN_SHARE = 0.2
MANY = 10  # timeouts needed before the share says more than chance

_SQL = f"""
SELECT account, region, function_name, version, count(*) AS calls,
       count(*) FILTER (WHERE status = 'timeout') AS timeouts,
       min(ts) FILTER (WHERE status = 'timeout'), max(duration_ms), {EVIDENCE_AGG}
FROM report_lines GROUP BY ALL
HAVING count(*) FILTER (WHERE status = 'timeout') >= ?
   AND count(*) FILTER (WHERE status = 'timeout') >= ? * count(*)
ORDER BY function_name, version
"""  # noqa: S608 - constant SQL


def _severity(timeouts: int, share: float) -> Severity:
    # A miner runs every invocation to the deadline; a flaky dependency times out some.
    # Either way it is a symptom, not evidence: at most MEDIUM (the code must be looked at).
    if timeouts >= MANY and share >= 0.75:
        return Severity.MEDIUM
    return Severity.LOW


def detect(case: CaseView) -> Iterator[Finding]:
    """Versions where at least 3 invocations and 20% of them ended in a timeout."""
    rows = case.index.execute(_SQL, [MIN_TIMEOUTS, MIN_SHARE]).fetchall()
    for account, region, name, version, calls, timeouts, first, longest, evidence in rows:
        share = timeouts / calls
        yield log_finding(
            INFO,
            (account, region, name, version),
            severity=_severity(timeouts, share),
            key=f"{name}|{version}",
            first=first,
            evidence=evidence,
            summary=(
                f"{timeouts} of {calls} invocations of {name} (version {version or '?'}) ran "
                f"until the timeout (longest {longest or 0:.0f} ms); code that never returns "
                "(a miner, a hung loop) looks like this, so inspect the version's code."
            ),
            details={"calls": calls, "timeouts": timeouts, "share": round(share, 3)},
        )


DETECTOR = Detector(INFO, detect)
