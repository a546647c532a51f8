"""LIR-CAP-002: the code calls AWS actions its execution role does not grant."""

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
from lambda_ir.capabilities.extract import is_privileged_call
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CAP-002",
    title="Code calls AWS actions its role does not grant",
    severity=Severity.LOW,
    attack=("T1078.004", "T1552.005"),
    evidence=(Kind.ROLE,),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",),
    false_positives=(
        "Calls made with other credentials on purpose (an assumed role, a cross-account "
        "client), or grants through a resource policy; conditions and resources are not weighed."
    ),
    description=(
        "Compares the `service:Operation` calls in the newest read version's code with the "
        "Allow statements of its execution role. A privileged call (IAM, STS credentials, "
        "Lambda writes) the role cannot make means the code expects other credentials."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """One finding per function whose newest read version calls ungranted actions."""
    roles = {role.arn: role for role in case.roles}
    configs = {config.key: config for config in case.functions}
    for function, versions in read_capabilities(case.index).items():
        version = latest_read(versions)
        if version is None:
            continue
        config = configs.get(version_key(version))
        role = roles.get(config.role) if config else None
        calls = aws_calls(version)
        if role is None or config is None or not calls:
            continue
        missing = role_reach(calls, role.documents).used_not_granted
        if not missing:
            continue
        rows = [r for r in version.rows if r.value in missing]
        privileged = [call for call in missing if is_privileged_call(call)]
        yield make_finding(
            INFO,
            resource=function.arn,
            account=function.account,
            region=function.region,
            severity=Severity.MEDIUM if privileged else Severity.LOW,
            key="|".join(missing),
            evidence=(*(r.evidence for r in rows), *role.evidence),
            summary=(
                f"{function.name} version {version.function.qualifier} calls "
                f"{', '.join(missing)} ({', '.join(sorted({r.where for r in rows}))}), which its "
                f"role {role.name} does not allow: the calls fail, or the code brings other "
                "credentials."
            ),
            details={"role": role.arn, "used_not_granted": list(missing)},
        )


DETECTOR = Detector(INFO, detect)
