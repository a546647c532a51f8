"""LIR-CFG-003: a function uses a layer published by an account outside the allow-list."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.attribution import config_event
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.vendors import LayerKind
from lambda_ir.analyze.versions import group_finding, group_versions
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CFG-003",
    title="Layer from a foreign account",
    severity=Severity.MEDIUM,
    attack=("T1195.002", "T1546"),
    evidence=(Kind.FUNCTION_VERSIONS, Kind.FUNCTION),
    references=(
        "https://github.com/prowler-cloud/prowler/tree/master/prowler/providers/aws/services/awslambda/awslambda_function_using_cross_account_layers",
    ),
    false_positives=(
        "Vendor layers not in the catalogue (vendors.json); add their account ids to the "
        "--allow file. Known vendors' layers from their own accounts are INFO; a vendor's "
        "layer name from another account (a look-alike) is HIGH."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Layer ARNs whose account is neither the function's nor in `--allow`."""
    allowed = case.options.allowed_accounts | case.options.allowed_names
    items = []
    for config in case.functions:
        for arn in config.layers:
            parts = arn.split(":")
            owner = parts[4] if len(parts) > 4 else ""
            if (
                owner
                and owner != config.ref.account
                and owner not in allowed
                and arn not in allowed
            ):
                items.append((config, arn))
    for group in group_versions(items):
        config = group.first
        owner = group.key.split(":")[4]
        match = case.vendors.layer(group.key, config.ref.account)
        severity, advice = _verdict(match.kind)
        yield group_finding(
            INFO,
            group,
            severity=severity,
            cause=config_event(case, config, "layers", group.key),
            summary=(
                f"{config.ref.name} (versions {', '.join(group.versions)}) loads layer "
                f"{group.key}, {match.describe()}; its code runs inside the function: {advice}"
            ),
            details={
                "layer": group.key,
                "owner": owner,
                "versions": group.versions,
                "vendor": match.vendor.name if match.vendor else None,
                "layer_kind": match.kind.value,
            },
        )


def _verdict(kind: LayerKind) -> tuple[Severity, str]:
    if kind is LayerKind.VENDOR:
        return Severity.INFO, "a known vendor's layer from its own account (vendors.json)."
    if kind is LayerKind.LOOKALIKE:
        return Severity.HIGH, "a vendor's name from another account is a typosquat; remove it."
    return INFO.severity, "confirm the publisher or add the account to --allow."


DETECTOR = Detector(INFO, detect)
