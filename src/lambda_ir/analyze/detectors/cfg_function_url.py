"""LIR-CFG-001: a function URL that needs no authentication, worse with wildcard CORS."""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.attribution import last_call
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CFG-001",
    title="Function URL without authentication",
    severity=Severity.LOW,
    attack=("T1190",),
    evidence=(Kind.URL,),
    references=("https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html",),
    false_positives="Public endpoints by design (webhooks, public APIs).",
)


def detect(case: CaseView) -> Iterator[Finding]:
    """URL configurations with AuthType NONE; HIGH when CORS also allows any origin."""
    for url in case.urls:
        if url.auth_type.upper() != "NONE":
            continue
        wildcard = "*" in url.allow_origins
        cause = last_call(
            case, ("CreateFunctionUrlConfig", "UpdateFunctionUrlConfig"), url.function
        )
        yield make_finding(
            INFO,
            resource=url.function.arn,
            account=url.function.account,
            region=url.function.region,
            key=url.url,
            evidence=(url.evidence, *((cause.evidence,) if cause else ())),
            time=cause.time if cause else None,
            actor=cause.actor if cause else None,
            summary=(
                f"{url.url} invokes {url.function.name} for anyone on the internet (AuthType "
                "NONE" + ("; CORS allows any origin" if wildcard else "") + "); set AWS_IAM or "
                "delete the URL if it is not meant to be public."
            ),
            details={"url": url.url, "allow_origins": list(url.allow_origins)},
        )


DETECTOR = Detector(INFO, detect)
