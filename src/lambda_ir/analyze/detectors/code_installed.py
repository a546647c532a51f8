"""LIR-CODE-006: an installed library's file changed after install, or a file added to it.

pip, uv and poetry list every file they install into a package in the distribution's
`*.dist-info/RECORD`, each with its SHA-256 (`capabilities.deps`). A responder reads the
handler; a backdoor in `requests/sessions.py`, `botocore/credentials.py` (whose AWS calls and
credential reads are by design, so capability rows leave them out) or a CA bundle added to
`certifi/cacert.pem` is where it hides, and the RECORD beside it still holds the published
bytes' hashes. Line endings alone never count. Build steps that rewrite installed files are
told apart where they can be: a shared library smaller than recorded (by at most three
quarters) is what `strip` makes (LOW), and a package nearly all of whose recorded files differ,
none grown, was rewritten whole by a build step (a minifier, a converter: LOW, listed).
Bytecode Python would run in place of a recorded source (the source gone, or an
unchecked-hash `.pyc` in `__pycache__`) counts as a file added to the library. A recorded
file shipped as a symlink (which unzip makes and Python follows) is changed unless it leads
to a file of the package holding the recorded bytes. A recorded file missing from the
package is not reported: builds delete files to slim a package, and a missing module runs
nothing; what runs in its place (bytecode, an added module or library) is. An attacker who
rewrites the RECORD too is not caught here: the RECORD is the package's word, not the
published release's.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from lambda_ir.analyze.archive import Limits, Link, Member, read_members
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_files, owner_location
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.values import Package
from lambda_ir.analyze.vendors import LayerKind, package_publisher
from lambda_ir.capabilities.deps import (
    MAX_RECORD,
    RECORD,
    Check,
    Installed,
    Listing,
    line_ending_digests,
    read_installed,
    record_digest,
)
from lambda_ir.capabilities.elf import ElfKind, elf_kind
from lambda_ir.model import EvidenceRef, Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CODE-006",
    title="Installed library changed after install",
    severity=Severity.HIGH,
    attack=("T1195.001", "T1554"),
    evidence=(Kind.CODE, Kind.LAYER_CODE),
    references=(
        "https://packaging.python.org/en/latest/specifications/recording-installed-packages/",
        "https://attack.mitre.org/techniques/T1195/001/",
    ),
    false_positives=(
        "Build steps that rewrite installed files: `strip` of shared libraries (LOW), a "
        "minifier or converter run over the whole package (LOW when nine tenths of the "
        "recorded files differ and none grew), a patch a team applies to a library on "
        "purpose (HIGH: confirm with the team and diff against the published release). A "
        "known vendor's layer from its own account is INFO."
    ),
)
# Files added to a library's folders that Python or the loader runs: data files added beside
# a library are not reported (a changed one is, whatever it holds: a CA bundle too).
RUNNABLE = (".py", ".pyc", ".pyw", ".so", ".pth")
SHOWN = 5  # files a summary names; details list them all
REWRITE_SHARE = 0.9  # at least this share of a package's recorded files changed ...
REWRITE_FILES = 20  # ... and at least this many, none grown: a build step rewrote the package
STRIP_SHARE = 0.25  # `strip` leaves at least this share of a library (a smaller one is not it)
UNCHECKED_PYC = 0b01  # a hash-based .pyc whose source Python never checks (PEP 552 flags)


@dataclass
class Library:
    """What one installed distribution of a package no longer is."""

    listing: Listing
    changed: list[str] = field(default_factory=list)  # member names
    stripped: list[str] = field(default_factory=list)  # ELF libraries smaller than recorded
    added: list[str] = field(default_factory=list)
    grown: list[str] = field(default_factory=list)  # changed files larger than recorded
    links: dict[str, str] = field(default_factory=dict)  # member name -> its target, as held


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
        if path.endswith(".pyc") and member.data[4:8] == UNCHECKED_PYC.to_bytes(4, "little"):
            self.unchecked.add(path)


def detect(case: CaseView) -> Iterator[Finding]:
    """Per package and installed distribution: its files whose bytes differ from its RECORD,
    and runnable files added to its folders."""
    by_blob = itertools.groupby(iter_files(case), key=lambda found: found[0].blob.path)
    for _, found in by_blob:
        files, packages, links = Files(), dict[str, Package](), list[Link]()
        for package, member, read in found:  # each member once for every package of the blob
            packages.setdefault(package.key, package)
            if package.key == next(iter(packages)):  # the blob's first package: once each
                files.add(member)
            links = read.links  # the blob's symlinks, all of them once its read is over
        files.links = {link.path: link for link in links}
        if not files.records:
            continue
        installed = read_installed(files.records, files.records.get)
        libraries = _libraries(case, installed, files, next(iter(packages.values())))
        rewritten = _rewritten(installed, libraries)
        for package in packages.values():
            for library in libraries:
                yield _finding(case, package, library, rewritten)


def _libraries(
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
    for path, link in files.links.items():
        target = files.digests.get(link.target_path)
        check = installed.check(path, (target[1],) if target else ())
        owner = installed.library_of(path)
        if check is Check.CHANGED:
            listing = installed.listings[path][0]
            library = found.setdefault(listing.record, Library(listing))
            library.changed.append(link.name)
        elif check is Check.ADDED and owner is not None:
            if not path.endswith(RUNNABLE) and link.target_path not in files.libraries:
                continue
            library = found.setdefault(owner.record, Library(owner))
            library.added.append(link.name)
        else:
            continue
        library.links[link.name] = link.target


def _judge_changed(
    paths: list[str], installed: Installed, files: Files, found: dict[str, Library]
) -> None:
    """Files whose bytes differ from every listing, line endings aside: changed, or what
    `strip` makes of a shared library (smaller than recorded, by at most three quarters)."""
    for path in paths:
        listing = installed.listings[path][0]
        library = found.setdefault(listing.record, Library(listing))
        name = files.digests[path][0]
        sizes = [x.size for x in installed.listings[path] if x.size is not None]
        size = files.sizes[path]
        stripped = path in files.libraries and bool(sizes) and size < min(sizes)
        if stripped and size >= STRIP_SHARE * min(sizes):
            library.stripped.append(name)
            continue
        library.changed.append(name)
        if not sizes or size > max(sizes):
            library.grown.append(name)


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


def _rewritten(installed: Installed, libraries: list[Library]) -> bool:
    """Nearly all of the package's recorded files differ: a build step rewrote them all."""
    hashed = sum(1 for listed in installed.listings.values() if any(x.digest for x in listed))
    changed = sum(len(lib.changed) + len(lib.stripped) for lib in libraries)
    return changed >= REWRITE_FILES and changed >= hashed * REWRITE_SHARE


def _finding(case: CaseView, package: Package, library: Library, rewritten: bool) -> Finding:
    listing = library.listing
    account, region = owner_location(package.owner)
    publisher = package_publisher(case.vendors, package.layer, account)
    linked = [name for name in library.changed if name in library.links]
    if library.changed and (not rewritten or library.grown or linked):
        severity, why = Severity.HIGH, "changed after install"
    elif library.added:
        severity, why = Severity.MEDIUM, "added to the library after install"
    elif library.changed:
        severity, why = Severity.LOW, "most of the package's recorded files differ: a build step"
        why += " (a minifier, a converter) rewrote them"
    else:
        severity, why = Severity.LOW, "shared libraries smaller than recorded: what `strip` makes"
    if publisher is not None and publisher.kind is LayerKind.LOOKALIKE:
        severity = Severity.HIGH
    elif publisher is not None:
        severity = Severity.INFO  # the vendor's own build, from its own account
    parts = [
        f"{len(files)} {singular if len(files) == 1 else plural} ({_names(files, library)})"
        for files, singular, plural in (
            (library.changed, "file differs from", "files differ from"),
            (
                library.stripped,
                "shared library is smaller than",
                "shared libraries are smaller than",
            ),
            (library.added, "runnable file is not in", "runnable files are not in"),
        )
        if files
    ]
    members = [*library.changed, *library.added, *library.stripped]
    return make_finding(
        INFO,
        resource=package.owner,
        account=account,
        region=region,
        severity=severity,
        key=f"{package.key}|{listing.record}",
        evidence=[EvidenceRef(package.blob.path, package.blob.sha256, member=m) for m in members],
        summary=(
            f"{listing.dist} {listing.version} in {package.owner}: "
            + "; ".join(parts)
            + f" what its installer recorded ({listing.record}): {why}"
            + (f", in a layer {publisher.describe()}" if publisher else "")
            + f". Compare them with the published {listing.dist} {listing.version} "
            "(`pip download` it) before trusting the package."
        ),
        details={
            "distribution": listing.dist,
            "version": listing.version,
            "record": listing.record,
            "changed": library.changed,
            "stripped": library.stripped,
            "added": library.added,
            "grown": library.grown,
            "links": library.links,
            "used_by": list(package.owners),
        },
    )


def _names(files: list[str], library: Library) -> str:
    shown = ", ".join(_name(name, library) for name in files[:SHOWN])
    return shown + (f" and {len(files) - SHOWN} more" if len(files) > SHOWN else "")


def _name(name: str, library: Library) -> str:
    """A file as a summary names it: a link with its target, as the zip holds it (quoted,
    cut at 200 characters: the package's words)."""
    if name not in library.links:
        return name
    target = library.links[name]
    return f"{name}, a link to {target[:200]!r}" if target else f"{name}, a link"


DETECTOR = Detector(INFO, detect)
