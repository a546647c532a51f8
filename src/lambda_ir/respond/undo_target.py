"""Whether what an undo call would set is there already: then the call changes nothing.

An undo is compared with the run's state after its changes (`drift`), so that a later change
is never silently overwritten. A later change that put back exactly what the undo sets
(`runtime detach` after `runtime attach`, a reservation deleted by hand after `throttle`)
leaves nothing to overwrite: the undo reports that step `already in place` and makes no
call, instead of refusing it as drift. Only what the call sets is compared, in the terms of
the read that shows it (`drift.watch`); the answers are as `drift._plain` leaves them (a
trigger on its way to `Enabled` counts as there). A call whose result is not one value of
a read (AddPermission's statement as Lambda writes it, CreateFunctionUrlConfig's URL) is
never judged in place here: the drift check alone decides, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

import orjson

_NOT_FOUND = "error not-found"  # drift's `_error_kind` of a not-found error
# A check of a call's parameters against the answers of the reads that show what it sets.
Check = Callable[[Mapping[str, Any], list[Any]], bool]


def in_place(api: str, params: Mapping[str, Any], answers: list[Any]) -> bool:
    """Whether `answers` (every page of the reads that show what the call writes, read now)
    already hold what the undo call `api` with `params` would set."""
    check = _CHECKS.get(api)
    return bool(answers) and check is not None and check(params, answers)


def _pages(answers: list[Any]) -> list[dict[str, Any]] | None:
    """The answers as pages, or None when a read failed (not found included)."""
    pages = [a for a in answers if isinstance(a, dict)]
    return pages if len(pages) == len(answers) else None


def _reservation(params: Mapping[str, Any], answers: list[Any]) -> bool:
    """PutFunctionConcurrency's reservation, or DeleteFunctionConcurrency's none."""
    pages = _pages(answers)
    wanted = params.get("ReservedConcurrentExecutions")
    return pages is not None and all(p.get("ReservedConcurrentExecutions") == wanted for p in pages)


def _configuration(params: Mapping[str, Any], answers: list[Any]) -> bool:
    """UpdateFunctionConfiguration's settings on `$LATEST`: each one it sends, as set."""
    pages = _pages(answers)
    settings = {k: v for k, v in params.items() if k != "FunctionName"}
    return pages is not None and all(
        _setting(p.get("Configuration") or {}, key) == _setting(settings, key)
        for p in pages
        for key in settings
    )


def _setting(source: Mapping[str, Any], key: str) -> Any:
    """A setting as the call sends it: layers by ARN (a read lists them with sizes), the
    variables alone (an empty set may be left out of a read)."""
    value = source.get(key)
    if key == "Layers":
        return [str(v.get("Arn")) if isinstance(v, dict) else str(v) for v in value or []]
    if key == "Environment":
        return dict((value or {}).get("Variables") or {})
    return value


def _listed(
    field: str, listing: str, same: Callable[[Mapping[str, Any], dict[str, Any]], bool]
) -> Check:
    """A check of the one listed item the call names by `field` (an alias, a trigger, a key):
    found in the listing and, wherever listed, as the call sets it."""

    def check(params: Mapping[str, Any], answers: list[Any]) -> bool:
        pages = _pages(answers)
        items = [
            i
            for p in pages or []
            for i in p.get(listing) or []
            if isinstance(i, dict) and i.get(field) == params.get(field)
        ]
        return pages is not None and bool(items) and all(same(params, i) for i in items)

    return check


def _alias(params: Mapping[str, Any], alias: dict[str, Any]) -> bool:
    """UpdateAlias's version and routing weights (no weights: none listed)."""

    def weights(source: Mapping[str, Any]) -> Any:
        return (source.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}

    return str(alias.get("FunctionVersion")) == str(params.get("FunctionVersion")) and weights(
        alias
    ) == weights(params)


def _trigger(params: Mapping[str, Any], mapping: dict[str, Any]) -> bool:
    """UpdateEventSourceMapping's Enabled, as the mapping's state."""
    return mapping.get("State") == ("Enabled" if params.get("Enabled") else "Disabled")


def _key_status(params: Mapping[str, Any], key: dict[str, Any]) -> bool:
    return key.get("Status") == params.get("Status")


def _policy(params: Mapping[str, Any], answers: list[Any]) -> bool:
    """PutRolePolicy's document, compared as JSON (IAM answers it URL-encoded or parsed)."""
    pages = _pages(answers)
    wanted = _document(params.get("PolicyDocument"))
    return pages is not None and all(_document(p.get("PolicyDocument")) == wanted for p in pages)


def _document(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return orjson.loads(unquote(value) if value.startswith("%") else value)
    except orjson.JSONDecodeError:
        return value


def _no_policy(_params: Mapping[str, Any], answers: list[Any]) -> bool:
    """DeleteRolePolicy's: the inline policy is not there."""
    return all(a == _NOT_FOUND for a in answers)


_CHECKS: dict[str, Check] = {
    "lambda:PutFunctionConcurrency": _reservation,
    "lambda:DeleteFunctionConcurrency": _reservation,
    "lambda:UpdateFunctionConfiguration": _configuration,
    "lambda:UpdateAlias": _listed("Name", "Aliases", _alias),
    "lambda:UpdateEventSourceMapping": _listed("UUID", "EventSourceMappings", _trigger),
    "iam:PutRolePolicy": _policy,
    "iam:DeleteRolePolicy": _no_policy,
    "iam:UpdateAccessKey": _listed("AccessKeyId", "AccessKeyMetadata", _key_status),
}
