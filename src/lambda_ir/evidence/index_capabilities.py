"""Fill `capability_files` and `capabilities`: what each version's code can do, per file line.

Every code and layer package is read once (in memory, bounded like `code_files`; nothing is
extracted or run) and each file goes through `capabilities.extract.extract`. Rows are kept
per package (`capability_files`: how each file was read, and why a fallback was used), then
joined in SQL onto every function version that runs the package as its code or as one of
its layers (`capabilities`: account, region, function, version, file, line, kind, value).
Vendored AWS SDKs and HTTP libraries are not read: they call AWS and read credentials by
design, and would drown the handler's own lines. Rows from other vendored dependencies (a
dist-info RECORD lists the file, or it lies under `node_modules/`) name the dependency.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb

from lambda_ir.capabilities.deps import (
    MAX_RECORD,
    Check,
    Installed,
    line_ending_digests,
    read_installed,
)
from lambda_ir.capabilities.extract import extract, is_vendored
from lambda_ir.evidence.case import Case
from lambda_ir.evidence.index_code import CODE_KINDS, ZIP_ERRORS, read_members
from lambda_ir.evidence.index_values import bulk_insert
from lambda_ir.evidence.manifest import ManifestEntry

# Join each package's rows onto the versions that run it: as code, or as a layer (by ARN).
PER_VERSION = """
INSERT INTO capabilities
WITH uses AS (
    SELECT account, region, function_name, version, 'code' AS source, NULL AS layer_arn,
           code_sha256_hex AS blob_sha256
    FROM versions WHERE code_sha256_hex IS NOT NULL
    UNION ALL
    SELECT v.account, v.region, v.function_name, v.version, 'layer', l.layer_version_arn,
           l.code_sha256_hex
    FROM versions v, unnest(v.layers->>'$[*].Arn') AS u(arn)
    JOIN layers l ON l.layer_version_arn = u.arn
    WHERE l.code_sha256_hex IS NOT NULL
)
SELECT DISTINCT u.account, u.region, u.function_name, u.version, u.source, u.layer_arn,
       c.blob_sha256, c.file, c.line, c.cap_kind, c.value, c.detail, c.parser, c.evidence_path,
       c.dependency
FROM uses u JOIN code_capabilities c ON c.blob_sha256 = u.blob_sha256
"""


def load_capabilities(con: duckdb.DuckDBPyConnection, case: Case) -> list[str]:
    """Extract every package's capabilities and join them onto versions; returns problems.

    Runs after the `versions` and `layers` tables are filled."""
    problems: list[str] = []
    seen: set[str] = set()
    files: list[tuple[object, ...]] = []
    rows: list[tuple[object, ...]] = []
    for entry in case.entries():
        if entry.kind not in CODE_KINDS or not entry.path or not entry.sha256 or entry.error:
            continue
        if entry.sha256 in seen:
            continue
        seen.add(entry.sha256)
        try:
            package_files, package_rows = _package_rows(case, entry, problems)
        except ZIP_ERRORS as exc:  # what a hostile zip makes zipfile raise: a warning
            problems.append(f"{entry.path}: capabilities not read: {type(exc).__name__}: {exc}")
            continue
        files.extend(package_files)
        rows.extend(package_rows)
    # One insert per table: each bulk insert stages a file and scans it (~10 ms apiece).
    bulk_insert(con, "capability_files", files)
    bulk_insert(con, "code_capabilities", rows)
    con.execute(PER_VERSION)
    return problems


def _package_rows(
    case: Case, entry: ManifestEntry, problems: list[str]
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    assert entry.path is not None and entry.sha256 is not None
    files: list[tuple[object, ...]] = []
    rows: list[tuple[object, ...]] = []
    path = case.path(entry.path)
    installed, unread = _installed(path)
    problems.extend(
        f"{entry.path}: {why}; the files it lists count as the package's own" for why in unread
    )
    for member in read_members(path):
        if member.content is None or member.is_symlink:
            continue
        # A vendored SDK's file is read when its RECORD does not vouch for it: changed
        # after install, or added to the library's folders (a file the installer wrote,
        # or that no RECORD knows of, stays unread as before).
        check = installed.check(member.path, line_ending_digests(member.content))
        if is_vendored(member.name) and check not in (Check.CHANGED, Check.ADDED):
            continue
        try:
            found = extract(member.name, member.content)
        except Exception as exc:  # one hostile file must not stop the index: a row says why
            files.append(
                (entry.sha256, entry.kind, member.name, "unread", f"not read: {type(exc).__name__}",
                 0, entry.path, None)
            )  # fmt: skip
            continue
        if found is None:
            continue
        # a changed file is no longer the library's: its lines are judged as the package's own
        dependency = None if check is Check.CHANGED else installed.dependency(member.path) or None
        files.append(
            (entry.sha256, entry.kind, found.file, found.parser.value, found.note,
             len(found.capabilities), entry.path, dependency)
        )  # fmt: skip
        rows.extend(
            (entry.sha256, entry.kind, found.file, cap.line, cap.kind.value, cap.value,
             cap.detail, found.parser.value, entry.path, dependency)
            for cap in found.capabilities
        )  # fmt: skip
    return files, rows


def _installed(path: Path) -> tuple[Installed, list[str]]:
    """The package's vendored Python distributions, from their RECORD files (small, bounded).

    A RECORD that cannot be read (too large, damaged, encrypted: no password is ever tried)
    is named in the list returned beside it, never raised: one hostile member must not stop
    the index."""
    unread: list[str] = []
    with zipfile.ZipFile(path) as archive:
        sizes = {info.filename: info.file_size for info in archive.infolist()}

        def read(name: str) -> bytes | None:
            if sizes[name] > MAX_RECORD:
                unread.append(f"{name}: larger than {MAX_RECORD} bytes; not read")
                return None
            try:
                return archive.read(name)[: MAX_RECORD + 1]
            except ZIP_ERRORS as exc:
                unread.append(f"{name}: not read: {type(exc).__name__}: {exc}")
                return None

        return read_installed(list(sizes), read), unread
