"""LIR-CODE-004: a code or layer package built to harm whoever unpacks it.

A zip whose member names climb out of the folder it is unpacked into (`../../etc/cron.d/x`,
`/var/task/...`), a symlink pointing out of it, a member that expands hundreds of times
(a zip bomb), members sharing one compressed stream (the overlapping-files bomb) or one file
spelled twice so a second copy lands over the first (`app.py`, `./app.py`) is never what a
build tool makes. lambda-ir reads packages in memory within limits and survives them;
this says the archive is hostile, so a responder does not unzip it on a workstation.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.archive import Limits, inspect_archive
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import owner_location
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CODE-004",
    title="Hostile archive: path traversal, escaping symlink or zip bomb in a package",
    severity=Severity.HIGH,
    attack=("T1027", "T1499"),
    evidence=(Kind.CODE, Kind.LAYER_CODE),
    references=(
        "https://snyk.io/research/zip-slip-vulnerability",
        "https://www.bamsoftware.com/hacks/zipbomb/",
    ),
    false_positives=(
        "Highly repetitive data files (ratios above 200 alone are LOW); symlinks inside the "
        "package (node_modules/.bin) are not findings, only those pointing out of it."
    ),
)
# Kinds that no build tool produces: HIGH. A bomb's ratio alone may be odd data: LOW.
_BUILT_TO_HARM = frozenset({"traversal", "symlink-escape", "overlap", "shadow"})


def detect(case: CaseView) -> Iterator[Finding]:
    """Every package whose zip directory is hostile, once per package, citing its blob."""
    limits = Limits()
    for package in case.packages:
        try:
            data = case.read_bytes(package.blob, limits.max_package)
        except (OSError, ValueError):
            continue  # an unreadable blob is verify's and the gap detectors' to report
        hostile = inspect_archive(data, limits)
        if not hostile:
            continue
        kinds = sorted({h.kind for h in hostile if h.kind != "more"})
        severity = Severity.HIGH if _BUILT_TO_HARM & set(kinds) else Severity.LOW
        account, region = owner_location(package.owner)
        shown = "; ".join(f"{h.member or 'archive'}: {h.detail}" for h in hostile[:3])
        yield make_finding(
            INFO,
            resource=package.owner,
            account=account,
            region=region,
            severity=severity,
            key=package.key,
            evidence=(package.blob,),
            summary=(
                f"The {package.kind} package of {package.owner} is a hostile archive "
                f"({', '.join(kinds)}): {shown}. Do not unzip it outside a sandbox; lambda-ir "
                "read it in memory within limits."
            ),
            details={
                "problems": [h.__dict__ for h in hostile],
                "used_by": list(package.owners),
            },
        )


DETECTOR = Detector(INFO, detect)
