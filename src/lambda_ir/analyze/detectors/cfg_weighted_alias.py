"""LIR-CFG-004: an alias routes a share of traffic to a version whose code differs."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.attribution import code_event
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.commands import diff_command
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CFG-004",
    title="Weighted alias routes traffic to different code",
    severity=Severity.MEDIUM,
    attack=("T1546", "T1036"),
    evidence=(Kind.ALIAS,),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html",),
    false_positives=(
        "Canary deployments: LOW when the routed version is the newest release, or its code "
        "was uploaded by a deployment tool or along an established path (one function's "
        "aliases per environment: `live` canaries version 23 while `dev` runs 24)."
    ),
)


def detect(case: CaseView) -> Iterator[Finding]:
    """Aliases with AdditionalVersionWeights to a version whose CodeSha256 is not the primary's.

    LOW when it looks like a canary: the routed version is the newest, carries $LATEST's code,
    or its code was uploaded by a deployment tool or along the baseline's established path
    (CloudTrail); MEDIUM otherwise.
    """
    for alias in case.aliases:
        fn = alias.function
        versions = {c.ref.qualifier: c for c in case.versions_of(fn.account, fn.region, fn.name)}
        primary = versions.get(alias.version)
        latest = versions.get("$LATEST")
        newest = max((int(q) for q in versions if q and q.isdigit()), default=0)
        for version, weight in sorted(alias.weights.items()):
            other = versions.get(version)
            if primary is None or other is None or other.code_sha256 == primary.code_sha256:
                continue
            # A canary routes to the release being rolled out: the newest version, or the
            # code $LATEST still has. Anything else is code kept alive out of sight (L19).
            upload = code_event(case, other)
            canary = (
                version == str(newest)
                or (latest is not None and other.code_sha256 == latest.code_sha256)
                or (upload is not None and upload.by_deploy_tool)
                or (upload is not None and case.verdict(upload).established)
            )
            yield make_finding(
                INFO,
                resource=fn.arn,
                account=fn.account,
                region=fn.region,
                severity=Severity.LOW if canary else Severity.MEDIUM,
                key=f"{alias.version}|{version}|{other.code_sha256}",
                evidence=(alias.evidence, primary.evidence, other.evidence),
                summary=(
                    f"Alias {fn.qualifier} sends {weight:.0%} of calls to version {version}, whose "
                    f"code ({other.code_sha256}) differs from version {alias.version}; diff them "
                    f"with `{diff_command(case.case.root, fn, alias.version, version)}`."
                ),
                details={
                    "canary": canary,
                    "alias": fn.qualifier,
                    "primary": alias.version,
                    "routed": version,
                    "weight": weight,
                },
            )


DETECTOR = Detector(INFO, detect)
