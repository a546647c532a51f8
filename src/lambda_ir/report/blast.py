"""Blast radius: what an execution role's policies let a stolen credential do.

Read from the collected IAM documents (inline policies, attached managed policies' default
versions). It is a reading of Allow statements, not an evaluation: conditions, boundaries
and SCPs can only narrow it, so the report presents it as the upper bound.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from lambda_ir.evidence import Case
from lambda_ir.model import EvidenceRef
from lambda_ir.timeline.documents import documents

# Actions that turn a stolen role into an account-wide problem.
DANGEROUS = (
    "*",
    "iam:",
    "sts:AssumeRole",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "kms:Decrypt",
    "lambda:UpdateFunctionCode",
    "lambda:CreateFunction",
    "s3:*",
)


# AWS managed policies that on their own give a stolen role the run of the account.
BROAD_MANAGED = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


def broad_managed_policy(arn: str) -> bool:
    """True for an attached policy whose name alone says it is account-wide or full access."""
    name = arn.rsplit("/", 1)[-1]
    return name in BROAD_MANAGED or name.endswith("FullAccess")


@dataclass(frozen=True)
class Grant:
    """One Allow statement's actions on resources, and the policy it came from."""

    policy: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditional: bool
    evidence: EvidenceRef

    @property
    def dangerous(self) -> bool:
        """True when an action is a wildcard or reaches credentials, IAM or code."""
        return any(a == "*" or a.endswith(":*") or a.startswith(DANGEROUS) for a in self.actions)


@dataclass(frozen=True)
class RoleReach:
    """An execution role and every Allow it carries (the upper bound of its reach)."""

    name: str
    arn: str
    grants: tuple[Grant, ...]
    attached: tuple[str, ...]


def read_roles(case: Case, warnings: list[str] | None = None) -> dict[str, RoleReach]:
    """Every collected role by ARN, with the Allow statements of its policies.

    Keyed by ARN (account and name): a role of the same name in another account is another
    role with other policies, and must never lend this one its grants.
    """
    arns: dict[str, str] = {}
    attached: dict[str, list[str]] = {}
    inline: dict[str, list[Grant]] = {}
    managed: dict[str, list[Grant]] = {}
    for doc in documents(case, "role", "role-policy", warnings=warnings):
        body = doc.body if isinstance(doc.body, dict) else {}
        role_name = str(doc.entry.params.get("RoleName", ""))
        account = doc.entry.account or ""
        if "Role" in body:
            role = body["Role"]
            name = str(role.get("RoleName", role_name))
            arns[role_arn(account, name)] = str(role.get("Arn", "")) or role_arn(account, name)
        elif "AttachedPolicies" in body:
            attached.setdefault(role_arn(account, role_name), []).extend(
                str(p.get("PolicyArn", "")) for p in body["AttachedPolicies"]
            )
        elif "PolicyDocument" in body:
            name = f"inline {body.get('PolicyName', '?')}"
            grants = list(_grants(name, body["PolicyDocument"], doc.ref))
            owner = role_arn(account, role_name or str(body.get("RoleName", "")))
            inline.setdefault(owner, []).extend(grants)
        elif "PolicyVersion" in body:
            arn = str(doc.entry.params.get("PolicyArn", "?"))
            managed.setdefault(arn, []).extend(
                _grants(arn.rsplit("/", 1)[-1], body["PolicyVersion"].get("Document"), doc.ref)
            )
    keys = set(arns) | set(attached) | set(inline)
    return {
        key: RoleReach(
            name=key.rsplit("/", 1)[-1],
            arn=arns.get(key, key),
            grants=tuple(inline.get(key, []))
            + tuple(g for arn in attached.get(key, []) for g in managed.get(arn, [])),
            attached=tuple(attached.get(key, [])),
        )
        for key in sorted(keys)
    }


def role_arn(account: str, name: str) -> str:
    """The ARN of a role in an account (roles at a path keep their name as the last part)."""
    return f"arn:aws:iam::{account}:role/{name}"


def role_key(arn: str) -> str:
    """The `read_roles` key of an execution role ARN: account and name, path dropped."""
    parts = arn.split(":")
    if len(parts) < 6:
        return arn
    return role_arn(parts[4], parts[5].rsplit("/", 1)[-1])


def _grants(policy: str, document: Any, ref: EvidenceRef) -> Iterator[Grant]:
    if isinstance(document, str):  # IAM returns policy documents URL-encoded JSON
        try:
            document = orjson.loads(urllib.parse.unquote(document))
        except orjson.JSONDecodeError:
            return
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        yield Grant(
            policy=policy,
            actions=_strings(statement.get("Action") or statement.get("NotAction")),
            resources=_strings(statement.get("Resource") or statement.get("NotResource")),
            conditional="Condition" in statement,
            evidence=ref,
        )


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),) if value else ()
