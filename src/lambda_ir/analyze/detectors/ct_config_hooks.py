"""LIR-CT-003: configuration changes that add layers or runtime-hook environment variables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.hooks import is_hook
from lambda_ir.analyze.trail_rows import TrailRow, event_finding, select_events
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-003",
    title="Layer or runtime hook added to a function",
    severity=Severity.MEDIUM,
    attack=("T1546", "T1574"),
    evidence=(Kind.TRAIL,),
    references=(
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-layer-extension/",
        "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html",
    ),
    false_positives=(
        "Deployments that add vendor layers (monitoring agents); those by pipelines are low."
    ),
)


def layer_arns(row: TrailRow) -> list[str]:
    """Layer ARNs a call set, from the request or, when CloudTrail omits it, the response."""
    found: list[str] = [str(a) for a in row.request.get("layers") or [] if a]
    for layer in row.response.get("layers") or []:
        arn = layer.get("arn") if isinstance(layer, dict) else layer
        if arn and str(arn) not in found:
            found.append(str(arn))
    return found


def hook_names(row: TrailRow) -> list[str]:
    """Hook environment variables a call set (CloudTrail often omits env values)."""
    out: list[str] = []
    for source in (row.request, row.response):
        env: Any = (source.get("environment") or {}).get("variables") or {}
        if isinstance(env, dict):
            out.extend(n for n, v in env.items() if is_hook(str(n), str(v)) and n not in out)
    return out


def _severity(row: TrailRow, layers: list[str], hooks: list[str]) -> Severity:
    foreign = [a for a in layers if a.split(":")[4:5] != [row.account]]
    if hooks or foreign:
        return Severity.HIGH
    return Severity.MEDIUM if row.is_human and not row.by_deploy_tool else Severity.LOW


def detect(case: CaseView) -> Iterator[Finding]:
    """UpdateFunctionConfiguration/CreateFunction calls that attach layers or hook variables."""
    rows = select_events(
        case,
        "operation IN ('UpdateFunctionConfiguration', 'CreateFunction') "
        "AND event_source = ? AND error_code IS NULL",
        ["lambda.amazonaws.com"],
    )
    for row in rows:
        layers, hooks = layer_arns(row), hook_names(row)
        severity = _severity(row, layers, hooks)
        if (not layers and not hooks) or (severity is Severity.LOW and row.by_deploy_tool):
            continue  # nothing added, or an own-account layer deployed by IaC: a release
        parts = []
        if layers:
            parts.append("layers " + ", ".join(layers))
        if hooks:
            parts.append("runtime-hook variables " + ", ".join(hooks))
        yield event_finding(
            INFO,
            row,
            severity=severity,
            summary=(
                f"{row.actor.arn} set {' and '.join(parts)} on {row.function_name} "
                f"({row.operation}); check each layer's contents for extensions or wrappers."
            ),
            details={"layers": layers, "hook_variables": hooks},
        )


DETECTOR = Detector(INFO, detect)
