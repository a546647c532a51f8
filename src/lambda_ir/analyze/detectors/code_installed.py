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
Bytecode Python would run in place of a recorded source (the source gone, or an unchecked-hash
`.pyc` in `__pycache__`) counts as a file added to the library (outside a library's folder
`LIR-CODE-007` reports such bytecode); read as `LIR-CODE-007` reads it, `__pycache__` bytecode
no function running the package reads now (compiled for another Python, or an `.opt-1.pyc`
without `PYTHONOPTIMIZE=1`) is said to be so, and LOW when nothing else was added. A recorded
file shipped as a symlink (which unzip makes and Python follows) is changed unless it leads to
a file of the package holding the recorded bytes. Two distributions listing one path with
other bytes is a dispute: a file only a distribution that owns nothing under its top-level
folder lists as it is (a RECORD planted to vouch for a backdoor) is changed, HIGH, in the
library that owns the folder; any other such file is another distribution's (MEDIUM, in the
library whose listing it is not). A recorded
file missing from the package is not reported: builds delete files to slim a package, and a
missing module runs nothing; what runs in its place (bytecode, an added module or library) is.
An attacker who rewrites the RECORD too is not caught here: the RECORD is the package's word,
not the published release's.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_blobs, owner_location
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.installed_files import Files, Library, judge_libraries
from lambda_ir.analyze.python_imports import cached_source, unread_now
from lambda_ir.analyze.values import Package
from lambda_ir.analyze.vendors import LayerKind, package_publisher
from lambda_ir.capabilities.deps import Installed, read_installed
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
        "purpose (HIGH: confirm with the team and diff against the published release). "
        "Two distributions installing the same files with other bytes (a namespace "
        "package's `__init__.py` written differently, opencv-python beside "
        "opencv-python-headless, jwt beside PyJWT) are MEDIUM: the last install's bytes "
        "stand. A known vendor's layer from its own account is INFO."
    ),
)
SHOWN = 5  # files a summary names; details list them all
REWRITE_SHARE = 0.9  # at least this share of a package's recorded files changed ...
REWRITE_FILES = 20  # ... and at least this many, none grown: a build step rewrote the package


def detect(case: CaseView) -> Iterator[Finding]:
    """Per package and installed distribution: its files whose bytes differ from its RECORD,
    and runnable files added to its folders."""
    for packages, members, read in iter_blobs(case):
        files = Files()
        for member in members:
            files.add(member)
        files.links = {link.path: link for link in read.links}  # all of them: the read is over
        if not files.records:
            continue
        installed = read_installed(files.records, files.records.get)
        libraries = judge_libraries(case, installed, files, packages[0])
        rewritten = _rewritten(installed, libraries)
        for package in packages:
            for library in libraries:
                yield _finding(case, package, library, rewritten)


def _rewritten(installed: Installed, libraries: list[Library]) -> bool:
    """Nearly all of the package's recorded files differ: a build step rewrote them all."""
    hashed = sum(1 for listed in installed.listings.values() if any(x.digest for x in listed))
    changed = sum(len(lib.changed) + len(lib.stripped) for lib in libraries)
    return changed >= REWRITE_FILES and changed >= hashed * REWRITE_SHARE


def _finding(case: CaseView, package: Package, library: Library, rewritten: bool) -> Finding:
    listing = library.listing
    account, region = owner_location(package.owner)
    publisher = package_publisher(case.vendors, package.layer, account)
    idle = _idle(case, package, library)
    idle_only = bool(idle) and all(cached_source(name) for name in library.added)
    severity, why = _severity(library, rewritten, idle_only)
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
            (
                library.disputed,
                "file holds another distribution's bytes, not",
                "files hold another distribution's bytes, not",
            ),
        )
        if files
    ]
    members = [*library.changed, *library.added, *library.stripped, *library.disputed]
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
            + (f"; the bytecode added to __pycache__ {idle}" if idle else "")
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
            "disputed": library.disputed,
            "others": library.others,
            "used_by": list(package.owners),
        }
        | ({"not_imported_now": idle} if idle else {}),
    )


def _idle(case: CaseView, package: Package, library: Library) -> str:
    """Why none of the unchecked bytecode added to the library's `__pycache__` is read by
    the functions running the package now, "" when one may be (`python_imports.unread_now`,
    as `LIR-CODE-007` reads it: Python reads only the cache file named for its version and
    its `-O` level, `.opt-1.pyc` only under `PYTHONOPTIMIZE=1`)."""
    cached = [name for name in library.added if cached_source(name)]
    if not cached:
        return ""
    configs = {config.ref.arn: config for config in case.functions}
    return unread_now(package, cached, configs)


def _severity(library: Library, rewritten: bool, idle_only: bool) -> tuple[Severity, str]:
    """HIGH for a changed file, unless a build step rewrote the package (LOW) and the file
    neither grew, nor is a link, nor has bytes only a distribution that owns nothing in its
    folder lists; MEDIUM for an added file or another distribution's bytes; LOW when all
    that was added is bytecode none of the package's functions reads now (`idle_only`)."""
    kept = [name for name in library.changed if name in library.links or name in library.others]
    if library.changed and (not rewritten or library.grown or kept):
        return Severity.HIGH, "changed after install"
    if library.added and not idle_only:
        return Severity.MEDIUM, "added to the library after install"
    if library.disputed:
        return Severity.MEDIUM, (
            "another distribution's RECORD lists these bytes: two distributions install the "
            "file (a namespace package, two builds of one library), or a RECORD was added to "
            "vouch for a changed file"
        )
    if library.added:
        return Severity.LOW, "added to the library after install, read by no function now"
    if library.changed:
        return Severity.LOW, (
            "most of the package's recorded files differ: a build step (a minifier, a "
            "converter) rewrote them"
        )
    return Severity.LOW, "shared libraries smaller than recorded: what `strip` makes"


def _names(files: list[str], library: Library) -> str:
    shown = ", ".join(_name(name, library) for name in files[:SHOWN])
    return shown + (f" and {len(files) - SHOWN} more" if len(files) > SHOWN else "")


def _name(name: str, library: Library) -> str:
    """A file as a summary names it: a link with its target, as the zip holds it (quoted,
    cut at 200 characters: the package's words), and whose RECORD lists its bytes when that
    is another distribution's."""
    shown = name
    if name in library.links:
        target = library.links[name]
        shown += f", a link to {target[:200]!r}" if target else ", a link"
    if name in library.others:
        shown += f", {library.others[name]}"
    return shown


DETECTOR = Detector(INFO, detect)
