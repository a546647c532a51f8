"""What of the libraries installed into a package is no longer what their RECORDs say.

Per package blob: its files' RECORD-style SHA-256 (`Files`), judged against the package's
`*.dist-info/RECORD` files (`capabilities.deps.Installed`), per distribution (`Library`):
files changed after install, runnable files added to a library's folders, shared libraries
`strip` made smaller, symlinks at recorded paths, and files two distributions list with other
bytes. `LIR-CODE-006` reports them; nothing is run, and a file's bytes are not kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lambda_ir.analyze.archive import Limits, Link, Member, read_members
from lambda_ir.analyze.code_files import unchecked_bytecode
from lambda_ir.analyze.values import Package
from lambda_ir.capabilities.deps import (
    MAX_RECORD,
    RECORD,
    Check,
    Installed,
    Listing,
    line_ending_digests,
    record_digest,
    top_level,
)
from lambda_ir.capabilities.elf import ElfKind, elf_kind

if TYPE_CHECKING:
    from lambda_ir.analyze.caseview import CaseView

# Files added to a library's folders that Python or the loader runs: data files added beside
# a library are not reported (a changed one is, whatever it holds: a CA bundle too).
RUNNABLE = (".py", ".pyc", ".pyw", ".so", ".pth")
STRIP_SHARE = 0.25  # `strip` leaves at least this share of a library (a smaller one is not it)


@dataclass
class Library:
    """What one installed distribution of a package no longer is."""

    listing: Listing
    changed: list[str] = field(default_factory=list)  # member names
    stripped: list[str] = field(default_factory=list)  # ELF libraries smaller than recorded
    added: list[str] = field(default_factory=list)
    grown: list[str] = field(default_factory=list)  # changed files larger than recorded
    links: dict[str, str] = field(default_factory=dict)  # member name -> its target, as held
    # files as another distribution's RECORD lists them, not as this one's: two distributions
    # install the file (its last install wins), or a RECORD was added to vouch for it
    disputed: list[str] = field(default_factory=list)
    others: dict[str, str] = field(default_factory=dict)  # member name -> whose bytes it has


@dataclass
class Files:
    """One package blob's members as this detector needs them: their RECORD-style SHA-256
    (the bytes are not kept), the RECORDs' bytes, which are ELF shared libraries, and which
    are compiled files Python runs without checking their source. The files inside its jars
    are not: nothing unpacks them where Python looks."""

    digests: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (name, digest)
    sizes: dict[str, int] = field(default_factory=dict)
    libraries: set[str] = field(default_factory=set)
    unchecked: set[str] = field(default_factory=set)
    records: dict[str, bytes] = field(default_factory=dict)  # member name -> RECORD bytes
    links: dict[str, Link] = field(default_factory=dict)  # path -> the package's symlink there

    def add(self, member: Member) -> None:
        if member.in_jar:
            return
        path = member.path
        self.digests[path] = (member.name, record_digest(member.data))
        self.sizes[path] = len(member.data)
        if member.data.startswith(b"\x7fELF") and elf_kind(member.data) is ElfKind.LIBRARY:
            self.libraries.add(path)
        if RECORD.match(path) and len(member.data) <= MAX_RECORD:
            self.records[member.name] = member.data
        if unchecked_bytecode(member):
            self.unchecked.add(path)


def judge_libraries(
    case: CaseView, installed: Installed, files: Files, package: Package
) -> list[Library]:
    """The distributions of the package with a changed or added file, by their RECORD's
    path."""
    found: dict[str, Library] = {}
    suspects: list[str] = []
    for path, (name, digest) in files.digests.items():
        if path in files.links:
            continue  # the zip holds it as a link too: judged as the link (below)
        check = installed.check(path, (digest,))
        if check is Check.CHANGED:
            suspects.append(path)
            continue
        if check is Check.AS_RECORDED:
            _judge_disputes(path, name, digest, installed, found)
        owner = installed.library_of(path.replace("/__pycache__/", "/"))
        if _added(path, check, owner, installed, files) and owner is not None:
            found.setdefault(owner.record, Library(owner)).added.append(name)
    _judge_links(installed, files, found)
    if suspects:  # the raw bytes differ: read them again for their line-ending digests
        changed = set(suspects) - _same_but_line_endings(case, package, installed, suspects)
        _judge_changed([path for path in suspects if path in changed], installed, files, found)
    return sorted(found.values(), key=lambda lib: lib.listing.record)


def _added(
    path: str, check: Check, owner: Listing | None, installed: Installed, files: Files
) -> bool:
    """A runnable file in a library's folder that no RECORD vouches for. Bytecode beside a
    recorded source (`compileall -b`) is vouched for only while that source is there as
    recorded (without it Python imports the bytecode); a hash-based .pyc in `__pycache__`
    that Python never checks against its source runs whatever it holds."""
    if check is Check.UNKNOWN and owner is not None and path.endswith(".pyc"):
        cached = "/__pycache__/" in f"/{path}"
        if path in files.unchecked if cached else not _intact(path[:-1], installed, files):
            check = Check.ADDED
    return check is Check.ADDED and _runnable(path, files)


def _judge_links(installed: Installed, files: Files, found: dict[str, Library]) -> None:
    """The package's symlinks, which unzip makes and Python follows: one at a recorded path
    is as recorded only when it leads to a file of the package holding the recorded bytes
    (a build that links duplicate files), else it is a changed file, whatever it leads to
    (another file of the library, one out of the package, nothing); one at a runnable name
    in a library's folder that no RECORD lists is added to the library."""
    folders = _recorded_folders(installed) if files.links else {}
    for path, link in files.links.items():
        if inside := folders.get(path):  # a link standing for a folder of recorded files
            found.setdefault(inside.record, Library(inside)).changed.append(link.name)
            found[inside.record].links[link.name] = link.target
            continue
        target = files.digests.get(link.target_path)
        check = installed.check(path, (target[1],) if target else ())
        owner = installed.library_of(path)
        if check is Check.CHANGED:
            library = _owner(path, link.name, target[1] if target else "", installed, found)
            library.changed.append(link.name)
        elif check is Check.ADDED and owner is not None:
            if not path.endswith(RUNNABLE) and link.target_path not in files.libraries:
                continue
            library = found.setdefault(owner.record, Library(owner))
            library.added.append(link.name)
        else:
            continue
        library.links[link.name] = link.target


def _recorded_folders(installed: Installed) -> dict[str, Listing]:
    """Each folder holding a recorded file (at any depth), with a listing of one: a link at
    such a folder replaces it whole (`requests` -> `evil/`, with requests' RECORD kept).
    Made once for all the package's links (a hostile zip holds thousands)."""
    folders: dict[str, Listing] = {}
    for listed, listings in installed.listings.items():
        hashed = next((x for x in listings if x.digest), None)
        folder = listed.rpartition("/")[0]
        while hashed is not None and folder and folder not in folders:
            folders[folder] = hashed
            folder = folder.rpartition("/")[0]
    return folders


def _judge_changed(
    paths: list[str], installed: Installed, files: Files, found: dict[str, Library]
) -> None:
    """Files whose bytes differ from every listing, line endings aside: changed, or what
    `strip` makes of a shared library (smaller than recorded, by at most three quarters)."""
    for path in paths:
        name, digest = files.digests[path]
        library = _owner(path, name, digest, installed, found)
        sizes = [x.size for x in installed.listings[path] if x.size is not None]
        size = files.sizes[path]
        stripped = path in files.libraries and bool(sizes) and size < min(sizes)
        if stripped and size >= STRIP_SHARE * min(sizes):
            library.stripped.append(name)
            continue
        library.changed.append(name)
        if not sizes or size > max(sizes):
            library.grown.append(name)


def _judge_disputes(
    path: str, name: str, digest: str, installed: Installed, found: dict[str, Library]
) -> None:
    """A file as one distribution recorded it, that another lists with other bytes: in the
    other's library, as a dispute (both install into its folder, or neither does: which
    install came last is not known)."""
    vouching = [x for x in installed.listings[path] if x.digest == digest]
    for other in installed.disputes(path, vouching[0]):
        library = found.setdefault(other.record, Library(other))
        library.disputed.append(name)
        library.others[name] = f"as {_distribution(vouching[0])} recorded it"


def _owner(
    path: str, name: str, digest: str, installed: Installed, found: dict[str, Library]
) -> Library:
    """The library a changed file is reported in: the distribution owning its folder, when
    the file has the bytes only a distribution that installs nothing else there lists
    (said in `others`); else its first listing's."""
    listed = installed.listings[path]
    vouching = next((x for x in listed if digest and x.digest == digest), None)
    owners = [] if vouching is None else installed.disputes(path, vouching)
    listing = next((x for x in owners if installed.owns(path, x)), listed[0])
    library = found.setdefault(listing.record, Library(listing))
    if vouching is not None:
        top = top_level(path, vouching)
        library.others[name] = (
            f"as only {_distribution(vouching)} recorded it, a distribution that owns nothing "
            f"under {top}"
        )
    return library


def _distribution(listing: Listing) -> str:
    return f"{listing.dist} {listing.version} in {listing.record}"


def _intact(source: str, installed: Installed, files: Files) -> bool:
    """The recorded source is in the package with its recorded bytes."""
    found = files.digests.get(source)
    return found is not None and installed.check(source, (found[1],)) is Check.AS_RECORDED


def _runnable(path: str, files: Files) -> bool:
    """A file Python imports or the loader maps: by its name, or an ELF file by its bytes."""
    return path.endswith(RUNNABLE) or path in files.libraries


def _same_but_line_endings(
    case: CaseView, package: Package, installed: Installed, suspects: list[str]
) -> set[str]:
    """Of the `suspects` (raw bytes unlike their RECORD), those whose bytes match once line
    endings are changed: the package is read again for them only (rare: a mismatch). A
    path the zip holds twice is judged by its last copy, the one hashed first and the one
    unzip leaves."""
    wanted, last, same = set(suspects), dict[str, bytes](), set[str]()
    try:
        data = case.read_bytes(package.blob, Limits().max_package)
    except (OSError, ValueError):
        return same
    for member in read_members(data):
        if member.path in wanted:
            last[member.path] = member.data
    for path, content in last.items():
        digests = list(line_ending_digests(content))[1:]
        if installed.check(path, digests) is Check.AS_RECORDED:
            same.add(path)
    return same
