"""LIR-CFG-004: an alias routes a share of traffic to a version whose code differs."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CFG-004",
    title="Weighted alias routes traffic to different code",
    severity=Severity.HIGH,
    attack=("T1546", "T1036"),
    evidence=(Kind.ALIAS,),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html",),
    false_positives="Canary deployments (then the extra version is usually the newer one).",
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Aliases with AdditionalVersionWeights to a version whose CodeSha256 is not the primary's."""
    for alias in case.aliases:
        fn = alias.function
        versions = {c.ref.qualifier: c for c in case.versions_of(fn.account, fn.region, fn.name)}
        primary = versions.get(alias.version)
        for version, weight in sorted(alias.weights.items()):
            other = versions.get(version)
            if primary is None or other is None or other.code_sha256 == primary.code_sha256:
                continue
            # A canary normally routes to a *newer* version; an older one is a hiding place.
            older = (
                version.isdigit() and alias.version.isdigit() and int(version) < int(alias.version)
            )
            yield make_finding(
                INFO,
                resource=fn.arn,
                account=fn.account,
                region=fn.region,
                severity=Severity.HIGH if older or weight <= 0.1 else Severity.MEDIUM,
                key=f"{alias.version}|{version}|{other.code_sha256}",
                evidence=(alias.evidence, primary.evidence, other.evidence),
                summary=(
                    f"Alias {fn.qualifier} sends {weight:.0%} of calls to version {version}, whose "
                    f"code ({other.code_sha256}) differs from version {alias.version}; diff them "
                    f"with `lambda-ir diff {fn.name} {alias.version} {version}`."
                ),
                details={
                    "alias": fn.qualifier,
                    "primary": alias.version,
                    "routed": version,
                    "weight": weight,
                },
            )


DETECTOR = Detector(INFO, detect)
