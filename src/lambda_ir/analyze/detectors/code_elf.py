"""LIR-CODE-002: a native executable shipped in a package run by an interpreted runtime.

Denonia was a Go ELF named `python` in a Lambda zip. Shared libraries of native extensions
are normal; an ELF executable is not, for a Python, Node.js, Ruby or Java function. Which one
a file is comes from its ELF header (`capabilities.elf`), never its name: a static executable
named `libcrypto.so.3` is an executable. A header that cannot be read is reported too: no
loader would take it for a library either.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_files, member_finding, owner_location, shown
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.vendors import LayerKind, package_publisher
from lambda_ir.capabilities.elf import RUNNABLE, ElfKind, elf_kind
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CODE-002",
    title="Native executable in an interpreted-runtime package",
    severity=Severity.LOW,
    attack=("T1036.005", "T1204.003"),
    evidence=(Kind.CODE, Kind.LAYER_CODE),
    references=(
        "https://www.cadosecurity.com/cado-discovers-denonia-the-first-malware-specifically-targeting-lambda/",
    ),
    false_positives=(
        "Bundled CLI tools (ffmpeg, wkhtmltopdf, chromium) that functions call; known vendors' "
        "agent binaries in their own layers (INFO, vendors.json); the few shared libraries "
        "also built to run as programs (glibc's libc.so.6, libcap) name an interpreter and "
        "read as executables."
    ),
)
INTERPRETED = ("python", "nodejs", "ruby", "java", "dotnet")
# Names that pretend to be the interpreter: the Denonia trick.
DECOYS = frozenset({"python", "python3", "node", "ruby", "java", "bootstrap", "handler"})


def native_executable(data: bytes) -> ElfKind | None:
    """What an ELF file a loader may start as a program is built as, its header unreadable
    included (a library no loader takes it for); None for libraries, objects, core dumps and
    anything not ELF."""
    if not data.startswith(b"\x7fELF"):
        return None
    kind = elf_kind(data)
    return kind if kind in RUNNABLE or kind is ElfKind.UNREADABLE else None


def detect(case: CaseView) -> Iterator[Finding]:
    """ELF files built as executables (or whose header cannot be read), in packages only
    interpreted runtimes run; shared libraries, objects and core dumps are not reported."""
    for package, member, _ in iter_files(case):
        kind = native_executable(member.data)
        if kind is None:
            continue
        if not package.runtimes or not all(r.startswith(INTERPRETED) for r in package.runtimes):
            continue
        base = member.path.rsplit("/", 1)[-1]
        decoy = base in DECOYS
        account, _ = owner_location(package.owner)
        publisher = package_publisher(case.vendors, package.layer, account)
        severity = Severity.HIGH if decoy else Severity.LOW
        if publisher is not None and publisher.kind is LayerKind.LOOKALIKE:
            severity = Severity.HIGH
        elif publisher is not None and not decoy:
            severity = Severity.INFO  # a known vendor's agent binary, from its own account
        yield member_finding(
            INFO,
            package,
            member,
            severity=severity,
            summary=(
                f"{shown(member)} in {package.owner} ({', '.join(package.runtimes)}) is a native "
                + ("executable" if kind is ElfKind.EXECUTABLE else kind.value)
                + (" named like an interpreter" if decoy else "")
                + (f", in a layer {publisher.describe()}" if publisher else "")
                + "; find what launches it and hash it against threat intelligence."
            ),
            details={
                "member": member.name,
                "elf": kind.value,
                "runtimes": list(package.runtimes),
                "used_by": list(package.owners),
            },
        )


DETECTOR = Detector(INFO, detect)
