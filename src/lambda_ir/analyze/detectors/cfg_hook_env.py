"""LIR-CFG-002: runtime-hook environment variables, with the file they load found in a layer."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.archive import read_members
from lambda_ir.analyze.attribution import config_event
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.hooks import ALWAYS, hook_paths, is_hook
from lambda_ir.analyze.own_footprints import WRAPPER, OwnLayer, named_like_ours, own_layer
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.analyze.versions import group_finding, group_versions
from lambda_ir.analyze.yara_scan import compile_rules, new_scanner, scan
from lambda_ir.model import EvidenceRef, Finding, Kind, Severity

MAX_RESOLVED = 50  # files named by one variable that are scanned and cited

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
        "APM agents installed as layers with a wrapper: a wrapper or hook that a known vendor "
        "documents, with that vendor's genuine layer attached, is INFO (vendors.json); "
        "lambda-ir's own wrapper is INFO when `runtime attach` recorded that very layer "
        "(ARN and CodeSha256) in this case."
    ),
)


def resolve(
    case: CaseView, config: FunctionConfig, paths: list[str]
) -> list[tuple[EvidenceRef, bytes]]:
    """Layer files that /opt paths point at (layers unpack into /opt); a folder gives its files."""
    found: list[tuple[EvidenceRef, bytes]] = []
    layers = {layer.arn: layer for layer in case.layers}
    wanted = [p.removeprefix("/opt/") for p in paths if p.startswith("/opt/")]
    for arn in config.layers:
        layer = layers.get(arn)
        if layer is None or layer.blob is None or not wanted:
            continue
        for member in read_members(case.read_bytes(layer.blob, 512 * 1024 * 1024)):
            if any(member.name == w or member.name.startswith(w + "/") for w in wanted):
                ref = EvidenceRef(layer.blob.path, layer.blob.sha256, member=member.name)
                found.append((ref, member.data))
    return found[:MAX_RESOLVED]


def _scan(case: CaseView, files: list[tuple[EvidenceRef, bytes]]) -> list[str]:
    if not files:
        return []
    scanner = new_scanner(compile_rules(case.options.yara_dirs))
    return sorted({f"{m.rule} in {ref.member}" for ref, data in files for m in scan(scanner, data)})


def detect(case: CaseView) -> Iterator[Finding]:
    """Variables such as AWS_LAMBDA_EXEC_WRAPPER, NODE_OPTIONS --require, LD_PRELOAD.

    The files they load are looked up in the function's layers and scanned with the YARA-X
    rules; a match makes the finding CRITICAL.
    """
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
        files = resolve(case, config, paths)
        matches = _scan(case, files)
        members = [ref for ref, _ in files]
        where = (
            "; it loads " + ", ".join(f"{m.member} from a layer" for m in members)
            if members
            else (f"; {', '.join(paths)} was not found in the function's layers" if paths else "")
        )
        if matches:
            where += "; YARA: " + ", ".join(matches)
        vendor = case.vendors.documented_hook(name, value, config.layers, config.ref.account)
        own = _own_wrapper(case, config, name, value)
        severity = (
            Severity.CRITICAL
            if matches
            else Severity.INFO
            if vendor is not None or own is not None
            else Severity.HIGH
            if name.upper() in ALWAYS or members or "/tmp" in value  # noqa: S108 - a value we read
            else Severity.MEDIUM
        )
        if own is not None and not matches:
            where += f"; the {own.describe()} (layer {own.arn}, CodeSha256 {own.code_sha256})"
        elif vendor is not None and not matches:
            where += f"; {vendor.name} documents this hook and its own layer is attached"
        elif value == WRAPPER or any(named_like_ours(arn) for arn in config.layers):
            where += (
                "; it looks like lambda-ir's runtime collector, but no `runtime attach` in this "
                "case recorded this layer and CodeSha256: a look-alike of our own tool"
            )
            severity = max(severity, Severity.HIGH, key=lambda s: s.rank)
        elif name.upper() == "AWS_LAMBDA_EXEC_WRAPPER":
            where += "; no attached known vendor layer provides this wrapper"
        yield group_finding(
            INFO,
            group,
            severity=severity,
            extra_evidence=tuple(members),
            cause=config_event(case, config, "environment", name),
            summary=(
                f"{name}={value} on {config.ref.name} (versions {', '.join(group.versions)}) "
                f"runs extra code when the runtime starts{where}; inspect that file."
            ),
            details={
                "variable": name,
                "value": value,
                "resolved": [m.member for m in members],
                "yara": matches,
                "vendor": vendor.name if vendor else None,
                "lambda_ir_layer": own.arn if own else None,
            },
        )


def _own_wrapper(case: CaseView, config: FunctionConfig, name: str, value: str) -> OwnLayer | None:
    """lambda-ir's own exec wrapper, with the layer `runtime attach` recorded attached."""
    if name.upper() != "AWS_LAMBDA_EXEC_WRAPPER" or value != WRAPPER:
        return None
    return own_layer(case, config.layers)


DETECTOR = Detector(INFO, detect)
