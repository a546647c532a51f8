"""Functions deleted while the case was collected: listed by ListFunctions, gone when read.

The collector records each as a `gap` artifact (`function-deleted`) naming the ListFunctions
page that listed it; the configuration shown for it is that page's, as AWS returned it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lambda_ir.evidence.case import Case
from lambda_ir.model import EvidenceRef

GAP = "function-deleted"
NOTE = "deleted during collection"


@dataclass(frozen=True)
class DeletedFunction:
    """A function deleted during collection, with its configuration as listed."""

    account: str
    region: str
    name: str
    configuration: dict[str, Any]  # its entry of the ListFunctions page ({} if unreadable)
    listing: EvidenceRef | None  # that page
    gap: EvidenceRef  # the gap note


def deleted_functions(case: Case) -> Iterator[DeletedFunction]:
    """Every function the collection found deleted, from its gap notes, in manifest order."""
    for entry in case.entries():
        if entry.kind != "gap" or not entry.path or GAP not in entry.path:
            continue
        try:
            note = case.read_json(entry.path)
        except (OSError, ValueError):
            continue
        if not isinstance(note, dict) or note.get("gap") != GAP:
            continue
        name = str(note.get("function") or "")
        listing = note.get("listing")
        listing = listing if isinstance(listing, dict) else {}
        path, sha256 = str(listing.get("path") or ""), str(listing.get("sha256") or "")
        yield DeletedFunction(
            account=entry.account or "",
            region=entry.region or "",
            name=name,
            configuration=_listed(case, path, name),
            listing=EvidenceRef(path, sha256) if path and sha256 else None,
            gap=EvidenceRef(entry.path, entry.sha256 or ""),
        )


def _listed(case: Case, path: str, name: str) -> dict[str, Any]:
    """`name`'s configuration on the ListFunctions page at `path` ({} when not there)."""
    if not path or case.entry(path) is None:
        return {}
    try:
        page = case.read_json(path)
    except (OSError, ValueError):
        return {}
    for config in page.get("Functions") or [] if isinstance(page, dict) else []:
        if isinstance(config, dict) and config.get("FunctionName") == name:
            return config
    return {}
