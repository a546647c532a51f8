"""LIR-CAP-001: a version's code gains IAM/STS/Lambda writes, destinations, exec or credentials."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from lambda_ir.analyze.attribution import code_event, config_event
from lambda_ir.analyze.baseline import Novelty
from lambda_ir.analyze.capabilities_rows import (
    CapabilityRow,
    VersionCapabilities,
    first_of_each,
    gained,
    read_capabilities,
)
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.own_footprints import OwnLayer, own_layer_code
from lambda_ir.analyze.trail_rows import TrailRow
from lambda_ir.analyze.unknowns import UNKNOWN_TIME
from lambda_ir.analyze.vendors import LayerKind
from lambda_ir.capabilities.extract import is_privileged_call
from lambda_ir.capabilities.text import MINING_PORTS, CapKind, is_raw_ip
from lambda_ir.model import Finding, FunctionRef, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CAP-001",
    title="Version gains dangerous capabilities",
    severity=Severity.HIGH,
    attack=("T1648", "T1098", "T1041"),
    evidence=(Kind.CODE, Kind.LAYER_CODE),
    references=(
        "https://github.com/RhinoSecurityLabs/pacu/tree/master/pacu/modules/lambda__backdoor_new_roles",
        "https://docs.aws.amazon.com/guardduty/latest/ug/lambda-protection.html",
    ),
    false_positives=(
        "A release that adds a new integration (a webhook URL, an IAM automation): compare "
        "the named lines with the change ticket. AWS service endpoints, and known vendors' "
        "layers from their publishers' accounts (`analyze/vendors.json`), are never counted; "
        "lambda-ir's own runtime collector layer, as `runtime attach` recorded it (version "
        "ARN and CodeSha256), is INFO and named."
    ),
    description=(
        "Reads the `capabilities` table: a version whose code (or layers) can do something "
        "sensitive its predecessor could not: IAM, STS credential or Lambda write calls, an "
        "outbound destination, process execution, credential access, dynamic code. A first "
        "version is held to the high-signal subset only (privileged calls, exec, credentials, "
        "dynamic code, raw IP or mining-pool destinations). HIGH when the handler's own code "
        "(not a vendored dependency) gains a high-signal one; LOW for new host names and "
        "what a newly vendored dependency can do. When the call that brought the gain in "
        "(the upload of the version's code, or the configuration call that attached the "
        "layer) was judged off the established paths on two or more counts, the finding is "
        "that caller's act, dated and in its incident, with the verdict: an intruder's skimmer "
        "and the stolen keys that uploaded it are one incident. A gain released along an "
        "established path, with one new thing (a hotfix after hours), or before the account "
        "has a baseline, stays standing exposure."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """One finding per version that gains sensitive capabilities, naming file:line."""
    owned: dict[str | None, OwnLayer | None] = {}
    for function, versions in read_capabilities(case.index).items():
        previous: tuple[VersionCapabilities, VersionCapabilities] | None = None
        for read in versions:
            if not read.read:  # nothing is compared across a package we did not read
                previous = None
                continue
            # Code and layers both count; a known vendor's own layer does on neither side.
            # lambda-ir's own collector layer is compared on its own, so it neither hides
            # nor stands in for what the function's code or another layer gains.
            rows = [r for r in read.rows if not _vendor(case, r)]
            mine = tuple(r for r in rows if _own(case, r, owned))
            parts = (
                dataclasses.replace(read, rows=tuple(r for r in rows if r not in mine)),
                dataclasses.replace(read, rows=mine),
            )
            qualifier = read.function.qualifier or ""
            for n, part in enumerate(parts):
                before = previous[n] if previous is not None else None
                new = first_of_each(gained(before, part))
                if before is None:
                    new = [row for row in new if _high_signal(row)]
                if new:
                    own = owned[new[0].layer_arn] if n else None
                    cause = None if own else _off_path_cause(case, read.function, new)
                    yield _finding(qualifier, function.arn, before, new, own, cause)
            previous = parts


def _off_path_cause(
    case: CaseView, version: FunctionRef, new: list[CapabilityRow]
) -> tuple[TrailRow, Novelty] | None:
    """The call that brought the gain in, with its verdict, when the baseline judged it and
    found two or more new things about it (MEDIUM or worse): the upload of the version's code
    when a gained row is the function's own (not a PublishVersion that only froze bytes
    uploaded unseen), else (or when that upload was along the paths) the last configuration
    call before the version that set a layer a gained row came from."""
    config = next((c for c in case.functions if c.ref == version), None)
    if config is None:
        return None
    causes: list[TrailRow | None] = []
    if any(row.source != "layer" for row in new):
        upload = code_event(case, config)
        causes.append(upload if upload and upload.operation != "PublishVersion" else None)
    layers = dict.fromkeys(row.layer_arn for row in new if row.source == "layer" and row.layer_arn)
    causes.extend(config_event(case, config, "layers", arn) for arn in layers)
    for event in causes:
        if event is None:
            continue
        # Judged, and two or more new things: without a baseline an upload is no evidence,
        # and one new thing is a CI hotfix after hours or a release with a new tool; made
        # the caller's act, a gain recommends containing whoever released it.
        novelty = case.verdict(event)
        severity = novelty.severity()
        if severity is not None and severity.rank >= Severity.MEDIUM.rank:
            return event, novelty
    return None


def _vendor(case: CaseView, row: CapabilityRow) -> bool:
    """A row from a known vendor's layer, published from that vendor's own account: its
    agent talks to the vendor and starts processes by design (`analyze.vendors`)."""
    if row.source != "layer" or not row.layer_arn:
        return False
    return case.vendors.layer(row.layer_arn, "").kind is LayerKind.VENDOR


def _own(case: CaseView, row: CapabilityRow, owned: dict[str | None, OwnLayer | None]) -> bool:
    """A row from lambda-ir's own runtime collector layer, as `runtime attach` recorded it
    (version ARN, CodeSha256 and the collected bytes: `own_footprints.own_layer_code`)."""
    if row.source != "layer" or not row.layer_arn:
        return False
    if row.layer_arn not in owned:
        owned[row.layer_arn] = own_layer_code(case, [row.layer_arn])
    return owned[row.layer_arn] is not None


def _high_signal(row: CapabilityRow) -> bool:
    if row.dependency:  # a vendored library's own calls: listed, never HIGH on their own
        return False
    if row.kind == CapKind.AWS_CALL:
        return is_privileged_call(row.value)
    if row.kind == CapKind.NETWORK:
        port = row.value.rsplit(":", 1)[-1]
        return is_raw_ip(row.value) or row.value.startswith("stratum") or port in MINING_PORTS
    return row.kind in (CapKind.EXEC, CapKind.CREDENTIALS, CapKind.DYNAMIC_CODE)


def _finding(
    version: str,
    arn: str,
    previous: VersionCapabilities | None,
    new: list[CapabilityRow],
    own: OwnLayer | None = None,
    cause: tuple[TrailRow, Novelty] | None = None,
) -> Finding:
    account, region = arn.split(":")[4], arn.split(":")[3]
    against = (
        f"over version {previous.function.qualifier}"
        if previous is not None
        else "with no earlier version read to compare (high-signal capabilities only)"
    )
    listed = "; ".join(f"{row.kind} {row.value} ({row.where})" for row in new[:12])
    more = f" and {len(new) - 12} more" if len(new) > 12 else ""
    severe = any(_high_signal(row) for row in new)
    destinations = [r.value for r in new if r.kind == CapKind.NETWORK and _high_signal(r)]
    severity = Severity.HIGH if severe else Severity.LOW
    why = ""
    event, novelty = cause if cause else (None, None)
    if event is not None and novelty is not None:
        why = (
            f" Brought in by {event.actor.name}'s {event.operation} at "
            f"{event.time or UNKNOWN_TIME}; "
            f"{novelty.phrase()}."
        )
    if own is not None:  # what our collector reads and sends is its job, and it is ours
        severity = Severity.INFO
        why = (
            f" This is lambda-ir's own code: the {own.describe()} (layer {own.arn}, CodeSha256 "
            f"{own.code_sha256}); it reads the environment and uploads its snapshot by design."
        )
    return make_finding(
        INFO,
        resource=f"{arn}:{version}",
        account=account,
        region=region,
        severity=severity,
        key=("own|" if own else "")
        + f"{version}|"
        + "|".join(sorted(f"{r.kind}={r.value}" for r in new)),
        evidence=[row.evidence for row in new] + ([event.evidence] if event else []),
        time=event.time if event else None,
        actor=event.actor if event else None,
        summary=(
            f"Version {version} of {arn.rsplit(':', 1)[-1]} can, {against}: {listed}{more}.{why}"
        ),
        details={
            "version": version,
            "line": new[0].line,  # of the first evidence file (SARIF's startLine)
            "gained": [_row_json(r) for r in new],
            **({"lambda_ir_layer": own.arn} if own else {}),
            **(
                {"event_id": event.event_id, "baseline": novelty.to_json()}
                if event and novelty
                else {}
            ),
            # raw-IP and mining destinations in the code are indicators to block and hunt
            **({"indicators": destinations} if destinations and own is None else {}),
        },
    )


def _row_json(row: CapabilityRow) -> dict[str, object]:
    return {
        "kind": row.kind,
        "value": row.value,
        "file": row.file,
        "line": row.line,
        "parser": row.parser,
        "source": row.source,
        "detail": row.detail,
    }


DETECTOR = Detector(INFO, detect)
