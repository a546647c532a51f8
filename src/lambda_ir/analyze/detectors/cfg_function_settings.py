"""LIR-CFG-006: recursion allowed, runtime pinned (Manual updates), or a deprecated runtime."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.values import ref_of
from lambda_ir.analyze.versions import group_finding, group_versions
from lambda_ir.model import Finding, FunctionRef, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CFG-006",
    title="Function safety setting weakened",
    severity=Severity.LOW,
    attack=("T1496", "T1562"),
    evidence=(Kind.FUNCTION_SETTING, Kind.FUNCTION_VERSIONS, Kind.FUNCTION),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html#runtimes-deprecated",
    ),
    false_positives="Deliberate recursive designs; runtime pinning during a known-bad release.",
)
# Runtimes past deprecation (no security patches): an old interpreter is an old attack surface.
_DEPRECATED = re.compile(
    r"^(python2\.7|python3\.[6-8]|nodejs(4\.3|6\.10|8\.10|10\.x|12\.x|14\.x|16\.x)?|"
    r"dotnetcore[1-3]\.\d|dotnet[56]|ruby2\.[57]|java8|go1\.x|provided)$"
)


def _function(params: dict[str, object], account: str, region: str) -> FunctionRef:
    name = str(params.get("FunctionName", ""))
    try:
        return FunctionRef.from_arn(name)
    except ValueError:
        qualifier = params.get("Qualifier")
        return FunctionRef(account, region, name, str(qualifier) if qualifier else None)


def _settings(case: CaseView) -> Iterator[Finding]:
    for document, entry in case.documents(Kind.FUNCTION_SETTING):
        fn = _function(entry.params, entry.account or "", entry.region or "")
        if str(document.get("RecursiveLoop", "")).lower() == "allow":
            what = "recursive loop detection is off (RecursiveLoop=Allow)"
        elif str(document.get("UpdateRuntimeOn", "")).lower() == "manual":
            pinned = document.get("RuntimeVersionArn", "?")
            what = f"runtime pinned to {pinned} (UpdateRuntimeOn=Manual)"
        else:
            continue
        yield make_finding(
            INFO,
            resource=fn.arn,
            account=fn.account,
            region=fn.region,
            key=what,
            evidence=(ref_of(entry),),
            summary=f"On {fn.name}, {what}; restore the default unless it was a deliberate choice.",
            details={"setting": what},
        )


def detect(case: CaseView) -> Iterator[Finding]:
    """RecursiveLoop=Allow, UpdateRuntimeOn=Manual, and versions on deprecated runtimes."""
    yield from _settings(case)
    items = [(c, c.runtime) for c in case.functions if _DEPRECATED.match(c.runtime)]
    for group in group_versions(items):
        config = group.first
        yield group_finding(
            INFO,
            group,
            summary=(
                f"{config.ref.name} (versions {', '.join(group.versions)}) runs on {group.key}, "
                "which no longer gets security patches."
            ),
            details={"runtime": group.key},
        )


DETECTOR = Detector(INFO, detect)
