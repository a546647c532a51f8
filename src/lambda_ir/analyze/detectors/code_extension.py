"""LIR-CODE-003: a layer ships a Lambda extension (`extensions/…`), a process beside the handler."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_files, member_ref, owner_location
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CODE-003",
    title="Lambda extension in a layer",
    severity=Severity.MEDIUM,
    attack=("T1546", "T1554"),
    evidence=(Kind.LAYER_CODE,),
    references=(
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-layer-extension/",
        "https://docs.aws.amazon.com/lambda/latest/dg/lambda-extensions.html",
    ),
    false_positives="Monitoring and secrets-caching extensions (Datadog, AppConfig, …).",
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Files directly under `extensions/` in a layer: Lambda starts each one at init."""
    for package, member, _ in iter_files(case):
        parts = member.name.split("/")
        if package.kind != "layer" or len(parts) != 2 or parts[0] != "extensions":
            continue
        functions = [o for o in package.owners if ":function:" in o]
        account, region = owner_location(package.owner)
        yield make_finding(
            INFO,
            resource=functions[0] if functions else package.owner,
            account=account,
            region=region,
            key=f"{package.blob.sha256}|{member.name}",
            evidence=(member_ref(package, member),),
            summary=(
                f"Layer {package.owners[-1]} contains extension {member.name}, which runs as its "
                f"own process in {len(functions) or 'no collected'} function version(s) and sees "
                "every invocation; confirm it is a known vendor's."
            ),
            details={"member": member.name, "used_by": list(package.owners)},
        )


DETECTOR = Detector(INFO, detect)
