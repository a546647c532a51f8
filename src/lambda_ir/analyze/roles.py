"""Execution roles as detectors read them: each role with every policy document attached.

Joins GetRole responses with the inline (GetRolePolicy) and managed (ListAttachedRolePolicies
+ GetPolicyVersion) documents collected for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambda_ir.analyze.values import ref_of
from lambda_ir.evidence import ManifestEntry
from lambda_ir.model import EvidenceRef


@dataclass(frozen=True)
class Role:
    """An IAM role and every policy document attached to it (inline and managed)."""

    arn: str
    name: str
    documents: tuple[Mapping[str, Any], ...]
    evidence: tuple[EvidenceRef, ...]


def parse_roles(
    roles: list[tuple[Any, ManifestEntry]], policies: list[tuple[Any, ManifestEntry]]
) -> tuple[Role, ...]:
    """Join GetRole responses with the role-policy documents collected for them, by account
    and role name: a role of the same name in another account of the case is another role."""
    by_name: dict[tuple[str, str], tuple[str, list[Mapping[str, Any]], list[EvidenceRef]]] = {}
    for document, entry in roles:
        role = (document or {}).get("Role") or {}
        name = str(role.get("RoleName") or entry.params.get("RoleName", ""))
        by_name[(entry.account or "", name)] = (str(role.get("Arn", "")), [], [ref_of(entry)])
    managed: dict[str, tuple[Mapping[str, Any], EvidenceRef]] = {}
    for document, entry in policies:
        version = (document or {}).get("PolicyVersion")
        if isinstance(version, Mapping) and isinstance(version.get("Document"), Mapping):
            # a customer-managed policy's ARN names its account; AWS's are the same everywhere
            managed[str(entry.params.get("PolicyArn", ""))] = (version["Document"], ref_of(entry))
    for document, entry in policies:
        name = str(entry.params.get("RoleName") or (document or {}).get("RoleName") or "")
        key = (entry.account or "", name)
        if key not in by_name:
            continue
        _, docs, refs = by_name[key]
        if isinstance((document or {}).get("PolicyDocument"), Mapping):
            docs.append(document["PolicyDocument"])
            refs.append(ref_of(entry))
        for attached in (document or {}).get("AttachedPolicies") or []:
            found = managed.get(str(attached.get("PolicyArn", "")))
            if found:
                docs.append(found[0])
                refs.extend((ref_of(entry), found[1]))
            elif str(attached.get("PolicyArn", "")).endswith(":policy/AdministratorAccess"):
                docs.append({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
                refs.append(ref_of(entry))
    return tuple(
        Role(arn, name, tuple(docs), tuple(dict.fromkeys(refs)))
        for (_, name), (arn, docs, refs) in by_name.items()
    )
