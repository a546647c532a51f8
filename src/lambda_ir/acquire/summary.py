"""The end of a run in numbers: what was collected, what failed and why, what it cost."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from lambda_ir.acquire.context import RecordedError
from lambda_ir.aws import ErrorClass, MeterReading
from lambda_ir.evidence.asked import DECIDES, missing_functions


@dataclass(frozen=True)
class CollectSummary:
    """What `collect()` did; `ok` is False only when nothing at all could be collected."""

    account: str
    regions: tuple[str, ...]
    functions: int
    artifacts: int
    resumed: int
    downloaded_bytes: int
    errors: tuple[RecordedError, ...]
    by_kind: dict[str, int]
    meter: MeterReading
    seconds: float
    interrupted: bool = False
    advice: tuple[str, ...] = ()  # e.g. "the trail bucket (--trail-bucket) would be faster"
    asked: tuple[str, ...] = ()  # the functions the scope named (--function)
    deleted: tuple[str, ...] = ()  # `name (region)`: listed by ListFunctions, gone when read

    @property
    def ok(self) -> bool:
        """True when anything was collected (now or by an earlier run of this case)."""
        return (self.artifacts + self.resumed) > 0

    def error_counts(self) -> dict[ErrorClass, int]:
        """Failed calls per class (denied, not-found, unsupported, …)."""
        return dict(Counter(error.error_class for error in self.errors))

    def missing_functions(self) -> list[str]:
        """The functions asked for (`--function`) that AWS says do not exist, as
        `name (regions)`: a mistyped name otherwise gave a clean-looking empty case."""
        found = missing_functions(self.asked, self.regions, self._not_found())
        return [f"{name} ({', '.join(regions)})" for name, regions in found]

    def _not_found(self) -> list[tuple[str, str]]:
        """The (name, region) pairs whose `DECIDES` call answered "not found"."""
        return [
            (e.target, e.region or "")
            for e in self.errors
            if e.api == DECIDES and e.error_class is ErrorClass.NOT_FOUND
        ]

    @property
    def asked_none_found(self) -> bool:
        """True when `--function` named functions and not one of them exists where it was
        looked for: the run holds the account's trail but nothing it was asked to collect,
        and `collect` and `investigate` fail (exit 1) instead of reading as done. One name
        found is enough to go on; the others are named in `line()`."""
        # each name or ARN asked for on its own: two ARNs of one name in two regions are two
        not_found = self._not_found()
        return bool(self.asked) and all(
            missing_functions([item], self.regions, not_found) for item in self.asked
        )

    def line(self) -> str:
        """One sentence: `collected 1,412 artifacts from 38 functions in 2 regions; 3 calls …`."""
        regions = len(self.regions)
        text = (
            f"collected {self.artifacts:,} artifacts from {self.functions:,} "
            f"function{'s' if self.functions != 1 else ''} in {regions} "
            f"region{'s' if regions != 1 else ''}"
        )
        if self.resumed:
            text += f" ({self.resumed:,} already in the case)"
        if missing := self.missing_functions():
            text += (
                f"; not found: {', '.join(missing)} (a typo, or deleted? look for "
                "DeleteFunction in its CloudTrail)"
            )
        if self.deleted:
            text += (
                f"; deleted during collection: {', '.join(self.deleted)} (listed, then gone: "
                "look for DeleteFunction in its CloudTrail)"
            )
        for klass in (
            ErrorClass.DENIED,
            ErrorClass.THROTTLED,
            ErrorClass.TIMEOUT,
            ErrorClass.INTEGRITY,
            ErrorClass.SKIPPED,
            ErrorClass.UNSUPPORTED,
            ErrorClass.ERROR,
        ):
            hits = [e for e in self.errors if e.error_class is klass]
            if hits:
                text += f"; {len(hits):,} call{'s' if len(hits) != 1 else ''} {klass.value}: "
                text += ", ".join(_example(e) for e in hits[:3])
                text += ", …" if len(hits) > 3 else ""
        return text + (" (interrupted)" if self.interrupted else "")

    def to_json(self) -> dict[str, Any]:
        """The summary as custody and `--json` record it (no response contents, no secrets)."""
        return {
            "account": self.account,
            "regions": list(self.regions),
            "functions": self.functions,
            "artifacts": self.artifacts,
            "resumed": self.resumed,
            "downloaded_bytes": self.downloaded_bytes,
            "by_kind": self.by_kind,
            "errors": {k.value: v for k, v in self.error_counts().items()},
            "calls": {k.value: v for k, v in self.meter.by_class().items()},
            "throttled_responses": self.meter.throttled,
            "seconds": round(self.seconds, 3),
            "interrupted": self.interrupted,
            "advice": list(self.advice),
            "functions_not_found": self.missing_functions(),
            "functions_deleted": list(self.deleted),
        }


def _example(error: RecordedError) -> str:
    where = f" on {error.target}" if error.target else ""
    return f"{error.api}{where}"
