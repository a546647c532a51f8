"""LIR-CODE-003: a layer ships a Lambda extension (`extensions/…`), a process beside the handler."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_files, member_ref, owner_location
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.own_footprints import named_like_ours, own_layer
from lambda_ir.analyze.vendors import LayerKind, package_publisher
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
    false_positives=(
        "Monitoring and secrets-caching extensions: a known vendor's extension in its layer "
        "from its own account is INFO (vendors.json); in a look-alike layer it is HIGH. "
        "lambda-ir's own collector extension is INFO when its layer is the ARN and CodeSha256 "
        "`runtime attach` recorded in this case; in a layer merely named like it, HIGH."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Files directly under `extensions/` in a layer: Lambda starts each one at init."""
    for package, member, _ in iter_files(case):
        parts = member.name.split("/")
        if package.kind != "layer" or len(parts) != 2 or parts[0] != "extensions":
            continue
        functions = [o for o in package.owners if ":function:" in o]
        account, region = owner_location(package.owner)
        layers = tuple(o for o in package.owners if ":layer:" in o)
        vendor = case.vendors.extension_vendor(parts[1], layers)
        publisher = package_publisher(case.vendors, package.owners, account)
        own = own_layer(case, layers)
        if own is not None:
            severity, verdict = Severity.INFO, f"lambda-ir's own extension: the {own.describe()}"
        elif any(named_like_ours(arn) for arn in layers):
            severity, verdict = (
                Severity.HIGH,
                "its layer is named like lambda-ir's runtime collector, but no `runtime attach` "
                "in this case recorded this layer and CodeSha256: a look-alike of our own tool",
            )
        elif publisher is not None and publisher.kind is LayerKind.LOOKALIKE:
            severity, verdict = Severity.HIGH, f"its layer is {publisher.describe()}"
        elif vendor is not None:
            severity, verdict = Severity.INFO, f"{vendor.name}'s documented extension"
        else:
            severity, verdict = INFO.severity, "not a known vendor's: confirm who ships it"
        yield make_finding(
            INFO,
            resource=functions[0] if functions else package.owner,
            account=account,
            region=region,
            severity=severity,
            key=f"{package.blob.sha256}|{member.name}",
            evidence=(member_ref(package, member),),
            summary=(
                f"Layer {layers[-1] if layers else package.owners[-1]} contains extension "
                f"{member.name}, which runs as its own process in "
                f"{len(functions) or 'no collected'} function version(s) and sees every "
                f"invocation; {verdict}."
            ),
            details={
                "member": member.name,
                "used_by": list(package.owners),
                "vendor": vendor.name if vendor else None,
            },
        )


DETECTOR = Detector(INFO, detect)
