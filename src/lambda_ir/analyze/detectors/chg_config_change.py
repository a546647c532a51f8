"""LIR-CHG-002: a version added layers, runtime hooks or a new role, attributed to its caller."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import NamedTuple

from lambda_ir.analyze.attribution import config_event
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.hooks import is_hook
from lambda_ir.analyze.own_footprints import WRAPPER, OwnLayer, named_like_ours, own_layer
from lambda_ir.analyze.unknowns import UNKNOWN_TIME
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.analyze.vendors import LayerKind, VendorCatalogue
from lambda_ir.analyze.versions import by_function
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CHG-002",
    title="Configuration change added code-loading or resource-hungry settings",
    severity=Severity.MEDIUM,
    attack=("T1546", "T1574"),
    evidence=(Kind.FUNCTION_VERSIONS, Kind.FUNCTION),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html",),
    false_positives=(
        "Planned releases that add a vendor layer or rotate the execution role: INFO when "
        "the call came along an established path (baseline); a look-alike layer stays HIGH. "
        "lambda-ir's own collector layer (the ARN and CodeSha256 `runtime attach` recorded in "
        "this case) and its wrapper are INFO; a layer merely named like it is HIGH."
    ),
)


class Added(NamedTuple):
    """What a version added, in words (`found`), how serious it is, and the layers and hook
    variables among it (what `contain` can take away: `incident_actions.config_actions`)."""

    found: list[str]
    severity: Severity
    layers: list[str]
    hooks: list[str]


def changes(
    old: FunctionConfig,
    new: FunctionConfig,
    vendors: VendorCatalogue | None = None,
    own: OwnLayer | None = None,
) -> Added:
    """What `new` added that can load code or change rights, and how serious it is.

    With the vendor catalogue, a known vendor's layer (from its own account) and the hook its
    documentation asks for are LOW, a look-alike vendor layer is HIGH. `own` is lambda-ir's
    own collector layer, when `runtime attach` recorded it in this case: it and its wrapper are
    left out; a layer named like lambda-ir's that is not `own` is HIGH."""
    found: list[str] = []
    severity = Severity.LOW
    catalogue = vendors or VendorCatalogue(())
    # A new version of a layer already used is an upgrade; a layer name not used before is new.
    before = {arn.rsplit(":", 1)[0] for arn in old.layers}
    added = [
        arn
        for arn in new.layers
        if arn.rsplit(":", 1)[0] not in before and (own is None or arn != own.arn)
    ]
    if added:
        matches = [catalogue.layer(arn, new.ref.account) for arn in added]
        found.append("layers " + "; ".join(f"{m.arn} ({m.describe()})" for m in matches))
        if any(m.kind is LayerKind.LOOKALIKE or named_like_ours(m.arn) for m in matches):
            severity = Severity.HIGH
        elif any(m.kind is LayerKind.UNKNOWN for m in matches):
            severity = Severity.MEDIUM
    hooks = [
        n
        for n, v in new.environment.items()
        if is_hook(n, v)
        and old.environment.get(n) != v
        and catalogue.documented_hook(n, v, new.layers, new.ref.account) is None
        and not (own is not None and n.upper() == "AWS_LAMBDA_EXEC_WRAPPER" and v == WRAPPER)
    ]
    if hooks:
        found.append("runtime-hook variables " + ", ".join(sorted(hooks)))
        severity = Severity.HIGH
    if new.role != old.role:
        found.append(f"execution role {new.role} (was {old.role})")
    if new.runtime != old.runtime and new.runtime.startswith("provided"):
        # A switch to an OS-only runtime lets a native binary be the whole function (Denonia).
        found.append(f"runtime {new.runtime} (was {old.runtime})")
        severity = max(severity, Severity.MEDIUM, key=lambda s: s.rank)
    if new.timeout > old.timeout and new.timeout >= 600 and new.memory > old.memory:
        found.append(
            f"timeout {new.timeout}s and memory {new.memory} MB (were {old.timeout}s, "
            f"{old.memory} MB)"
        )
        severity = max(severity, Severity.MEDIUM, key=lambda s: s.rank)
    return Added(found, severity, added, sorted(hooks))


def detect(case: CaseView) -> Iterator[Finding]:
    """Consecutive versions adding layers or hook variables, changing the role, switching to an
    OS-only runtime, or raising timeout and memory together (what a miner wants)."""
    for versions in by_function(case.functions).values():
        for old, new in itertools.pairwise(versions):
            own = own_layer(case, new.layers)
            found, severity, layers, hooks = changes(old, new, case.vendors, own)
            if not found and own is not None and own.arn not in old.layers:
                found, severity = [own.describe() + f" (layer {own.arn})"], Severity.INFO
            if not found:
                continue
            event = config_event(case, new)
            by = (
                f" by {event.actor.name} at {event.time or UNKNOWN_TIME}"
                if event
                else " (no CloudTrail event)"
            )
            novelty = case.verdict(event) if event else None
            if (
                novelty is not None
                and novelty.established
                and severity.rank <= Severity.MEDIUM.rank
            ):
                severity = Severity.INFO  # a release along an established path
            if novelty is not None:
                by += f" ({novelty.phrase()})"
            yield make_finding(
                INFO,
                resource=new.ref.arn,
                account=new.ref.account,
                region=new.ref.region,
                severity=severity,
                key=f"{old.ref.qualifier}|{new.ref.qualifier}|{';'.join(found)}",
                time=event.time if event else None,
                actor=event.actor if event else None,
                evidence=(old.evidence, new.evidence, *((event.evidence,) if event else ())),
                summary=(
                    f"Version {new.ref.qualifier} of {new.ref.name} added {'; '.join(found)} "
                    f"compared with version {old.ref.qualifier}{by}."
                ),
                details={
                    "from": old.ref.qualifier,
                    "to": new.ref.qualifier,
                    "changes": found,
                    "layers": layers,  # added: what `contain`'s strip-layers takes away
                    "hook_variables": hooks,  # set: strip-env's
                    "event_id": event.event_id if event else None,
                    "baseline": novelty.to_json() if novelty else None,
                },
            )


DETECTOR = Detector(INFO, detect)
