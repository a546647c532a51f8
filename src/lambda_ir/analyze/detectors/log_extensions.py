"""LIR-LOG-004: Lambda extensions seen starting in the logs (`EXTENSION Name: …` lines)."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.log_rows import EVIDENCE_AGG, iso, log_finding
from lambda_ir.analyze.unknowns import NO_TIMES
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-LOG-004",
    title="Extension started in the function's sandbox",
    severity=Severity.LOW,
    attack=("T1546",),
    evidence=(Kind.LOGS,),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html",),
    false_positives=(
        "Vendor extensions (monitoring, secrets caching) installed on purpose: a known "
        "vendor's extension whose layer comes from its own account is INFO (vendors.json)."
    ),
)

_SQL = f"""
SELECT account, region, function_name, version,
       regexp_extract(message, 'EXTENSION\\s+Name:\\s*(\\S+)', 1) AS extension,
       min(ts), count(*), {EVIDENCE_AGG}
FROM log_events WHERE starts_with(message, 'EXTENSION')
GROUP BY ALL ORDER BY function_name, version, extension
"""  # noqa: S608 - constant SQL


def detect(case: CaseView) -> Iterator[Finding]:
    """One finding per function version and extension name seen in EXTENSION init lines."""
    rows = case.index.execute(_SQL).fetchall()
    for account, region, name, version, extension, first, starts, evidence in rows:
        if not extension:
            continue
        layers = tuple(
            arn
            for config in case.versions_of(str(account), str(region), str(name))
            if not version or config.ref.qualifier == str(version)
            for arn in config.layers
        )
        vendor = case.vendors.extension_vendor(str(extension), layers)
        verdict = (
            f"{vendor.name}'s documented extension, its layer from its own account"
            if vendor
            else "confirm which layer ships it and who added that layer"
        )
        start = iso(first)
        since = f" from {start}" if start else f", {NO_TIMES}"
        yield log_finding(
            INFO,
            (account, region, name, version),
            key=f"{name}|{version}|{extension}",
            first=first,
            evidence=evidence,
            severity=Severity.INFO if vendor else None,
            summary=(
                f"Extension {extension} started {starts} time(s) with {name} (version "
                f"{version or '?'}){since}; it sees every invocation: {verdict}."
            ),
            details={
                "extension": extension,
                "starts": starts,
                "vendor": vendor.name if vendor else None,
            },
        )


DETECTOR = Detector(INFO, detect)
