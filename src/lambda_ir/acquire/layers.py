"""Layers: every layer version any function version references, its bytes and its policy.

Called by layer version ARN (lambda:GetLayerVersionByArn), which works for layers in other
accounts too; a layer from an account we do not control is a classic persistence path, so
its bytes go into `blobs/` like any code, checked against `Content.CodeSha256`.
"""

from __future__ import annotations

from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import fetch_json
from lambda_ir.acquire.packages import Package
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import Kind


def layer_parts(arn: str) -> tuple[str, str, str, str] | None:
    """`arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION` → (region, account, name, version)."""
    parts = arn.split(":")
    if len(parts) != 8 or parts[2] != "lambda" or parts[5] != "layer":
        return None
    return parts[3], parts[4], parts[6], parts[7]


def collect_layer(ctx: CollectContext, arn: str) -> None:
    """GetLayerVersionByArn, the layer's package, and GetLayerVersionPolicy where readable."""
    parts = layer_parts(arn)
    if parts is None:
        return
    region, account, name, version = parts
    root = f"{paths.lambda_root(account, region)}/layers/{path_segment(name)}"
    response = fetch_json(
        ctx,
        kind=Kind.LAYER,
        api="lambda:GetLayerVersionByArn",
        params={"Arn": arn},
        path=f"{root}/{path_segment(version)}.json",
        region=region,
        account=account,
    )
    fetch_json(
        ctx,
        kind=Kind.POLICY,
        api="lambda:GetLayerVersionPolicy",
        params={"LayerName": arn.rsplit(":", 1)[0], "VersionNumber": int(version)},
        path=f"{root}/{path_segment(version)}-policy.json",
        region=region,
        account=account,
    )
    if response is not None:
        _collect_layer_code(ctx, arn, region, account, response)


def _collect_layer_code(
    ctx: CollectContext, arn: str, region: str, account: str, response: dict[str, object]
) -> None:
    content = response.get("Content")
    if not isinstance(content, dict):
        return
    sha = str(content.get("CodeSha256") or "")
    if not sha:
        return
    size = content.get("CodeSize")
    package = Package(
        url=str(content.get("Location") or ""),
        code_sha256=sha,
        size=size if isinstance(size, int) else None,
        kind=Kind.LAYER_CODE,
        api="lambda:GetLayerVersionByArn",
        params={"Arn": arn},
        region=region,
        account=account,
        meta={"layer_arn": arn},
    )
    ctx.packages.offer((arn,), package)
