"""A function ListFunctions listed that was gone when the run came to read it.

Its listing page holds its configuration as it was, but ListVersionsByFunction answers
ResourceNotFoundException: deleted while the run collected (during an incident, possibly by
the intruder cleaning up). That is an evidence gap (kind `gap`, `function-deleted`), citing
the listing page, never a function collected nor "checked and absent".
"""

from __future__ import annotations

from lambda_ir.acquire import paths
from lambda_ir.acquire.context import CollectContext
from lambda_ir.acquire.fetch import store
from lambda_ir.acquire.steps import FunctionTarget
from lambda_ir.aws import ErrorClass
from lambda_ir.evidence.asked import DECIDES
from lambda_ir.evidence.deleted import GAP
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import Kind


def listing_said_gone(ctx: CollectContext, fn: FunctionTarget) -> bool:
    """True when this run's ListVersionsByFunction of a listed function answered not-found."""
    if not fn.listed:
        return False  # asked for by name (--function): a typo or an old name, `asked` says
    with ctx.tally.lock:
        return any(
            e.api == DECIDES
            and e.target == fn.name
            and e.region == fn.region
            and e.error_class is ErrorClass.NOT_FOUND
            for e in ctx.tally.errors
        )


def record_deleted(ctx: CollectContext, fn: FunctionTarget) -> None:
    """Store the `function-deleted` gap, citing the ListFunctions page that listed `fn`."""
    with ctx.tally.lock:
        ctx.tally.deleted.add(f"{fn.name} ({fn.region})")
    listing = _listing_page(ctx, fn)
    gap = {
        "gap": GAP,
        "function": fn.name,
        "listing": listing,
        "detail": (
            f"{fn.name} was listed by ListFunctions ({listing.get('path', 'not stored')}) but "
            "was gone when read (ListVersionsByFunction: ResourceNotFoundException): deleted "
            "during collection. Its configuration as listed is in the case; its versions, "
            "code, policies and aliases are not. Look for DeleteFunction in CloudTrail: who "
            "deleted it, and from where."
        ),
    }
    store(
        ctx,
        f"{paths.account_root(ctx.account, fn.region)}/gaps/function-deleted-"
        f"{path_segment(fn.name)}.json",
        gap,
        kind=Kind.GAP,
        api=DECIDES,
        params={"FunctionName": fn.name},
        region=fn.region,
    )


def _listing_page(ctx: CollectContext, fn: FunctionTarget) -> dict[str, str]:
    """{path, sha256} of the stored ListFunctions page that lists `fn` ({} when none does)."""
    for entry in ctx.case.listed(Kind.FUNCTION_LIST):  # this handle's, not a re-read
        if entry.region != fn.region or not entry.path:
            continue
        if entry.account != ctx.account:
            continue
        page = ctx.case.read_json(entry.path)
        names = {str(c.get("FunctionName")) for c in page.get("Functions") or [] if c}
        if fn.name in names:
            return {"path": entry.path, "sha256": entry.sha256 or ""}
    return {}
