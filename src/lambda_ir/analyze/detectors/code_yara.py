"""LIR-CODE-001: YARA-X rules (bundled Lambda threats + `--yara DIR`) over every packaged file.

Bundled rules: Denonia (re-authored from Cado Security's Apache-2.0 rule), XMRig/stratum miners,
reverse shells, credential harvesting followed by an outbound request, Runtime-API hijacking,
obfuscated payloads. The finding's detector is `yara:<rule>`, its title and severity the rule's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import (
    is_custom_runtime_only,
    is_runtime_client,
    iter_files,
    member_ref,
    owner_location,
)
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.own_footprints import own_package
from lambda_ir.analyze.values import Package
from lambda_ir.analyze.yara_scan import YaraMatch, compile_rules, new_scanner, scan
from lambda_ir.capabilities.paths import SDK_PATHS, in_paths
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CODE-001",
    title="YARA rule matched packaged code",
    severity=Severity.HIGH,
    attack=("T1525",),
    evidence=(Kind.CODE, Kind.LAYER_CODE),
    references=(
        "https://www.cadosecurity.com/cado-discovers-denonia-the-first-malware-specifically-targeting-lambda/",
        "https://virustotal.github.io/yara-x/",
    ),
    false_positives=(
        "Security tooling and test fixtures that contain attack strings. lambda-ir's own "
        "runtime collector layer, as `runtime attach` recorded it (version ARN, CodeSha256 and "
        "the collected bytes), is INFO and named; the same code in any other layer is not."
    ),
)


def suppressed(match: YaraMatch, package: Package, name: str) -> bool:
    """Rule contexts: matches that are expected where they were found."""
    if match.context == "not-sdk":
        return in_paths(name, SDK_PATHS)
    if match.context == "not-custom-runtime":
        return is_custom_runtime_only(package) or is_runtime_client(package, name)
    return False


def detect(case: CaseView) -> Iterator[Finding]:
    """Every (package, file, rule) match, citing the file inside the package."""
    scanner = new_scanner(compile_rules(case.options.yara_dirs))
    for package, member, _ in iter_files(case):
        for match in scan(scanner, member.data):
            if suppressed(match, package, member.name):
                continue
            account, region = owner_location(package.owner)
            own = own_package(case, package) if package.kind == "layer" else None
            verdict = (
                "treat the function as compromised until the file is explained."
                if own is None
                else f"this is lambda-ir's own code: the {own.describe()} (layer {own.arn}, "
                f"CodeSha256 {own.code_sha256}), which reads the environment and uploads its "
                "snapshot by design."
            )
            finding = make_finding(
                INFO,
                resource=package.owner,
                account=account,
                region=region,
                severity=match.severity if own is None else Severity.INFO,
                title=match.title,
                attack=match.attack or INFO.attack,
                key=f"{package.key}|{member.name}|{match.namespace}.{match.rule}",
                evidence=(member_ref(package, member),),
                summary=(
                    f"{member.name} in the {package.kind} package of {package.owner} matches "
                    f"{match.rule} ({match.title}); {verdict}"
                ),
                details={
                    "rule": match.rule,
                    "namespace": match.namespace,
                    "offset": match.offset,
                    "used_by": list(package.owners),
                    **({"lambda_ir_layer": own.arn} if own else {}),
                },
            )
            yield replace(finding, detector=f"yara:{match.rule}")


DETECTOR = Detector(INFO, detect)
