"""Where acquire puts each response in the case (docs/EVIDENCE.md); readers use the manifest.

Every name from AWS goes through `path_segment`, so a function called `../../x` stays inside
its folder.
"""

from __future__ import annotations

from lambda_ir.evidence.layout import path_segment


def account_root(account: str, region: str | None) -> str:
    """`raw/<account>/<region or global>`."""
    return f"raw/{path_segment(account)}/{path_segment(region or 'global')}"


def lambda_root(account: str, region: str) -> str:
    """`raw/<account>/<region>/lambda`."""
    return f"{account_root(account, region)}/lambda"


def function_root(account: str, region: str, function: str) -> str:
    """`raw/<account>/<region>/lambda/functions/<function>`."""
    return f"{lambda_root(account, region)}/functions/{path_segment(function)}"


def qualifier_file(
    account: str, region: str, function: str, folder: str, qualifier: str | None
) -> str:
    """A per-qualifier response, `_` standing for the unqualified function."""
    return (
        f"{function_root(account, region, function)}/{folder}/{path_segment(qualifier or '_')}.json"
    )


def iam_root(account: str) -> str:
    """`raw/<account>/global/iam`."""
    return f"{account_root(account, None)}/iam"
