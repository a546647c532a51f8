"""Which files of a package are vendored third-party dependencies, whose, and whether they are
still the bytes their installer wrote.

A Python distribution installed into a package (`pip install -t`, a layer's
`python/lib/python3.x/site-packages/`) lists every file it put there in its
`<name>-<version>.dist-info/RECORD`, each with its SHA-256 (pip and uv write
`sha256=<urlsafe base64, unpadded>`); a Node.js module lives under `node_modules/<name>/`.
Capabilities found in them are still rows, tagged with the dependency: a release that adds
`jinja2` gains its `compile()` calls, which is not the handler starting to run code. A file
is only the dependency's while it is what the RECORD says: a library file changed after
install, or a file added to a library's folders, is how a backdoor hides from a review of
the handler (`check`). Two distributions may list one path: identical listings are one
file they share (a namespace `__init__.py`); where they give other bytes, the file is as
recorded only by a listing of a distribution that owns the path's top-level folder, when
another listing's does (`Installed.vouches`). An attacker who rewrites the RECORD too is not
caught here: the record is the package's own word, not the published release's.
"""

from __future__ import annotations

import base64
import csv
import enum
import hashlib
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from lambda_ir.capabilities.paths import unpacked_path

RECORD = re.compile(r"^(?:.*/)?([^/]+?)-([^/-]+)\.dist-info/RECORD$")
NODE_MODULES = "node_modules/"
MAX_RECORD = 4 << 20  # a dist-info RECORD larger than this is not read
# Top folders some wheels install beside their package by mistake, which the function's own
# files share (`tests/`): no library's folder.
SHARED_FOLDERS = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "benchmarks"})
# The only hash a RECORD entry is checked by: what pip, uv and poetry write. An entry with
# another (or none) vouches for nothing: the wheel format refuses md5 and sha1, and a line
# without a hash is for the RECORD itself and compiled `.pyc` files only.
ALGORITHM = "sha256"


class Check(enum.Enum):
    """What a package file is against the RECORD files of the package."""

    AS_RECORDED = "as recorded"  # a RECORD lists it with these bytes' hash (`vouches`)
    CHANGED = "changed after install"  # listed with a hash, and no listing vouches for it
    ADDED = "added to an installed library"  # in a library's folder, listed by no RECORD
    UNKNOWN = "not recorded"  # the package's own file, or no hash to judge it by


@dataclass(frozen=True)
class Listing:
    """One RECORD line about a file: which distribution installed it, and what it was."""

    dist: str  # the distribution's name, as its dist-info folder spells it
    version: str
    record: str  # the RECORD's path in the package (where it unpacks)
    digest: str  # the SHA-256 as RECORD writes it ("" when the line gives none)
    size: int | None  # bytes, when the line says


@dataclass
class Installed:
    """What a package's `*.dist-info/RECORD` files say was installed into it."""

    listings: dict[str, list[Listing]] = field(default_factory=dict)  # path -> its lines
    folders: dict[str, Listing] = field(default_factory=dict)  # library folder -> a listing
    # RECORD path -> the top-level names it lists a hashed file under that no other
    # distribution lists with other bytes: the folders (and modules) it owns
    owned: dict[str, set[str]] = field(default_factory=dict)

    def dependency(self, path: str) -> str:
        """The dependency a file belongs to (`six`, `@aws-crypto/util`), or "" for own code."""
        listed = self.listings.get(path)
        if listed:
            return listed[0].dist
        if NODE_MODULES not in path:
            return ""
        parts = path.rsplit(NODE_MODULES, 1)[1].split("/")
        if parts[0].startswith("@") and len(parts) > 2:
            return f"{parts[0]}/{parts[1]}"
        return parts[0] if len(parts) > 1 else ""

    def check(self, path: str, digests: Iterable[str]) -> Check:
        """Whether the file at `path` is what its RECORD says, by its `digests`
        (`line_ending_digests` of its bytes: line endings alone do not count, as a
        site-packages committed to git comes back with CRLF on Windows)."""
        recorded = [x for x in self.listings.get(path, ()) if x.digest]
        if recorded:
            for digest in digests:  # lazily: a line-ending variant only when needed
                if any(x.digest == digest and self.vouches(path, x) for x in recorded):
                    return Check.AS_RECORDED
            return Check.CHANGED
        if path.endswith(".pyc") and path[:-1] in self.listings:
            return Check.UNKNOWN  # a recorded source compiled beside it (`compileall -b`)
        if self.library_of(path) is not None:
            return Check.ADDED
        return Check.UNKNOWN

    def disputes(self, path: str, listing: Listing) -> list[Listing]:
        """The listings of `path` by other distributions that give it other bytes than
        `listing` does (two versions of one distribution, as `pip install -t --upgrade`
        leaves them, do not dispute; nor do wheels' stray `tests/` folders)."""
        if top_level(path, listing) in SHARED_FOLDERS:
            return []
        name = _distribution(listing.dist)
        return [
            x
            for x in self.listings.get(path, ())
            if x.digest and x.digest != listing.digest and _distribution(x.dist) != name
        ]

    def owns(self, path: str, listing: Listing) -> bool:
        """The listing's distribution owns the top-level folder or module `path` is under:
        it lists an undisputed file there, or is named for it (`six` for `six.py`)."""
        top = top_level(path, listing)
        named = _distribution(listing.dist) == _distribution(top.split(".", 1)[0])
        return named or top in self.owned.get(listing.record, ())

    def vouches(self, path: str, listing: Listing) -> bool:
        """Whether `listing`, whose hash the file has, vouches for it: undisputed, or by a
        distribution owning the folder, or disputed only by distributions that do not own
        it either (which install last is unknown: `LIR-CODE-006` reports the dispute). A
        distribution that owns nothing there vouches for no owner's file."""
        disputes = self.disputes(path, listing)
        if not disputes or self.owns(path, listing):
            return True
        return not any(self.owns(path, x) for x in disputes)

    def library_of(self, path: str) -> Listing | None:
        """A listing of the library whose folder holds `path` (at any depth: a new
        `botocore/_x/` is in botocore), for a file no RECORD vouches for; None in the
        site's top folder (the handler's own files sit beside `six.py`), in a `.dist-info`
        folder and under `__pycache__` (compiled after install)."""
        folder = posixpath.dirname(path)
        if "__pycache__" in folder.split("/") or folder.endswith(".dist-info"):
            return None
        while folder:
            if folder in self.folders:
                return self.folders[folder]
            folder = posixpath.dirname(folder)
        return None


def read_installed(names: Iterable[str], read: Callable[[str], bytes | None]) -> Installed:
    """The RECORD files among a package's member `names` (`read` gives a member's bytes, or
    None when it is not safe to read)."""
    installed = Installed()
    roots: set[str] = set()
    for name in names:
        path = unpacked_path(name)
        match = RECORD.match(path)
        if match is None:
            continue
        content = read(name)
        if content is None:
            continue
        base = _site(path)
        roots.add(base.rstrip("/"))
        for entry, digest, size in _lines(content):
            file = unpacked_path(base + entry)
            if file.startswith("../") or file in ("", ".."):
                continue  # scripts pip puts beside the site (`../../bin/x`): not in the package
            listing = Listing(match.group(1), match.group(2), path, digest, size)
            installed.listings.setdefault(file, []).append(listing)
            top = file.removeprefix(base).split("/", 1)[0]
            folder = posixpath.dirname(file)
            if digest and folder != base.rstrip("/") and top not in SHARED_FOLDERS:
                installed.folders.setdefault(folder, listing)
    for folder in list(installed.folders):  # a site folder another RECORD lives in
        if folder in roots or folder.endswith(".dist-info"):
            del installed.folders[folder]
    for file, listed in installed.listings.items():
        for listing in listed:
            if listing.digest and not installed.disputes(file, listing):
                installed.owned.setdefault(listing.record, set()).add(top_level(file, listing))
    return installed


def _site(record: str) -> str:
    """The folder a RECORD's paths are relative to (where its dist-info folder is), "/"
    ended, or "" at the package's top."""
    return record.rsplit("/", 2)[0] + "/" if record.count("/") >= 2 else ""


def top_level(path: str, listing: Listing) -> str:
    """The top-level folder or module of the site that `path` is under (`requests`,
    `six.py`)."""
    return path.removeprefix(_site(listing.record)).split("/", 1)[0]


def _distribution(name: str) -> str:
    """A distribution's name as PEP 503 normalizes it: `PyJWT` and `pyjwt` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _lines(content: bytes) -> Iterable[tuple[str, str, int | None]]:
    """(path, SHA-256 digest or "", size or None) of each RECORD line (a CSV file: a path
    with a comma is quoted). Each line is read alone: an unclosed quote cannot swallow the
    lines after it, and a line the csv module refuses (a field over its limit) is skipped."""
    text = content.decode("utf-8", "replace").replace("\0", "")
    for line in text.splitlines():
        try:
            row = next(csv.reader([line]), [])
        except csv.Error:
            continue
        if not row or not row[0].strip():
            continue
        algorithm, _, digest = (row[1] if len(row) > 1 else "").partition("=")
        size = row[2].strip() if len(row) > 2 else ""
        yield (
            row[0].strip(),
            digest.strip() if algorithm.strip().lower() == ALGORITHM else "",
            int(size) if size.isdigit() else None,
        )


def line_ending_digests(data: bytes) -> Iterator[str]:
    """The RECORD-style SHA-256 of the bytes, then (asked for only when that did not match)
    of them with CRLF line endings made LF, or LF made CRLF: what git's autocrlf does to a
    committed site-packages."""
    yield record_digest(data)
    if b"\r\n" in data:
        yield record_digest(data.replace(b"\r\n", b"\n"))
    elif b"\n" in data:
        yield record_digest(data.replace(b"\n", b"\r\n"))


def record_digest(data: bytes) -> str:
    """A SHA-256 as RECORD writes it: urlsafe base64 without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
