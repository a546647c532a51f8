"""LIR-POL-002: a layer version's policy shares it with everyone or with foreign accounts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.values import ref_of
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-POL-002",
    title="Layer shared publicly or with another account",
    severity=Severity.MEDIUM,
    attack=("T1537", "T1195.002"),
    evidence=(Kind.POLICY,),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/permissions-layer-cross-account.html",
    ),
    false_positives="Layers published for customers or sister accounts on purpose.",
)


def _statements(document: Any) -> list[dict[str, Any]]:
    try:
        policy = orjson.loads(str((document or {}).get("Policy") or "{}"))
    except orjson.JSONDecodeError:
        return []
    statements = policy.get("Statement") or [] if isinstance(policy, dict) else []
    return [s for s in ([statements] if isinstance(statements, dict) else statements) if s]


def _grantees(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    values = principal.values() if isinstance(principal, dict) else [principal]
    out: list[str] = []
    for value in values:
        out.extend(str(v) for v in (value if isinstance(value, list) else [value]))
    return out


def detect(case: CaseView) -> Iterator[Finding]:
    """GetLayerVersionPolicy statements allowing `*` (no org condition) or foreign accounts."""
    for document, entry in case.documents(Kind.POLICY, "lambda:GetLayerVersionPolicy"):
        layer = f"{entry.params.get('LayerName', '?')}:{entry.params.get('VersionNumber', '?')}"
        owner = entry.account or ""
        for statement in _statements(document):
            if statement.get("Effect") != "Allow":
                continue
            grantees = _grantees(statement)
            scoped = (
                "principalorgid" in orjson.dumps(statement.get("Condition") or {}).decode().lower()
            )
            foreign = sorted(
                {g.split(":")[4] if g.startswith("arn:") else g for g in grantees if g != "*"}
                - {owner, *case.options.allowed_accounts}
            )
            if "*" in grantees and not scoped:
                severity, who = Severity.HIGH, "every AWS account"
            elif foreign:
                severity, who = Severity.MEDIUM, "account " + ", ".join(foreign)
            else:
                continue
            yield make_finding(
                INFO,
                resource=layer,
                account=owner,
                region=entry.region or "",
                severity=severity,
                key=str(statement.get("Sid", "")),
                evidence=(ref_of(entry),),
                summary=(
                    f"Layer {layer} can be read and attached by {who} (statement "
                    f"{statement.get('Sid', '?')!r}); its code, and anything in it, is exposed."
                ),
                details={"sid": statement.get("Sid"), "principals": grantees},
            )


DETECTOR = Detector(INFO, detect)
