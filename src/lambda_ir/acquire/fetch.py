"""The one way a collection step makes a call and keeps its answer as evidence.

`fetch_json` and `fetch_pages` return the response — from the case when an earlier run
already stored it (resume), else from AWS, stored first — or None after recording why the
call failed. They never raise for AWS errors: a failed call is a manifest entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lambda_ir.acquire.context import CollectContext, RecordedError
from lambda_ir.aws import CallError, ErrorClass, call, classify, pages
from lambda_ir.evidence import CaseError


def fetch_json(
    ctx: CollectContext,
    *,
    kind: str,
    api: str,
    params: dict[str, Any],
    path: str,
    region: str | None,
    account: str | None = None,
    client_region: str | None = None,
) -> dict[str, Any] | None:
    """Make (or reuse) one call and store its response at `path`; None if it failed."""
    where = _Where(kind, api, params, path, region, account or ctx.account, client_region)
    return _fetch(ctx, where, call)


def fetch_pages(
    ctx: CollectContext,
    *,
    kind: str,
    api: str,
    params: dict[str, Any],
    path: str,
    region: str | None,
    list_key: str,
    account: str | None = None,
) -> dict[str, Any] | None:
    """Every page of a listing merged into one document `{list_key: [...]}` at `path`."""

    def merged(client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        items: list[Any] = []
        for page in pages(client, operation, params):
            items.extend(page.get(list_key, []))
        return {list_key: items}

    where = _Where(kind, api, params, path, region, account or ctx.account, None)
    return _fetch(ctx, where, merged)


@dataclass(frozen=True)
class _Where:
    """One call as the manifest lists it, and where its response goes."""

    kind: str
    api: str
    params: dict[str, Any]
    path: str
    region: str | None
    account: str
    client_region: str | None


def _fetch(
    ctx: CollectContext,
    where: _Where,
    get: Callable[[Any, str, dict[str, Any]], dict[str, Any]],
) -> dict[str, Any] | None:
    done = ctx.resume.find(where.kind, where.api, where.params, where.account, where.region)
    if done is not None:
        return _from_case(ctx, done.path)
    service, operation = where.api.split(":", 1)
    client = ctx.client(service, where.client_region or where.region or ctx.home_region)
    try:
        document = get(client, operation, where.params)
    except Exception as exc:  # every failure becomes evidence
        error = classify(exc)
        record_failure(ctx, where.kind, where.api, where.params, where.region, error, where.account)
        return None
    store(
        ctx,
        where.path,
        document,
        kind=where.kind,
        api=where.api,
        params=where.params,
        region=where.region,
        account=where.account,
    )
    return document


def fetch_page_files(
    ctx: CollectContext,
    *,
    kind: str,
    api: str,
    params: dict[str, Any],
    page_path: str,
    region: str,
    list_key: str,
) -> list[Any] | None:
    """Every page stored as its own file (`page_path` has `{page}`); the items of all pages.

    The last page carries `meta.last_page`, so a resumed run reuses stored pages only when
    the listing had finished; otherwise it lists again and keeps the pages it already has
    as they were (evidence is write-once). None when the first page failed.
    """
    stored = _stored_pages(ctx, kind, api, params, region, list_key)
    if stored is not None:
        return stored
    service, operation = api.split(":", 1)
    client = ctx.client(service, region)
    items: list[Any] = []
    held: tuple[int, dict[str, Any]] | None = None  # a page is stored once we know if it is last
    try:
        for number, page in enumerate(pages(client, operation, params), start=1):
            items.extend(page.get(list_key, []))
            if held is not None:
                _store_page(ctx, page_path, held, kind, api, params, region, last=False)
            held = (number, page)
    except Exception as exc:  # every failure becomes evidence
        failed = (held[0] + 1) if held else 1
        if held is not None:
            _store_page(ctx, page_path, held, kind, api, params, region, last=False)
        record_failure(ctx, kind, api, {**params, "page": failed}, region, classify(exc))
        return items or None
    if held is not None:
        _store_page(ctx, page_path, held, kind, api, params, region, last=True)
    return items


def _stored_pages(
    ctx: CollectContext,
    kind: str,
    api: str,
    params: dict[str, Any],
    region: str,
    list_key: str,
) -> list[Any] | None:
    items: list[Any] = []
    number = 1
    while entry := ctx.resume.find(kind, api, {**params, "page": number}, ctx.account, region):
        document = _from_case(ctx, entry.path) or {}
        items.extend(document.get(list_key, []))
        if entry.meta.get("last_page"):
            return items
        number += 1
    return None


def _store_page(
    ctx: CollectContext,
    page_path: str,
    held: tuple[int, dict[str, Any]],
    kind: str,
    api: str,
    params: dict[str, Any],
    region: str,
    *,
    last: bool,
) -> None:
    number, page = held
    page_params = {**params, "page": number}
    if ctx.resume.find(kind, api, page_params, ctx.account, region) is None:
        path = page_path.format(page=number)
        meta = {"last_page": True} if last else None
        store(ctx, path, page, kind=kind, api=api, params=page_params, region=region, meta=meta)


def store(
    ctx: CollectContext,
    path: str,
    document: Any,
    *,
    kind: str,
    api: str,
    params: dict[str, Any],
    region: str | None,
    account: str | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    """Write a response into the case and count it (a path already in the case is kept)."""
    if ctx.case.entry(path) is not None:
        return  # stored by an earlier run: evidence is write-once
    try:
        ctx.case.put_json(
            path,
            document,
            kind=kind,
            api=api,
            params=params,
            account=account or ctx.account,
            region=region,
            meta=meta,
        )
    except CaseError:
        # Already stored with other content by an earlier run: evidence is write-once.
        return
    with ctx.tally.lock:
        ctx.tally.artifacts += 1
        ctx.tally.by_kind[str(kind)] += 1


def record_failure(
    ctx: CollectContext,
    kind: str,
    api: str,
    params: dict[str, Any],
    region: str | None,
    error: CallError,
    account: str | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    """List a failed call in the manifest and in the run's summary."""
    ctx.case.record_error(
        kind=kind,
        api=api,
        params=params,
        error=error.text,
        account=account or ctx.account,
        region=region,
        meta=meta,
    )
    target = _target(params)
    with ctx.tally.lock:
        ctx.tally.errors.append(
            RecordedError(error.error_class, api, target, region, error.message[:200])
        )


# The parameter that names what a call was about, in the order a responder reads them.
_TARGET_KEYS = (
    "target",
    "FunctionName",
    "Arn",
    "LayerName",
    "RoleName",
    "PolicyArn",
    "layerDigest",
)


def _target(params: dict[str, Any]) -> str:
    """What a failed call was about, for the summary (`orders:3`, a layer ARN, a role)."""
    for key in _TARGET_KEYS:
        if key in params:
            qualifier = params.get("Qualifier")
            return f"{params[key]}:{qualifier}" if qualifier else str(params[key])
    return str(next(iter(params.values()), "")) if params else ""


def _from_case(ctx: CollectContext, path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None  # an earlier run learned there is nothing there (not-found)
    with ctx.tally.lock:
        ctx.tally.resumed += 1
    document = ctx.case.read_json(path)
    return document if isinstance(document, dict) else None


def task_failure(
    ctx: CollectContext, kind: str, api: str, params: dict[str, Any], region: str | None
) -> Callable[[BaseException], None]:
    """An `on_failure` for `Work.submit`: a bug in a step is recorded, the run goes on."""

    def on_failure(exc: BaseException) -> None:
        error = CallError(ErrorClass.ERROR, type(exc).__name__, str(exc))
        record_failure(ctx, kind, api, params, region, error)

    return on_failure
