"""Where things live in a case folder (the contract in DESIGN.md), and path safety."""

from __future__ import annotations

from pathlib import PurePosixPath

CASE_FILE = "case.json"
MANIFEST = "manifest.jsonl"
CUSTODY = "custody.jsonl"
LOCK = ".lock"
TMP_DIR = ".tmp"
BLOB_DIR = "blobs/sha256"

# Outputs rebuilt from the evidence; they may be rewritten and are not listed in the manifest.
DERIVED_FILES = frozenset(
    {
        "case.duckdb",
        "case.duckdb.wal",
        "findings.json",
        "incidents.json",
        "timeline.jsonl",
        "timeline.csv",
        "timeline-filtered.jsonl",  # a filtered `timeline` run's: the whole one stays
        "timeline-filtered.csv",
        "report.html",
        "report.md",
        "findings.sarif",
        "findings.ocsf.jsonl",
        "findings.csv",
        "indicators.stix.json",
        "indicators.txt",
    }
)
DERIVED_DIR = "derived"
BOOKKEEPING = frozenset({CASE_FILE, MANIFEST, CUSTODY, LOCK})

FILE_MODE = 0o444
DIR_MODE = 0o755


def blob_path(sha256: str) -> str:
    """The case-relative path of a content-addressed blob."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a hex SHA-256: {sha256!r}")
    return f"{BLOB_DIR}/{sha256[:2]}/{sha256}"


def is_derived(relpath: str) -> bool:
    """True for rebuildable outputs and scratch space, which the manifest does not list."""
    first = relpath.split("/", 1)[0]
    return relpath in DERIVED_FILES or first in (DERIVED_DIR, TMP_DIR)


def safe_relpath(relpath: str) -> str:
    """Normalise an artifact path and refuse anything that could leave the case folder.

    Artifact names are built from attacker-controlled strings (function names, log group
    names), so `..`, absolute paths, backslashes and NUL bytes are rejected, not cleaned.
    """
    if not relpath or "\x00" in relpath or "\\" in relpath:
        raise ValueError(f"unsafe artifact path: {relpath!r}")
    path = PurePosixPath(relpath)
    if path.is_absolute() or any(part in ("..", ".", "") for part in path.parts):
        raise ValueError(f"unsafe artifact path: {relpath!r}")
    normal = path.as_posix()
    if normal in BOOKKEEPING or is_derived(normal):
        raise ValueError(f"reserved path in case folder: {relpath!r}")
    return normal


def path_segment(name: str) -> str:
    """Make one attacker-controlled name (a log group, a function) into a safe path segment."""
    out = []
    for ch in name:
        if ch.isalnum() or ch in "-_.=+@,":
            out.append(ch)
        else:
            out.append(f"%{ord(ch):02X}")
    segment = "".join(out)
    if segment in ("", ".", ".."):
        segment = segment.replace(".", "%2E") or "%00"
    return segment[:200]
