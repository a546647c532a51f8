"""LIR-GAP-001: evidence the collection could not get (denied, missing log groups, no trail).

An absence of findings means nothing where the evidence is missing; these findings say
where that is, so the report can state what could not be examined.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.values import ref_of
from lambda_ir.evidence import ManifestEntry
from lambda_ir.evidence.index_logs import unread_logs
from lambda_ir.model import EvidenceRef, Finding, FunctionRef, Kind, Severity

INFO = DetectorInfo(
    id="LIR-GAP-001",
    title="Evidence gap",
    severity=Severity.LOW,
    attack=("T1562",),
    evidence=(),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/logging-with-cloudtrail.html",),
    false_positives="Collector roles scoped down on purpose; functions that never logged.",
)
# Error classes (the manifest's `error` prefix) worth a finding, with their severity.
_CLASSES = {
    "denied": Severity.LOW,
    "integrity": Severity.MEDIUM,
    "throttled": Severity.INFO,
    "timeout": Severity.INFO,
    "error": Severity.INFO,
    "skipped": Severity.INFO,
}

# What to do next, where the error class alone does not say it (by artifact kind and class).
_NEXT_STEPS = {
    ("runtime", "integrity"): (
        "the object in the bucket is not what its manifest vouches for: replaced after the "
        "collector wrote it, or never the collector's. Its bytes as received are kept in the "
        "case (cited) and were not analysed; find who wrote that key (S3 data events in "
        "CloudTrail, the bucket's object versions): the function's role can write under the "
        "prefix, so treat the function's code as suspect"
    ),
}


Owners = dict[tuple[str, ...], tuple[str, ...]]


def _owners(case: CaseView) -> Owners:
    """The functions each log group and execution role belongs to, so a failed call about
    one is filed under the functions it concerns: ("log", account, region, group) and
    ("role", account, role name) to unqualified function ARNs."""
    found: dict[tuple[str, ...], dict[str, None]] = {}
    for config in case.functions:
        ref, arn = config.ref, config.unqualified_arn
        group = config.log_group or f"/aws/lambda/{ref.name}"
        found.setdefault(("log", ref.account, ref.region, group), {})[arn] = None
        role = config.role.rsplit("/", 1)[-1] if config.role.startswith("arn:") else ""
        if role:
            found.setdefault(("role", ref.account, role), {})[arn] = None
    return {key: tuple(arns) for key, arns in found.items()}


def _resources(entry: ManifestEntry, owners: Owners) -> tuple[str, ...]:
    """The functions a failed call or gap note concerns: the one it names, those whose log
    group (`logGroupName`) or execution role (`RoleName`) it was about; else the account's
    and region's wildcard."""
    account, region = entry.account or "", entry.region or ""
    group = str(entry.params.get("logGroupName") or "")
    if group and (arns := owners.get(("log", account, region, group))):
        return arns
    role = str(entry.params.get("RoleName") or "")
    if role and (arns := owners.get(("role", account, role))):
        return arns
    if group.startswith("/aws/lambda/") and not entry.params.get("FunctionName"):
        return (FunctionRef(account, region, group.removeprefix("/aws/lambda/")).arn,)
    return (_resource(entry),)


def _resource(entry: ManifestEntry) -> str:
    name = str(entry.params.get("FunctionName") or "")
    if name.startswith("arn:"):
        return name
    # runtime snapshots are read from S3: the function is named by a segment of the key,
    # kept in meta, which anyone the bucket lets write may choose: a name in the entry's own
    # account and region, never an ARN of its own (`payments` in another account)
    name = name or str(entry.meta.get("function") or "").replace(":", "%3A")
    if name:
        return FunctionRef(entry.account or "", entry.region or "", name).arn
    return f"arn:aws:lambda:{entry.region or '*'}:{entry.account or '*'}:*"


def line_sha256(entry: ManifestEntry) -> str:
    """SHA-256 of an entry's manifest line (without its newline), as custody hashes lines."""
    return hashlib.sha256(entry.to_line().rstrip(b"\n")).hexdigest()


def _failed_calls(case: CaseView, owners: Owners) -> Iterator[Finding]:
    groups: dict[tuple[str, str, str], list[ManifestEntry]] = {}
    for entry in case.errors():
        error_class = str(entry.error).split(":", 1)[0]
        if error_class in _CLASSES:
            for resource in _resources(entry, owners):
                groups.setdefault((error_class, str(entry.api), resource), []).append(entry)
    for (error_class, api, resource), entries in sorted(groups.items()):
        first = entries[0]
        # A failed call has no file: cite its manifest lines, each by the SHA-256 of the line,
        # and the bytes it received when they were kept although refused.
        lines = tuple(EvidenceRef("manifest.jsonl", line_sha256(e)) for e in entries[:10])
        lines += tuple(_kept(entries[:10]))
        next_step = _NEXT_STEPS.get((str(first.kind), error_class))
        yield make_finding(
            INFO,
            resource=resource,
            account=first.account or "",
            region=first.region or "",
            severity=_CLASSES[error_class],
            key=f"{error_class}|{api}",
            title=f"Evidence gap: {api} {error_class}",
            evidence=lines,
            summary=(
                f"{len(entries)} {api} call(s) for {resource} failed ({error_class}: "
                f"{_clipped(str(first.error).split(':', 2)[-1].strip())}); that evidence was "
                "not examined" + (f": {next_step}." if next_step else ".")
            ),
            details={
                "api": api,
                "error_class": error_class,
                "error": str(first.error),
                "calls": len(entries),
                "acquired_at": [e.acquired_at for e in entries[:5]],
            },
        )


SAID = 300  # characters of an error a summary quotes (the whole one is in details.error)


def _clipped(text: str) -> str:
    """The error as a summary quotes it: whole, or cut at a space before SAID characters with
    an ellipsis (AWS's denials end with the ARN they name; cut mid-word it reads as another)."""
    if len(text) <= SAID:
        return text
    cut = text[: SAID + 1].rsplit(" ", 1)[0]  # a word ending at SAID is whole: kept
    return f"{cut[:SAID]} …"


def _kept(entries: list[ManifestEntry]) -> Iterator[EvidenceRef]:
    """The artifacts that hold what refused calls received (`meta.received`)."""
    for entry in entries:
        path, sha256 = entry.meta.get("received"), entry.meta.get("received_sha256")
        if path and sha256:
            yield EvidenceRef(str(path), str(sha256))


def _gap_artifacts(case: CaseView, owners: Owners) -> Iterator[Finding]:
    for document, entry in case.documents(Kind.GAP):
        yield from _gap_note(document, entry, owners)


def _gap_note(document: Any, entry: ManifestEntry, owners: Owners) -> Iterator[Finding]:
    for resource in _resources(entry, owners):
        gap = str(document.get("gap", "gap"))
        # a log group missing, or a function or log group deleted while collected (our own
        # gap names): worth a look (who deleted it, mid-incident?)
        low = "missing" in gap or "deleted" in gap
        listing = document.get("listing") if isinstance(document.get("listing"), dict) else {}
        cited = (EvidenceRef(listing["path"], listing["sha256"]),) if listing.get("sha256") else ()
        yield make_finding(
            INFO,
            resource=resource,
            account=entry.account or "",
            region=entry.region or "",
            severity=Severity.LOW if low else Severity.INFO,
            key=f"{gap}|{entry.path}",
            title=f"Evidence gap: {gap}",
            evidence=(ref_of(entry), *cited),
            summary=f"{gap}: {document.get('detail', '')}",
            details={"gap": gap},
        )


def _unread_logs(case: CaseView) -> Iterator[Finding]:
    """Log artifacts collected but not read whole (damaged, or events with impossible
    times): what is missing from them no detector saw, and LIR-LOG-* are quiet about it."""
    if not case.has(Kind.LOGS):
        return
    for lost in unread_logs(case.index):
        resource = (
            FunctionRef(lost.account, lost.region, lost.function_name).arn
            if lost.function_name
            else f"arn:aws:logs:{lost.region}:{lost.account}:log-group:{lost.log_group}"
        )
        yield make_finding(
            INFO,
            resource=resource,
            account=lost.account,
            region=lost.region,
            key=f"unread-logs|{lost.path}|{lost.reason}",
            title="Evidence gap: log events not read",
            evidence=(EvidenceRef(lost.path, lost.sha256),),
            summary=(
                f"{lost.path} ({lost.log_group}), collected, could not be read whole "
                f"({_clipped(lost.reason)}); those events were not examined: collect the "
                "log group again for that window."
            ),
            details={"log_group": lost.log_group, "reason": lost.reason, "api": lost.api},
        )


def _missing_versions(case: CaseView) -> Iterator[Finding]:
    by_function: dict[str, list[int]] = {}
    for config in case.functions:
        if (config.ref.qualifier or "").isdigit():
            by_function.setdefault(config.unqualified_arn, []).append(
                int(str(config.ref.qualifier))
            )
    for arn, numbers in sorted(by_function.items()):
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        if not missing:
            continue
        fn = FunctionRef.from_arn(arn)
        evidence = tuple(
            dict.fromkeys(c.evidence for c in case.versions_of(fn.account, fn.region, fn.name))
        )
        yield make_finding(
            INFO,
            resource=arn,
            account=fn.account,
            region=fn.region,
            key=",".join(map(str, missing)),
            title="Evidence gap: versions deleted",
            evidence=evidence,
            summary=(
                f"Versions {', '.join(map(str, missing))} of {fn.name} no longer exist; their code "
                "and configuration are gone, so look for DeleteFunction calls in the trail."
            ),
            details={"missing_versions": missing},
        )


def _trail_window(case: CaseView) -> Iterator[Finding]:
    since = str((case.case.info.get("scope") or {}).get("since") or "")
    if not since or not case.has(Kind.TRAIL):
        return
    first, path, sha, account = case.index.execute(
        "SELECT min(event_time), arg_min(evidence_path, event_time), "
        "arg_min(evidence_sha256, event_time), arg_min(account, event_time) FROM trail_events"
    ).fetchone() or (None, None, None, None)
    start = datetime.fromisoformat(since.replace("Z", "+00:00")).replace(tzinfo=None)
    if first is None or first - start <= timedelta(days=1):
        return
    yield make_finding(
        INFO,
        resource="cloudtrail",
        account=str(account or ""),
        region="",
        key=f"trail-window|{since}",
        title="Evidence gap: CloudTrail does not cover the window",
        evidence=(EvidenceRef(str(path), str(sha)),),
        summary=(
            f"The case's window starts {since} but its first CloudTrail event is "
            f"{first:%Y-%m-%dT%H:%M:%SZ}; changes before that cannot be attributed."
        ),
        details={"window_start": since, "first_event": f"{first:%Y-%m-%dT%H:%M:%SZ}"},
    )


def detect(case: CaseView) -> Iterator[Finding]:
    """Failed calls (denied, integrity, throttled), gap artifacts, log artifacts the index
    could not read whole, deleted versions, no trail, and a trail that starts well after the
    case's window."""
    owners = _owners(case)
    yield from _failed_calls(case, owners)
    yield from _gap_artifacts(case, owners)
    yield from _unread_logs(case)
    yield from _missing_versions(case)
    yield from _trail_window(case)
    if case.functions and not case.has(Kind.TRAIL):
        first = case.functions[0]
        yield make_finding(
            INFO,
            resource=f"arn:aws:lambda:{first.ref.region}:{first.ref.account}:*",
            account=first.ref.account,
            region=first.ref.region,
            key="no-trail",
            title="Evidence gap: no CloudTrail",
            evidence=(first.evidence,),
            summary=(
                "The case holds no CloudTrail records, so no change can be attributed to anyone; "
                "collect with LookupEvents or the trail bucket (--trail-bucket)."
            ),
        )


DETECTOR = Detector(INFO, detect)
