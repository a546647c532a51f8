"""LIR-CFG-002: runtime-hook environment variables, with the file they load found in a layer."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.archive import member_names
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.hooks import ALWAYS, hook_paths, is_hook
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.analyze.versions import group_versions
from lambda_ir.model import EvidenceRef, Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CFG-002",
    title="Runtime hook in environment variables",
    severity=Severity.HIGH,
    attack=("T1574", "T1546"),
    evidence=(Kind.FUNCTION_VERSIONS, Kind.FUNCTION),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
    ),
    false_positives=(
        "APM agents (Datadog, New Relic, OpenTelemetry) installed as layers with a wrapper."
    ),
)


def resolve(case: CaseView, config: FunctionConfig, paths: list[str]) -> list[EvidenceRef]:
    """The layer package members that /opt paths point at (layers unpack into /opt)."""
    found: list[EvidenceRef] = []
    layers = {layer.arn: layer for layer in case.layers}
    for arn in config.layers:
        layer = layers.get(arn)
        if layer is None or layer.blob is None:
            continue
        names = set(member_names(case.read_bytes(layer.blob, 512 * 1024 * 1024)))
        for path in paths:
            inside = path.removeprefix("/opt/")
            if path.startswith("/opt/") and inside in names:
                found.append(EvidenceRef(layer.blob.path, layer.blob.sha256, member=inside))
    return found


def detect(case: CaseView) -> Iterator[Finding]:
    """Variables such as AWS_LAMBDA_EXEC_WRAPPER, NODE_OPTIONS --require, LD_PRELOAD."""
    items = [
        (config, f"{name}={value}")
        for config in case.functions
        for name, value in config.environment.items()
        if is_hook(name, value) and name not in case.options.allowed_names
    ]
    for group in group_versions(items):
        config = group.first
        name, value = group.key.split("=", 1)
        paths = hook_paths(value)
        members = resolve(case, config, paths)
        where = (
            "; it loads " + ", ".join(f"{m.member} from a layer" for m in members)
            if members
            else (f"; {', '.join(paths)} was not found in the function's layers" if paths else "")
        )
        severity = (
            Severity.HIGH
            if name.upper() in ALWAYS or members or "/tmp" in value  # noqa: S108 - a value we read
            else Severity.MEDIUM
        )
        yield make_finding(
            INFO,
            resource=config.ref.arn,
            account=config.ref.account,
            region=config.ref.region,
            severity=severity,
            key=group.key,
            evidence=(*group.evidence, *members),
            summary=(
                f"{name}={value} on {config.ref.name} (versions {', '.join(group.versions)}) "
                f"runs extra code when the runtime starts{where}; inspect that file."
            ),
            details={
                "variable": name,
                "value": value,
                "versions": group.versions,
                "resolved": [m.member for m in members],
            },
        )


DETECTOR = Detector(INFO, detect)
