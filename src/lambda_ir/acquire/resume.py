"""What an earlier run already put in the case, so a new run skips it and fills the gaps.

A call counts as done when it succeeded, or when AWS answered that there is nothing there
(`not-found`): asking again would only spend quota. Denied, throttled, unsupported and
timed-out calls are tried again. So is a listing stored only in part (`meta.complete` false:
its pages up to a failure): a new run reads it whole again into an artifact beside it
(`partial` says how many earlier attempts there are), the partial one kept as it was.
"""

from __future__ import annotations

from typing import Any

from lambda_ir.aws import ErrorClass
from lambda_ir.evidence import Case, ManifestEntry
from lambda_ir.evidence.manifest import call_key

_FINAL_ERRORS = (ErrorClass.NOT_FOUND.value + ":",)


class ResumeIndex:
    """Done calls of a case by (kind, call), read once when a run starts."""

    def __init__(self, case: Case) -> None:
        self._done: dict[tuple[str, str], ManifestEntry] = {}
        self._partial: dict[tuple[str, str], list[ManifestEntry]] = {}
        for entry in case.entries():
            if entry.api is None:
                continue
            if entry.error is None and entry.meta.get("complete") is False:
                self._partial.setdefault((entry.kind, entry.call_key), []).append(entry)
            elif entry.error is None or entry.error.startswith(_FINAL_ERRORS):
                self._done[(entry.kind, entry.call_key)] = entry

    def find(
        self, kind: str, api: str, params: dict[str, Any], account: str | None, region: str | None
    ) -> ManifestEntry | None:
        """The entry an earlier run wrote for this call, or None when it must be made."""
        return self._done.get((kind, call_key(api, params, account, region)))

    def partial(
        self, kind: str, api: str, params: dict[str, Any], account: str | None, region: str | None
    ) -> list[ManifestEntry]:
        """The listings earlier runs stored for this call only in part, in manifest order."""
        return list(self._partial.get((kind, call_key(api, params, account, region)), ()))

    def __len__(self) -> int:
        return len(self._done)
