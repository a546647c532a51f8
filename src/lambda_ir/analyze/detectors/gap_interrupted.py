"""LIR-GAP-003: a collection was cut short and none covering it has completed since.

Ctrl-C leaves a consistent case holding only what the run reached: functions not yet
listed or read are in no finding and no count, so a quiet report of such a case would read
as complete. Custody says it (`collect-interrupted`, with the queued calls it dropped); a
later collection that completes clears it (`evidence.interrupted`).
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.evidence.interrupted import last_interruption
from lambda_ir.evidence.layout import CUSTODY
from lambda_ir.model import EvidenceRef, Finding, Severity

INFO = DetectorInfo(
    id="LIR-GAP-003",
    title="Evidence gap: collection interrupted",
    severity=Severity.LOW,
    attack=("T1562",),  # as LIR-GAP-001: what could not be examined
    evidence=(),
    # collection must be complete, or say what it left out
    references=("https://csrc.nist.gov/pubs/sp/800/86/final",),
    false_positives=(
        "A responder who stopped a collection on purpose (it is still incomplete); "
        "`analyze` run while a `collect` of the case is still running (its start has no end "
        "yet)."
    ),
    description=(
        "A collect run ended on Ctrl-C, or logged its start and never its end (killed), and "
        "no later run covering its accounts, regions and functions has completed; run it "
        "again to resume."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """One finding when custody's last collection ended interrupted, citing its entries."""
    stopped = last_interruption(case.case.root)
    if stopped is None:
        return
    account = stopped.accounts[0] if len(stopped.accounts) == 1 else ""
    region = stopped.regions[0] if len(stopped.regions) == 1 else ""
    yield make_finding(
        INFO,
        resource=f"arn:aws:lambda:{region or '*'}:{account or '*'}:*",
        account=account,
        region=region,
        key=f"interrupted|{stopped.time}",
        evidence=tuple(EvidenceRef(CUSTODY, line) for line in stopped.lines),
        summary=stopped.describe(),
        details={
            "interrupted_at": stopped.time,
            "accounts": list(stopped.accounts),
            "regions": list(stopped.regions),
            "not_done": stopped.not_done,
        },
    )


DETECTOR = Detector(INFO, detect)
