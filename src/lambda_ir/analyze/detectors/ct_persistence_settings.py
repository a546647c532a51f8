"""LIR-CT-011: quiet persistence settings changed: async destinations, recursion, runtime pinning,
weighted aliases, log redirection — each attributed to the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lambda_ir.analyze.baseline import who_severity
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.trail_rows import TrailRow, event_finding, select_events
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-011",
    title="Function persistence setting changed",
    severity=Severity.MEDIUM,
    attack=("T1546", "T1537", "T1562.008"),
    evidence=(Kind.TRAIL,),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html",
    ),
    false_positives=(
        "Releases by pipelines and CodeDeploy canaries (LOW or not at all); console changes "
        "by people who make them every week (INFO: established path)."
    ),
)
Check = Callable[[TrailRow, frozenset[str]], "tuple[Severity, str] | None"]


def _destination(row: TrailRow, allowed: frozenset[str]) -> tuple[Severity, str] | None:
    config = row.request.get("destinationConfig") or {}
    for outcome, target in config.items() if isinstance(config, dict) else ():
        arn = str((target or {}).get("destination", ""))
        owner = arn.split(":")[4] if arn.count(":") >= 4 else ""
        if owner and owner != row.account and owner not in allowed:
            return Severity.HIGH, f"sent {outcome} results to {arn} in account {owner}"
    return None


def _recursion(row: TrailRow, _: frozenset[str]) -> tuple[Severity, str] | None:
    if str(row.request.get("recursiveLoop", "")).lower() == "allow":
        return Severity.MEDIUM, "turned off recursive-loop detection (RecursiveLoop=Allow)"
    return None


def _runtime(row: TrailRow, _: frozenset[str]) -> tuple[Severity, str] | None:
    if str(row.request.get("updateRuntimeOn", "")).lower() == "manual":
        return Severity.LOW, f"pinned the runtime to {row.request.get('runtimeVersionArn', '?')}"
    return None


def _alias(row: TrailRow, _: frozenset[str]) -> tuple[Severity, str] | None:
    weights = (row.request.get("routingConfig") or {}).get("additionalVersionWeights") or {}
    name = row.request.get("name", "?")
    if weights:
        routed = ", ".join(f"{w:.0%} to version {v}" for v, w in weights.items())
        return Severity.MEDIUM, f"routed alias {name}: {routed}"
    if row.request.get("functionVersion") and row.is_human:
        # Moving `live` by hand is how a backdoored version goes into service.
        return Severity.MEDIUM, f"pointed alias {name} at version {row.request['functionVersion']}"
    return None


def _logging(row: TrailRow, _: frozenset[str]) -> tuple[Severity, str] | None:
    group = str((row.request.get("loggingConfig") or {}).get("logGroup") or "")
    if group and group != f"/aws/lambda/{row.function_name}":
        return Severity.MEDIUM, f"redirected its logs to {group}"
    return None


CHECKS: dict[str, Check] = {
    "PutFunctionEventInvokeConfig": _destination,
    "UpdateFunctionEventInvokeConfig": _destination,
    "PutFunctionRecursionConfig": _recursion,
    "PutRuntimeManagementConfig": _runtime,
    "CreateAlias": _alias,
    "UpdateAlias": _alias,
    "UpdateFunctionConfiguration": _logging,
}


def detect(case: CaseView) -> Iterator[Finding]:
    """Calls that set a foreign async destination, recursion Allow, a pinned runtime, alias
    weights or a log-group redirect; LOW when a deployment tool or an AWS service (CodeDeploy)
    made them, INFO along an established path (HIGH stays)."""
    rows = select_events(
        case,
        "list_contains(?, operation) AND error_code IS NULL "
        # every configuration change is one of these: only a log-group setting is read here
        "AND (operation <> 'UpdateFunctionConfiguration' "
        "OR (request_parameters->'$.loggingConfig.logGroup') IS NOT NULL)",
        [sorted(CHECKS)],
    )
    for row in rows:
        verdict = CHECKS[row.operation](row, case.options.allowed_accounts)
        if verdict is None:
            continue
        severity, what = verdict
        novelty = case.verdict(row)
        routine = row.by_deploy_tool or novelty.service
        if routine and row.operation in ("CreateAlias", "UpdateAlias"):
            continue  # canaries by pipelines or CodeDeploy: routine; LIR-CFG-004 weighs the code
        if severity is not Severity.HIGH:
            severity = Severity.LOW if routine else who_severity(severity, novelty)
        yield event_finding(
            INFO,
            row,
            severity=severity,
            summary=(
                f"{row.actor.name} {what} on {row.function_name} ({row.operation}); "
                f"{novelty.phrase()}."
            ),
            details={"operation": row.operation, "change": what, "baseline": novelty.to_json()},
        )


DETECTOR = Detector(INFO, detect)
