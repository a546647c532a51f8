"""LIR-CFG-005: async-invocation destinations in a foreign account, or the function itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lambda_ir.analyze.attribution import last_call
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.values import ref_of
from lambda_ir.model import Finding, FunctionRef, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CFG-005",
    title="Async destination outside the account or looping back",
    severity=Severity.LOW,
    attack=("T1537", "T1546"),
    evidence=(Kind.INVOKE_CONFIG,),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html",
    ),
    false_positives="Central event buses or queues in a shared-services account (add to --allow).",
)


_PUTS = ("PutFunctionEventInvokeConfig", "UpdateFunctionEventInvokeConfig")


def _configs(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict) and "FunctionEventInvokeConfigs" in document:
        return list(document["FunctionEventInvokeConfigs"] or [])
    return [document] if isinstance(document, dict) and "FunctionArn" in document else []


def detect(case: CaseView) -> Iterator[Finding]:
    """OnSuccess/OnFailure destinations whose account is foreign, or equal to the function."""
    for document, entry in case.documents(Kind.INVOKE_CONFIG):
        for config in _configs(document):
            try:
                fn = FunctionRef.from_arn(str(config.get("FunctionArn", "")))
            except ValueError:
                continue
            for outcome, target in (config.get("DestinationConfig") or {}).items():
                arn = str((target or {}).get("Destination") or "")
                parts = arn.split(":")
                owner = parts[4] if len(parts) > 4 else ""
                if owner and owner != fn.account and owner not in case.options.allowed_accounts:
                    severity, why = Severity.LOW, f"account {owner}"
                elif arn.split(":")[:7] == fn.arn.split(":")[:7]:
                    severity, why = Severity.LOW, "the function itself (a self-invoking loop)"
                else:
                    continue
                cause = last_call(case, _PUTS, fn)
                yield make_finding(
                    INFO,
                    resource=fn.arn,
                    account=fn.account,
                    region=fn.region,
                    severity=severity,
                    key=f"{outcome}|{arn}",
                    evidence=(ref_of(entry), *((cause.evidence,) if cause else ())),
                    time=cause.time if cause else None,
                    actor=cause.actor if cause else None,
                    summary=(
                        f"{fn.name}'s async {outcome} results go to {arn} in {why}; every event "
                        "payload is delivered there, so confirm the destination."
                    ),
                    details={"outcome": outcome, "destination": arn},
                )


DETECTOR = Detector(INFO, detect)
