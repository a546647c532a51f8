"""The one paginator helper: every page of a listing, metadata dropped.

Quota pacing happens per request in the client's hooks (`aws.meter`), so a paginator's
pages are paced like any other call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore import xform_name


def pages(client: Any, operation: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield each page of `operation` (PascalCase, e.g. `ListFunctions`) as returned.

    Operations botocore cannot paginate are called once. A failing page raises after the
    pages before it were yielded, so a caller can keep what it got.
    """
    method = xform_name(operation)
    if not client.can_paginate(method):
        yield strip_metadata(getattr(client, method)(**params))
        return
    for page in client.get_paginator(method).paginate(**params):
        yield strip_metadata(page)


def call(client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """One call of `operation` (PascalCase) with `params`, metadata dropped."""
    return strip_metadata(getattr(client, xform_name(operation))(**params))


def strip_metadata(response: dict[str, Any]) -> dict[str, Any]:
    """A response as returned, minus botocore's `ResponseMetadata` (request ids, headers)."""
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}
