"""The execution role of every version: trust policy, inline and attached policies.

IAM calls are not Lambda quota; they run on their own pool. The role document from
iam:GetRole carries the trust policy, `RoleLastUsed` and the permissions boundary; every
managed policy (attached or boundary) is read once with its default version's document.
"""

from __future__ import annotations

from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import fetch_json, fetch_pages
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import Kind


def role_parts(arn: str) -> tuple[str, str] | None:
    """`arn:aws:iam::ACCOUNT:role/PATH/NAME` → (account, name)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    return parts[4], parts[5].rsplit("/", 1)[-1]


def collect_role(ctx: CollectContext, arn: str) -> None:
    """iam:GetRole, the inline policies and the attached managed ones (and the boundary)."""
    parts = role_parts(arn)
    if parts is None:
        return
    account, name = parts
    root = f"{paths.iam_root(account)}/roles/{path_segment(name)}"
    role = fetch_json(
        ctx,
        kind=Kind.ROLE,
        api="iam:GetRole",
        params={"RoleName": name},
        path=f"{root}/role.json",
        region=None,
        account=account,
    )
    _inline_policies(ctx, account, name, root)
    arns = _attached_policies(ctx, account, name, root)
    boundary = ((role or {}).get("Role") or {}).get("PermissionsBoundary") or {}
    if boundary.get("PermissionsBoundaryArn"):
        arns.append(str(boundary["PermissionsBoundaryArn"]))
    for policy_arn in arns:
        if ctx.claim("managed-policy", policy_arn):
            collect_managed_policy(ctx, policy_arn, account)


def _inline_policies(ctx: CollectContext, account: str, name: str, root: str) -> None:
    """iam:ListRolePolicies, then iam:GetRolePolicy for each inline policy."""
    inline = fetch_pages(
        ctx,
        kind=Kind.ROLE_POLICY,
        api="iam:ListRolePolicies",
        params={"RoleName": name},
        path=f"{root}/inline-policies.json",
        region=None,
        account=account,
        list_key="PolicyNames",
    )
    for policy in (inline or {}).get("PolicyNames", []):
        fetch_json(
            ctx,
            kind=Kind.ROLE_POLICY,
            api="iam:GetRolePolicy",
            params={"RoleName": name, "PolicyName": str(policy)},
            path=f"{root}/inline/{path_segment(str(policy))}.json",
            region=None,
            account=account,
        )


def _attached_policies(ctx: CollectContext, account: str, name: str, root: str) -> list[str]:
    """iam:ListAttachedRolePolicies; the ARNs of the attached managed policies."""
    attached = fetch_pages(
        ctx,
        kind=Kind.ROLE_POLICY,
        api="iam:ListAttachedRolePolicies",
        params={"RoleName": name},
        path=f"{root}/attached-policies.json",
        region=None,
        account=account,
        list_key="AttachedPolicies",
    )
    return [str(p.get("PolicyArn")) for p in (attached or {}).get("AttachedPolicies", [])]


def collect_managed_policy(ctx: CollectContext, arn: str, account: str) -> None:
    """iam:GetPolicy and iam:GetPolicyVersion of its default version (the document in force)."""
    root = f"{paths.iam_root(account)}/policies/{path_segment(arn)}"
    policy = fetch_json(
        ctx,
        kind=Kind.ROLE_POLICY,
        api="iam:GetPolicy",
        params={"PolicyArn": arn},
        path=f"{root}/policy.json",
        region=None,
        account=account,
    )
    version = str(((policy or {}).get("Policy") or {}).get("DefaultVersionId") or "")
    if version:
        fetch_json(
            ctx,
            kind=Kind.ROLE_POLICY,
            api="iam:GetPolicyVersion",
            params={"PolicyArn": arn, "VersionId": version},
            path=f"{root}/{path_segment(version)}.json",
            region=None,
            account=account,
        )
