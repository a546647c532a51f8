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
    severity=Severity.LOW,
    attack=("T1537", "T1195.002"),
    evidence=(Kind.POLICY,),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/permissions-layer-cross-account.html",
    ),
    false_positives=(
        "Layers published for customers or sister accounts on purpose. Another account's "
        "layer used here (a vendor's, public by design) is INFO: its publisher shares it."
    ),
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
    accounts = {config.ref.account for config in case.functions}
    for document, entry in case.documents(Kind.POLICY, "lambda:GetLayerVersionPolicy"):
        name = str(entry.params.get("LayerName", "?"))
        layer = f"{name}:{entry.params.get('VersionNumber', '?')}"
        owner = entry.account or ""
        # Another account's layer (a vendor's, shared with all its customers by design) is
        # its publisher's choice, not this account's exposure.
        arn_parts = name.split(":")
        publisher = arn_parts[4] if name.startswith("arn:") and len(arn_parts) >= 7 else owner
        if publisher not in accounts:  # the entry's account may be the layer's own
            owner = min(accounts, default=owner)
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
            if publisher != owner and ("*" in grantees or foreign):
                match = case.vendors.layer(f"{layer}", owner)
                severity, who = Severity.INFO, f"everyone it chose ({match.describe()})"
            elif "*" in grantees and not scoped:
                severity, who = Severity.LOW, "every AWS account"
            elif foreign:
                severity, who = Severity.LOW, "account " + ", ".join(foreign)
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
