"""Rows of the `roles` and `role_policies` tables from IAM responses (iam:GetRole and friends)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import orjson

from lambda_ir.evidence.index_values import json_text, utc_timestamp
from lambda_ir.evidence.manifest import ManifestEntry

Row = tuple[Any, ...]


def roles(entry: ManifestEntry, document: Any) -> Iterator[Row]:
    """One row per iam:GetRole response; policy documents decoded to JSON."""
    role = document.get("Role") or {}
    yield (
        entry.account,
        role.get("RoleName") or entry.params.get("RoleName"),
        role.get("Arn"),
        utc_timestamp(role.get("CreateDate")),
        json_text(policy_document(role.get("AssumeRolePolicyDocument"))),
        json_text(role.get("PermissionsBoundary")),
        json_text(role.get("RoleLastUsed")),
        json_text(role),
    )


def role_policies(entry: ManifestEntry, document: Any) -> Iterator[Row]:
    """Inline policies, managed policy versions and attachments, one row each."""
    role_name = entry.params.get("RoleName") or entry.meta.get("role_name")
    if "PolicyDocument" in document:  # iam:GetRolePolicy
        yield (
            entry.account,
            document.get("RoleName") or role_name,
            document.get("PolicyName"),
            None,
            entry.api,
            json_text(policy_document(document["PolicyDocument"])),
        )
    elif "PolicyVersion" in document:  # iam:GetPolicyVersion
        version = document["PolicyVersion"] or {}
        yield (
            entry.account,
            role_name,
            entry.meta.get("policy_name"),
            entry.params.get("PolicyArn"),
            entry.api,
            json_text(policy_document(version.get("Document"))),
        )
    for attached in document.get("AttachedPolicies") or []:  # iam:ListAttachedRolePolicies
        yield (
            entry.account,
            role_name,
            attached.get("PolicyName"),
            attached.get("PolicyArn"),
            entry.api,
            None,
        )
    for name in document.get("PolicyNames") or []:  # iam:ListRolePolicies
        yield (entry.account, role_name, name, None, entry.api, None)


def policy_document(value: Any) -> Any:
    """IAM returns policy documents URL-encoded; boto3 usually decodes them, raw calls don't."""
    if isinstance(value, str):
        try:
            return orjson.loads(urllib.parse.unquote(value))
        except orjson.JSONDecodeError:
            return value
    return value
