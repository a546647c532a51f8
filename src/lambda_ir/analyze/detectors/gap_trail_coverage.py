"""LIR-GAP-002: Lambda data events not logged, or the trail not logging (trail-config).

Reads the `trail-config` evidence (DescribeTrails, GetTrailStatus, GetEventSelectors).
Lambda `Invoke` is a data event: no trail records it unless its event selectors ask for
`AWS::Lambda::Function` data, so without that "no Invoke in the trail" proves nothing. A
trail whose `IsLogging` is false records nothing at all, and a region with no trail has
only LookupEvents' 90 days of management events. A responder should read the timeline's
silences with these findings in mind, and look for StopLogging/PutEventSelectors calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.values import ref_of
from lambda_ir.evidence import ManifestEntry
from lambda_ir.model import EvidenceRef, Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-GAP-002",
    title="Lambda data events not logged / trail not logging",
    severity=Severity.LOW,
    attack=("T1562.008",),
    evidence=(Kind.TRAIL_CONFIG,),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html",
        "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetEventSelectors.html",
    ),
    false_positives="Accounts that log Lambda data events through an organization trail "
    "managed (and described) in another account; data events left off for cost on purpose.",
)
LAMBDA_DATA = "AWS::Lambda::Function"


@dataclass(frozen=True)
class TrailFacts:
    """One trail as the case saw it: its listing, status and selectors, each with its evidence."""

    arn: str
    name: str
    account: str
    region: str
    status: tuple[dict[str, Any], EvidenceRef] | None
    selectors: tuple[dict[str, Any], EvidenceRef] | None


def selects_lambda_data(selectors: dict[str, Any]) -> bool:
    """True when basic or advanced event selectors log Lambda function data events (writes)."""
    for selector in selectors.get("EventSelectors") or []:
        types = {str(r.get("Type")) for r in selector.get("DataResources") or []}
        if LAMBDA_DATA in types and selector.get("ReadWriteType", "All") != "ReadOnly":
            return True
    for advanced in selectors.get("AdvancedEventSelectors") or []:
        fields = {str(f.get("Field")): f for f in advanced.get("FieldSelectors") or []}
        category = fields.get("eventCategory", {}).get("Equals") or []
        kinds = fields.get("resources.type", {}).get("Equals") or []
        read_only = fields.get("readOnly", {}).get("Equals") or []
        if "Data" in category and LAMBDA_DATA in kinds and read_only != ["true"]:
            return True
    return False


def _by_arn(case: CaseView, api: str, key: str) -> dict[str, tuple[dict[str, Any], EvidenceRef]]:
    return {
        str(entry.params.get(key)): (document, ref_of(entry))
        for document, entry in case.documents(Kind.TRAIL_CONFIG, api)
    }


def trails(case: CaseView) -> tuple[list[TrailFacts], list[ManifestEntry]]:
    """Every distinct trail described, and the DescribeTrails entries that listed nothing."""
    status = _by_arn(case, "cloudtrail:GetTrailStatus", "Name")
    selectors = _by_arn(case, "cloudtrail:GetEventSelectors", "TrailName")
    found: dict[str, TrailFacts] = {}
    empty: list[ManifestEntry] = []
    for document, entry in case.documents(Kind.TRAIL_CONFIG, "cloudtrail:DescribeTrails"):
        listed = document.get("trailList") or []
        if not listed:
            empty.append(entry)
        for trail in listed:
            arn = str(trail.get("TrailARN") or "")
            found.setdefault(
                arn,
                TrailFacts(
                    arn,
                    str(trail.get("Name") or arn),
                    entry.account or "",
                    str(trail.get("HomeRegion") or entry.region or ""),
                    status.get(arn),
                    selectors.get(arn),
                ),
            )
    return sorted(found.values(), key=lambda t: t.arn), empty


def _not_logging(trail: TrailFacts) -> Finding | None:
    if trail.status is None or trail.status[0].get("IsLogging") is not False:
        return None
    stopped = trail.status[0].get("StopLoggingTime")
    return make_finding(
        INFO,
        resource=trail.arn,
        account=trail.account,
        region=trail.region,
        key="not-logging",
        severity=Severity.LOW,
        title="CloudTrail trail not logging",
        evidence=(trail.status[1],),
        summary=f"Trail {trail.name} is not logging"
        + (f" (stopped {stopped})" if stopped else "")
        + "; nothing it would record is in its bucket for that time. Look for StopLogging.",
        details={"trail": trail.name, "stop_logging_time": stopped},
    )


def _no_data_events(account: str, region: str, described: list[TrailFacts]) -> Finding:
    evidence = [t.selectors[1] for t in described if t.selectors is not None]
    return make_finding(
        INFO,
        resource=f"arn:aws:cloudtrail:{region}:{account}:trail/*",
        account=account,
        region=region,
        key="no-lambda-data-events",
        title="Lambda data events not logged",
        evidence=evidence,
        summary=f"None of the {len(described)} logging trail(s) selects {LAMBDA_DATA} data "
        "events, so Invoke calls are not in CloudTrail: who invoked a function cannot be "
        "shown from the trail (use the function's logs and its callers' own trails).",
        details={"trails": [t.name for t in described]},
    )


def _no_trail(entry: ManifestEntry) -> Finding:
    region = entry.region or ""
    return make_finding(
        INFO,
        resource=f"arn:aws:cloudtrail:{region}:{entry.account or ''}:trail/*",
        account=entry.account or "",
        region=region,
        key="no-trail",
        severity=Severity.LOW,
        title="No CloudTrail trail",
        evidence=(ref_of(entry),),
        summary=f"No trail covers {region}: only LookupEvents' 90 days of management events "
        "exist, and no Lambda data events at all.",
    )


def detect(case: CaseView) -> Iterator[Finding]:
    """Trails not logging; no logging trail selecting Lambda data events; regions with none."""
    described, empty = trails(case)
    for entry in empty:
        yield _no_trail(entry)
    for trail in described:
        if (finding := _not_logging(trail)) is not None:
            yield finding
    logging = [t for t in described if t.status is not None and t.status[0].get("IsLogging")]
    judged = [t for t in logging if t.selectors is not None]
    if judged and not any(selects_lambda_data(t.selectors[0]) for t in judged if t.selectors):
        yield _no_data_events(judged[0].account, judged[0].region, judged)


DETECTOR = Detector(INFO, detect)
