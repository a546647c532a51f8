"""The case folder: write-once evidence, its manifest and its chain of custody.

A `Case` is safe to share between threads (the collector writes from many). Artifacts are
staged in `.tmp/`, hashed, made read-only and renamed into place before their manifest
line is appended, so an interrupted run never lists a half-written file.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from lambda_ir import __version__, sanitize
from lambda_ir.evidence import layout, store
from lambda_ir.evidence.case_manifest import ManifestTally, file_size, locked_append
from lambda_ir.evidence.custody import build_entry, last_hash, line_hash, local_user, utc_now
from lambda_ir.evidence.manifest import ManifestEntry, call_key, read_lines


class CaseError(Exception):
    """The folder is not a case, cannot become one, or an artifact cannot be written."""


def refuse_other_folder(path: Path) -> None:
    """Refuse a path that is neither a case nor a new or empty folder: a case is made only
    there, and a command that writes a case checks it before taking the lock, so a mistyped
    `--case` (`CASE/trail`) plants no `.lock` among evidence. The writer's own `.lock` may be
    there (the lock is taken before the case exists)."""
    if (path / layout.CASE_FILE).exists() or not path.exists():
        return
    if not path.is_dir() or any(p.name != layout.LOCK for p in path.iterdir()):
        raise CaseError(
            f"{path} exists and is not an empty folder or a lambda-ir case; "
            "choose a new or empty folder"
        )


class Case:
    """An open case folder. Build it with `Case.create` or `Case.open`."""

    def __init__(self, root: Path, info: dict[str, Any]) -> None:
        self.root = root
        self.info = info
        self._lock = threading.RLock()
        self._manifest = ManifestTally(root / layout.MANIFEST)
        self._custody_size = file_size(root / layout.CUSTODY)
        self._custody_count, self._custody_prev = last_hash(root / layout.CUSTODY)

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        scope: dict[str, Any] | None = None,
        *,
        caller: str = "",
        options: dict[str, Any] | None = None,
    ) -> Case:
        """Make a new case in `path`, which must not exist or be an empty folder."""
        path = Path(path)
        if (path / layout.CASE_FILE).exists():
            raise CaseError(f"{path} is already a case; open it instead of creating it")
        refuse_other_folder(path)
        path.mkdir(mode=layout.DIR_MODE, parents=True, exist_ok=True)
        info = {
            "id": str(uuid.uuid4()),
            "created": utc_now(),
            "tool": "lambda-ir",
            "tool_version": __version__,
            "caller": caller,
            "scope": scope or {},
            "options": options or {},
        }
        body = orjson.dumps(info, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        store.write_atomic(path / layout.CASE_FILE, body)
        (path / layout.MANIFEST).touch(mode=0o644)
        case = cls(path, info)
        case.log("created", {"case_json_sha256": hashlib.sha256(body).hexdigest()}, caller=caller)
        return case

    @classmethod
    def open(cls, path: Path) -> Case:
        """Open an existing case; a folder that is not one is refused with a clear message."""
        path = Path(path)
        case_file = path / layout.CASE_FILE
        if not path.is_dir():
            raise CaseError(
                f"{path} does not exist; create the case with `collect` or `import-trail`"
            )
        if not case_file.is_file():
            raise CaseError(
                f"{path} is not a lambda-ir case (it has no {layout.CASE_FILE}); give the "
                "folder `collect` or `import-trail` made, or create the case with one of them"
            )
        try:
            info = orjson.loads(case_file.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise CaseError(f"{case_file} is not valid JSON: {exc}") from exc
        if not isinstance(info, dict) or info.get("tool") != "lambda-ir":
            raise CaseError(f"{case_file} was not written by lambda-ir")
        return cls(path, info)

    @classmethod
    def open_or_create(
        cls, path: Path, scope: dict[str, Any] | None = None, *, caller: str = ""
    ) -> Case:
        if (Path(path) / layout.CASE_FILE).exists():
            return cls.open(path)
        return cls.create(path, scope, caller=caller)

    # -- writing evidence --------------------------------------------------------------

    def put_json(
        self, relpath: str, document: Any, *, kind: str, composed: bool = False, **source: Any
    ) -> ManifestEntry:
        """Store an API response (or any JSON document) as returned, write-once.

        `composed` marks a document of ours that quotes the evidence (a response plan, its
        undo): its C1, DEL and bidi characters are written as `\\uXXXX` (the same JSON), so
        `cat` on it cannot drive a terminal. AWS's responses keep every character.
        """
        body = orjson.dumps(
            document,
            option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS,
            default=_json_default,
        )
        if composed:
            body = sanitize.json_bytes(body)
        return self.put_stream([body], relpath, kind=kind, **source)

    def put_bytes(
        self, data: bytes, relpath: str | None = None, *, kind: str, **source: Any
    ) -> ManifestEntry:
        """Store bytes at `relpath`, or content-addressed under blobs/ when no path is given."""
        return self.put_stream([data], relpath, kind=kind, **source)

    def put_stream(
        self,
        chunks: Iterable[bytes],
        relpath: str | None = None,
        *,
        kind: str,
        api: str | None = None,
        params: dict[str, Any] | None = None,
        account: str | None = None,
        region: str | None = None,
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ManifestEntry:
        """Stream chunks to disk, hash them, and list the artifact in the manifest.

        With no `relpath` the artifact is a blob stored once by its SHA-256: storing the
        same bytes again returns the existing entry. `expected_sha256` (hex) is checked
        before anything is moved into place; a mismatch raises `store.IntegrityError`.
        """
        target_rel = layout.safe_relpath(relpath) if relpath else None
        staged = store.stage(self.root, chunks, max_bytes=max_bytes)
        if expected_sha256 is not None and staged.sha256 != expected_sha256.lower():
            store.discard(staged)
            raise store.IntegrityError(
                f"content hashed to {staged.sha256}, the source said {expected_sha256}"
            )
        rel = target_rel or layout.blob_path(staged.sha256)
        with self._lock:
            existing = self._manifest.by_path.get(rel)
            if existing is not None:
                store.discard(staged)
                if existing.sha256 == staged.sha256:
                    return existing
                raise CaseError(f"{rel} is already in the case with other content (write-once)")
            # A file here that the manifest does not list is left over from an interrupted run.
            store.commit(staged, self.root / rel)
            entry = ManifestEntry(
                kind=kind,
                acquired_at=utc_now(),
                path=rel,
                sha256=staged.sha256,
                size=staged.size,
                api=api,
                params=params or {},
                account=account,
                region=region,
                meta=meta or {},
            )
            self._manifest.append(entry)
            return entry

    def record_error(
        self,
        *,
        kind: str,
        api: str,
        error: str,
        params: dict[str, Any] | None = None,
        account: str | None = None,
        region: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> ManifestEntry:
        """List a failed call: the manifest keeps what was asked and why it failed."""
        entry = ManifestEntry(
            kind=kind,
            acquired_at=utc_now(),
            api=api,
            params=params or {},
            account=account,
            region=region,
            error=error,
            meta=meta or {},
        )
        with self._lock:
            self._manifest.append(entry)
        return entry

    def write_derived(self, name: str, data: bytes) -> Path:
        """Write (or rewrite) a rebuildable output such as findings.json or report.html."""
        return self.write_derived_stream(name, [data])[0]

    def write_derived_stream(self, name: str, chunks: Iterable[bytes]) -> tuple[Path, str]:
        """Stream a rebuildable output into place; returns its path and SHA-256.

        Staged and hashed like evidence, then renamed over any previous version, so a large
        output (a busy timeline) never sits in memory and readers never see half of it.
        """
        if not layout.is_derived(name) or ".." in name.split("/"):
            raise CaseError(f"{name!r} is not a derived output name")
        target = self.root / name
        staged = store.stage(self.root, chunks, behind=True)
        staged.temp.chmod(0o644)
        target.parent.mkdir(mode=layout.DIR_MODE, parents=True, exist_ok=True)
        staged.temp.replace(target)
        return target, staged.sha256

    def log(self, action: str, details: dict[str, Any] | None = None, *, caller: str = "") -> None:
        """Append a chained custody entry that checkpoints the manifest as it is now."""
        with self._lock, locked_append(self.root / layout.CUSTODY) as fd:
            self._manifest.catch_up()
            if os.fstat(fd).st_size != self._custody_size:
                # Another handle (a process the case lock did not stop, a library caller)
                # logged since we looked: chain on its last entry, never fork the chain.
                self._custody_count, self._custody_prev = last_hash(self.root / layout.CUSTODY)
            raw = build_entry(
                self._custody_count + 1,
                action,
                details or {},
                caller or self.info.get("caller", "") or local_user(),
                self._manifest.checkpoint(),
                self._custody_prev,
            )
            os.write(fd, raw)
            os.fsync(fd)
            self._custody_size = os.fstat(fd).st_size
            self._custody_count += 1
            self._custody_prev = line_hash(raw)

    # -- reading -----------------------------------------------------------------------

    def entries(self) -> Iterator[ManifestEntry]:
        """Every parseable manifest entry, in the order they were written."""
        for line in read_lines(self.root / layout.MANIFEST):
            if line.entry is not None:
                yield line.entry

    def listed(self, kind: str) -> list[ManifestEntry]:
        """The stored artifacts of `kind`, in manifest order, from the lines this handle has
        read (new ones first caught up): no re-read and re-parse of the whole manifest."""
        with self._lock:
            self._manifest.catch_up()
            return [entry for entry in self._manifest.by_path.values() if entry.kind == kind]

    def entry(self, relpath: str) -> ManifestEntry | None:
        with self._lock:
            return self._manifest.by_path.get(relpath)

    def was_collected(
        self, api: str, params: dict[str, Any], account: str | None, region: str | None
    ) -> bool:
        """True when this exact call already succeeded into this case (for resuming)."""
        with self._lock:
            return call_key(api, params, account, region) in self._manifest.done

    def path(self, relpath: str) -> Path:
        """The absolute path of an artifact, refusing anything outside the case."""
        rel = relpath.strip("/")
        if ".." in rel.split("/"):
            raise CaseError(f"unsafe artifact path: {relpath!r}")
        return self.root / rel

    def read_json(self, relpath: str) -> Any:
        return orjson.loads(self.path(relpath).read_bytes())

    @property
    def id(self) -> str:
        return str(self.info.get("id", ""))


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)
