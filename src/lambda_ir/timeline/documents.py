"""Read API responses out of the case through the manifest (never by guessing paths)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from lambda_ir.evidence import Case, ManifestEntry
from lambda_ir.evidence.manifest import standing_errors
from lambda_ir.model import EvidenceRef


@dataclass(frozen=True)
class Document:
    """One stored JSON artifact and the manifest line that lists it."""

    entry: ManifestEntry
    body: Any

    @property
    def ref(self) -> EvidenceRef:
        """The evidence pointer a timeline event or report row cites."""
        return EvidenceRef(path=self.entry.path or "", sha256=self.entry.sha256 or "")


def documents(case: Case, *kinds: str, warnings: list[str] | None = None) -> Iterator[Document]:
    """Every stored, parseable JSON artifact of the given kinds, in manifest order.

    Failed calls (manifest lines with `error`) have no file and are skipped; a file that
    is missing or not JSON is noted in `warnings` and skipped, never raised.
    """
    for entry in case.entries():
        if entry.kind not in kinds or entry.error is not None or not entry.path:
            continue
        try:
            body = case.read_json(entry.path)
        except (OSError, orjson.JSONDecodeError) as exc:
            if warnings is not None:
                warnings.append(f"{entry.path}: unreadable ({type(exc).__name__})")
            continue
        yield Document(entry, body)


def gaps(case: Case) -> Iterator[ManifestEntry]:
    """Manifest lines that record what could not be collected: failed calls no later run
    answered (`manifest.standing_errors`) and gap notes, in manifest order."""
    entries = list(case.entries())
    standing = {id(entry) for entry in standing_errors(entries)}
    for entry in entries:
        if id(entry) in standing or (entry.error is None and entry.kind == "gap"):
            yield entry
