"""LIR-CAP-003: the execution role grants IAM/STS/Lambda writes the code never calls."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.capabilities_rows import (
    aws_calls,
    latest_read,
    read_capabilities,
    role_reach,
    version_key,
)
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.iam import ESCALATION_ACTIONS, LAMBDA_WRITE, can
from lambda_ir.model import Finding, Kind, Severity

# What a grant must cover to be privileged: escalation paths, Lambda writes, credentials.
PRIVILEGED = (*ESCALATION_ACTIONS, *LAMBDA_WRITE, "iam:PassRole", "sts:AssumeRole")

INFO = DetectorInfo(
    id="LIR-CAP-003",
    title="Role grants privileged actions the code never calls",
    severity=Severity.LOW,
    attack=("T1078.004", "T1098"),
    evidence=(Kind.ROLE,),
    references=("https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html",),
    false_positives=(
        "Code that calls AWS through a computed client or a vendored library we do not read, "
        "or a grant kept for a planned feature."
    ),
    description=(
        "The role's real reach: Allow patterns that cover an IAM escalation, a Lambda write, "
        "iam:PassRole or sts:AssumeRole, matched by no call in the newest read version's "
        "code. Anyone who runs code in the function holds them for nothing."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """One finding per function whose role's privileged grants its code does not use."""
    roles = {role.arn: role for role in case.roles}
    configs = {config.key: config for config in case.functions}
    for function, versions in read_capabilities(case.index).items():
        version = latest_read(versions)
        config = configs.get(version_key(version)) if version else None
        role = roles.get(config.role) if config else None
        if version is None or role is None:
            continue
        reach = role_reach(aws_calls(version), role.documents)
        unused = [p for p in reach.granted_unused if _privileged(p)]
        if not unused:
            continue
        used = sorted(aws_calls(version))
        yield make_finding(
            INFO,
            resource=function.arn,
            account=function.account,
            region=function.region,
            key="|".join(unused),
            evidence=role.evidence,
            summary=(
                f"{function.name} runs as {role.name}, which grants {', '.join(unused[:8])} that "
                f"version {version.function.qualifier}'s code never calls (it calls "
                f"{', '.join(used[:8]) or 'no AWS API'}); scope the role to what the code uses."
            ),
            details={"role": role.arn, "granted_unused": unused, "code_calls": used},
        )


def _privileged(pattern: str) -> bool:
    return any(can([(pattern, [])], action) for action in PRIVILEGED)


DETECTOR = Detector(INFO, detect)
