"""The manifest: one JSON line per artifact (or failed call), append-only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class ManifestEntry:
    """One line of manifest.jsonl.

    `path`, `sha256` and `size` are None when the call failed; `error` then says why
    (a denied or failed call is evidence too). `meta` holds facts about the artifact that
    the API told us (for example the `CodeSha256` a package was checked against).
    """

    kind: str
    acquired_at: str
    path: str | None = None
    sha256: str | None = None
    size: int | None = None
    api: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    account: str | None = None
    region: str | None = None
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_line(self) -> bytes:
        record: dict[str, Any] = {
            "path": self.path,
            "sha256": self.sha256,
            "size": self.size,
            "kind": self.kind,
            "api": self.api,
            "params": self.params,
            "account": self.account,
            "region": self.region,
            "acquired_at": self.acquired_at,
        }
        if self.error is not None:
            record["error"] = self.error
        if self.meta:
            record["meta"] = self.meta
        return orjson.dumps(record, option=orjson.OPT_SORT_KEYS) + b"\n"

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> ManifestEntry:
        return cls(
            kind=str(record["kind"]),
            acquired_at=str(record["acquired_at"]),
            path=record.get("path"),
            sha256=record.get("sha256"),
            size=record.get("size"),
            api=record.get("api"),
            params=record.get("params") or {},
            account=record.get("account"),
            region=record.get("region"),
            error=record.get("error"),
            meta=record.get("meta") or {},
        )

    @property
    def call_key(self) -> str:
        """Identifies the API call that produced this entry, for resuming a collection."""
        return call_key(self.api, self.params, self.account, self.region)


def call_key(
    api: str | None, params: dict[str, Any], account: str | None, region: str | None
) -> str:
    body = orjson.dumps(
        {"api": api, "params": params, "account": account, "region": region},
        option=orjson.OPT_SORT_KEYS,
    )
    return body.decode()


@dataclass(frozen=True)
class ManifestLine:
    """A raw manifest line with its number, parsed when it could be."""

    number: int
    raw: bytes
    entry: ManifestEntry | None
    problem: str | None = None


def read_lines(path: Path) -> Iterator[ManifestLine]:
    """Yield every line of a manifest; a line that does not parse comes back with `problem` set."""
    if not path.exists():
        return
    with path.open("rb") as src:
        for number, raw in enumerate(src, start=1):
            yield parse_line(number, raw)


def parse_line(number: int, raw: bytes) -> ManifestLine:
    if not raw.endswith(b"\n"):
        return ManifestLine(number, raw, None, "truncated line (no newline)")
    try:
        record = orjson.loads(raw)
        return ManifestLine(number, raw, ManifestEntry.from_json(record))
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        return ManifestLine(number, raw, None, f"unreadable line: {exc}")


def standing_errors(entries: Iterable[ManifestEntry]) -> Iterator[ManifestEntry]:
    """The failed calls no run answered since: an entry with `error` whose call (its kind
    and `call_key`, as a resumed run finds it) has no entry stored whole (no error, not
    `meta.complete` false) in the manifest. A call throttled in one run and read by the
    next, or a listing cut short then read whole, is no gap any more."""
    failed: list[ManifestEntry] = []
    answered: set[tuple[str, str]] = set()
    for entry in entries:
        if entry.error is not None:
            failed.append(entry)
        elif entry.api is not None and entry.meta.get("complete") is not False:
            answered.add((entry.kind, entry.call_key))
    return (e for e in failed if (e.kind, e.call_key) not in answered)
