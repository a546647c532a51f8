"""LIR-CT-011: quiet persistence settings changed: async destinations, recursion, runtime pinning,
weighted aliases, log redirection — each attributed to the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lambda_ir.analyze.baseline import who_severity
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.trail_rows import TrailRow, event_finding, select_events
from lambda_ir.analyze.unknowns import as_text, member, said
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
    for outcome, target in member(row.request, "destinationConfig").items():
        arn = said(target, "destination", "") if isinstance(target, dict) else ""
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
        version = said(row.request, "runtimeVersionArn", "a version the record does not name")
        return Severity.LOW, f"pinned the runtime to {version}"
    return None


def _alias(row: TrailRow, _: frozenset[str]) -> tuple[Severity, str] | None:
    weights = member(member(row.request, "routingConfig"), "additionalVersionWeights")
    name = said(row.request, "name", "")
    alias = f"alias {name}" if name else "an alias the record does not name"
    if weights:
        routed = ", ".join(f"{_share(w)} to version {v}" for v, w in weights.items())
        return Severity.MEDIUM, f"routed {alias}: {routed}"
    version = said(row.request, "functionVersion", "")
    if version and row.is_human:
        # Moving `live` by hand is how a backdoored version goes into service.
        return Severity.MEDIUM, f"pointed {alias} at version {version}"
    return None


def _share(weight: object) -> str:
    """A routing weight as a share of traffic; a record's weight that is no number (null,
    text) is quoted as the JSON it was, not formatted (`:.0%` of None stopped the
    detector)."""
    if isinstance(weight, int | float) and not isinstance(weight, bool):
        return f"{weight:.0%}"
    return f"a weight of {as_text(weight)}" if weight is not None else "an unstated weight"


def _logging(row: TrailRow, _: frozenset[str]) -> tuple[Severity, str] | None:
    group = said(member(row.request, "loggingConfig"), "logGroup", "")
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
                f"{row.actor.name} {what} on {row.function_label} ({row.operation}); "
                f"{novelty.phrase()}."
            ),
            details={"operation": row.operation, "change": what, "baseline": novelty.to_json()},
        )


DETECTOR = Detector(INFO, detect)
