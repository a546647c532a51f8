"""Evidence before change: the function's state is in the case before anything is altered.

When the case holds no lambda:GetFunction response for the function, the collector (the same
read-only `acquire.collect` as `lambda-ir collect`) collects that one function first:
versions, code, policies per qualifier, URLs, aliases, triggers and the role.
"""

from __future__ import annotations

import boto3

from lambda_ir.acquire import CollectOptions, Scope, collect
from lambda_ir.acquire.paths import function_root
from lambda_ir.evidence import Case
from lambda_ir.model import FunctionRef


class EvidenceError(Exception):
    """The function's state could not be put in the case: nothing is changed."""


def has_function(case: Case, function: FunctionRef) -> bool:
    """True when the case holds a successful GetFunction of the function."""
    root = function_root(function.account, function.region, function.name) + "/"
    return any(
        entry.api == "lambda:GetFunction" and entry.error is None and entry.path.startswith(root)
        for entry in case.entries()
        if entry.path
    )


def preserve(
    case: Case,
    session: boto3.Session,
    function: FunctionRef,
    *,
    endpoint_url: str | None = None,
    quotas: bool = True,
) -> str:
    """Collect the function into the case unless it is there; returns what was done."""
    if has_function(case, function):
        return "the function's state was already in the case"
    options = CollectOptions(workers=4, quotas=quotas, endpoint_url=endpoint_url)
    summary = collect(
        case, session, Scope(regions=(function.region,), functions=(function.arn,)), options
    )
    if not has_function(case, function):
        raise EvidenceError(
            f"could not collect {function.arn} into the case ({summary.line()}); nothing changed"
        )
    return f"collected the function's state into the case first: {summary.line()}"
