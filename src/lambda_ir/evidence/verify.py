"""`verify`: recompute every hash, account for every file, walk the custody chain."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lambda_ir.evidence import layout
from lambda_ir.evidence.custody import GENESIS, CustodyEntry, line_hash, read_entries
from lambda_ir.evidence.lock import Holder, current_holder, stale_holder
from lambda_ir.evidence.manifest import ManifestEntry, read_lines
from lambda_ir.evidence.store import hash_file


@dataclass(frozen=True)
class Problem:
    """One reason a case is not intact."""

    kind: str  # missing | altered | unlisted | manifest | custody | case
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"


@dataclass
class VerifyReport:
    files: int = 0
    bytes: int = 0
    manifest_lines: int = 0
    custody_entries: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_case(root: Path, progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Check a case folder against its manifest and custody chain; reads, never writes.

    Hashing streams each file and runs on a thread per core (hashlib releases the GIL).
    `progress` is called with the byte count of each file hashed.

    Safe while a writer (`collect`...) holds the case's lock: custody is read before the
    manifest (so every checkpoint it holds is of lines already written), files the writer
    lists while we walk are not "unlisted", and its files in `.tmp/` (named with its pid) are
    its own. A writer that was killed (its record still in `.lock`) left its half-written
    files there: a note, removed by the next writer. Anything else in `.tmp/` is reported: a
    file planted there is not evidence.
    """
    report = VerifyReport()
    if not (root / layout.CASE_FILE).is_file():
        report.problems.append(Problem("case", str(root), f"no {layout.CASE_FILE}: not a case"))
        return report
    writer = current_holder(root)
    killed = stale_holder(root) if writer is None else None
    custody = list(read_entries(root / layout.CUSTODY))
    listed, prefix_hashes = _read_manifest(root, report)
    _check_files(root, listed, report, progress)
    _check_unlisted(root, listed, report, writer, killed)
    _check_custody(root, custody, prefix_hashes, report)
    if writer is None:
        _check_outputs(root, custody, report)
    else:  # it may be writing one now: the file renamed in before custody names its hash
        report.notes.append("outputs (findings.json, report.md…) not checked while a writer runs")
    return report


# The custody entries that record the outputs they wrote, by name, with each SHA-256, and
# those that say which outputs a run is about to write.
_WROTE = ("analyzed", "reported", "indexed")
_WRITING = ("analyzing", "reporting", "indexing")
# The index (case.duckdb) is whole and as lambda-ir built it when it is any build's: two
# commands that found it stale may build it at once, the last rename winning whatever order
# they log in, and an older build of the same evidence is still the same tables (one built
# from another manifest is rebuilt before use, `index.open_index`).
_ANY_BUILD = frozenset({"case.duckdb"})
# DuckDB's log of changes not yet in case.duckdb: every open replays it, a read-only one too,
# so an edit left there changes what analysis reads while case.duckdb keeps its digest. An
# index build checkpoints and readers never write: lambda-ir leaves none.
_WAL = "case.duckdb.wal"


def _check_outputs(
    root: Path, custody: list[tuple[int, bytes, CustodyEntry | None]], report: VerifyReport
) -> None:
    """Each output `analyze`, `report` or `timeline` wrote against the SHA-256 custody holds
    for it (the latest run's): findings.json, report.md or timeline.jsonl changed since is
    `altered` (an output handed on is trusted for being what lambda-ir wrote). One deleted
    since (to be rebuilt) is a note. The index (case.duckdb) is held to any build's digest
    (`_ANY_BUILD`); one built before builds were recorded is not checked."""
    written: dict[str, tuple[str, int]] = {}
    built: set[str] = set()  # every digest recorded for an output of `_ANY_BUILD`
    started: dict[str, int] = {}  # the custody line of each output's latest run to write it
    for number, _, entry in custody:
        if entry is None:
            continue
        if entry.action in _WRITING and isinstance(entry.details.get("outputs"), list):
            started.update((str(name), number) for name in entry.details["outputs"])
            continue
        outputs = entry.details.get("outputs") if entry.action in _WROTE else None
        if entry.action == "timeline":
            outputs = {entry.details.get("output"): entry.details.get("sha256")}
        for name, digest in (outputs or {}).items() if isinstance(outputs, dict) else ():
            if isinstance(name, str) and isinstance(digest, str) and layout.is_derived(name):
                written[name] = (digest, number)
                if name in _ANY_BUILD:
                    built.add(digest)
    if "case.duckdb" in written and (root / _WAL).exists():
        report.problems.append(
            Problem(
                "altered",
                _WAL,
                "changes to the index that DuckDB replays on every open, though lambda-ir "
                "never leaves any: rebuild it from the evidence with `lambda-ir index`, then "
                "run `analyze` and `report` again: what they made from it may be wrong",
            )
        )
    for name, (digest, number) in sorted(written.items()):
        path = root / name
        if not path.is_file():
            report.notes.append(f"{name}: written (custody line {number}), since removed")
            continue
        found = hash_file(path)[0]
        if found == digest or (name in _ANY_BUILD and found in built):
            continue
        if started.get(name, 0) > number:  # a later run replaced it, then stopped
            report.notes.append(
                f"{name}: rewritten by a run that did not finish (custody line "
                f"{started[name]}): run it again"
            )
        else:
            again = "run that command again to rebuild it"
            if name in _ANY_BUILD:  # what every analysis, search and report read
                again = (
                    "rebuild it from the evidence with `lambda-ir index`, then run `analyze` "
                    "and `report` again: what they made from it may be wrong"
                )
            report.problems.append(
                Problem(
                    "altered",
                    name,
                    f"changed since lambda-ir wrote it (custody line {number}); {again}",
                )
            )


def _read_manifest(root: Path, report: VerifyReport) -> tuple[dict[str, ManifestEntry], list[str]]:
    listed: dict[str, ManifestEntry] = {}
    digest = hashlib.sha256()
    prefix_hashes = [digest.hexdigest()]  # prefix_hashes[n] = hash of the first n lines
    for line in read_lines(root / layout.MANIFEST):
        digest.update(line.raw)
        prefix_hashes.append(digest.hexdigest())
        report.manifest_lines += 1
        if line.entry is None:
            report.problems.append(Problem("manifest", f"line {line.number}", str(line.problem)))
            continue
        entry = line.entry
        if entry.path is None:
            continue
        previous = listed.get(entry.path)
        if previous is not None and previous.sha256 != entry.sha256:
            detail = f"line {line.number} lists it again with another hash"
            report.problems.append(Problem("manifest", entry.path, detail))
        listed[entry.path] = entry
    return listed, prefix_hashes


def _check_files(
    root: Path,
    listed: dict[str, ManifestEntry],
    report: VerifyReport,
    progress: Callable[[int], None] | None,
) -> None:
    def check(entry: ManifestEntry) -> tuple[int, Problem | None]:
        assert entry.path is not None
        path = root / entry.path
        if path.is_symlink() or not path.is_file():
            return 0, Problem("missing", entry.path, "listed in the manifest, not on disk")
        sha256, size = hash_file(path)
        if progress:
            progress(size)
        if sha256 != entry.sha256:
            return size, Problem(
                "altered", entry.path, f"sha256 {sha256}, manifest says {entry.sha256}"
            )
        if size != entry.size:
            return size, Problem("altered", entry.path, f"size {size}, manifest says {entry.size}")
        return size, None

    workers = max(2, (os.cpu_count() or 2) * 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for size, problem in pool.map(check, listed.values()):
            report.files += 1
            report.bytes += size
            if problem:
                report.problems.append(problem)


def _check_unlisted(
    root: Path,
    listed: dict[str, ManifestEntry],
    report: VerifyReport,
    writer: Holder | None,
    killed: Holder | None,
) -> None:
    staged = 0
    unlisted = []
    for rel in _walk(root):
        if rel == layout.TMP_DIR:  # a file or a link in place of the folder: never a writer's
            report.problems.append(Problem("unlisted", rel, "in place of the staging folder"))
            continue
        if rel.split("/", 1)[0] == layout.TMP_DIR:
            # A writer's own files there carry its pid and token (`store.temp_prefix`): anything
            # else was put there by someone else, whoever holds the lock.
            name = rel.split("/", 1)[1]
            if any(holder is not None and holder.made(name) for holder in (writer, killed)):
                staged += 1
                continue
            report.problems.append(Problem("unlisted", rel, _stranger(writer, killed)))
            continue
        if rel in listed or rel in layout.BOOKKEEPING or layout.is_derived(rel):
            continue
        unlisted.append(rel)
    if killed is not None and staged:
        report.notes.append(
            f"{staged} file(s) in .tmp/ left half-written by {killed.describe()}, which was "
            "killed; the next command that writes the case removes them"
        )
    if writer is not None:
        if staged:
            report.notes.append(f"{staged} file(s) in .tmp/ being written by {writer.describe()}")
        now_listed = {line.entry.path for line in read_lines(root / layout.MANIFEST) if line.entry}
        unlisted = [rel for rel in unlisted if rel not in now_listed]  # listed since we read
        # The writer renames a file into place, then lists it: one placed since it began is
        # its own, on its way into the manifest (a busy machine widens that moment). A file
        # older than the writer is not (an outsider's; the writer never backdates its files).
        fresh = [rel for rel in unlisted if _placed_since(root / rel, writer.since)]
        if fresh:
            report.notes.append(
                f"{len(fresh)} file(s) placed by {writer.describe()}, not yet in the manifest"
            )
            unlisted = [rel for rel in unlisted if rel not in fresh]
    for rel in unlisted:
        report.problems.append(Problem("unlisted", rel, "on disk, not in the manifest"))


def _placed_since(path: Path, since: str) -> bool:
    """Whether `path` was last changed at or after `since` (a lock's UTC time), to the
    second; False when either cannot be read."""
    try:
        began = datetime.fromisoformat(since.replace("Z", "+00:00"))
        changed = datetime.fromtimestamp(path.lstat().st_mtime, UTC)
    except (OSError, ValueError):
        return False
    if began.tzinfo is None:
        began = began.replace(tzinfo=UTC)
    return changed >= began - timedelta(seconds=1)


def _stranger(writer: Holder | None, killed: Holder | None) -> str:
    """Why a file in `.tmp/` is a problem: no writer made it."""
    if writer is not None:
        return f"in the staging folder .tmp/, not made by the running writer (pid {writer.pid})"
    if killed is not None:
        return f"in the staging folder .tmp/, not made by the killed writer (pid {killed.pid})"
    return "in the staging folder .tmp/ with no writer running"


def _walk(root: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d == layout.TMP_DIR or not layout.is_derived(d)]
            rel_dir = ""
        for name in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            yield f"{rel_dir}/{name}" if rel_dir else name


def _check_custody(
    root: Path,
    custody: list[tuple[int, bytes, CustodyEntry | None]],
    prefix_hashes: list[str],
    report: VerifyReport,
) -> None:
    prev = GENESIS
    expected_seq = 1
    for number, raw, entry in custody:
        report.custody_entries += 1
        where = f"{layout.CUSTODY} line {number}"
        if entry is None:
            report.problems.append(Problem("custody", where, "unreadable entry"))
            prev = line_hash(raw)
            continue
        if entry.prev != prev:
            report.problems.append(
                Problem("custody", where, "chain broken: previous entry was changed or removed")
            )
        if entry.seq != expected_seq:
            report.problems.append(
                Problem("custody", where, f"seq {entry.seq}, expected {expected_seq}")
            )
        _check_checkpoint(entry.manifest_lines, entry.manifest_sha256, prefix_hashes, where, report)
        if entry.action == "created":
            _check_case_file(root, entry.details.get("case_json_sha256"), report)
        prev = line_hash(raw)
        expected_seq = entry.seq + 1
    if report.custody_entries == 0:
        report.problems.append(Problem("custody", layout.CUSTODY, "missing or empty"))


def _check_checkpoint(
    lines: int, sha256: str, prefix_hashes: list[str], where: str, report: VerifyReport
) -> None:
    if lines >= len(prefix_hashes):
        detail = f"manifest had {lines} lines at this point, it has {len(prefix_hashes) - 1} now"
        report.problems.append(
            Problem("manifest", layout.MANIFEST, f"truncated: {detail} ({where})")
        )
    elif prefix_hashes[lines] != sha256:
        detail = f"its first {lines} lines changed since {where} recorded them"
        report.problems.append(Problem("manifest", layout.MANIFEST, detail))


def _check_case_file(root: Path, expected: object, report: VerifyReport) -> None:
    sha256, _ = hash_file(root / layout.CASE_FILE)
    if sha256 != expected:
        report.problems.append(
            Problem("altered", layout.CASE_FILE, "differs from when the case was created")
        )
