"""LIR-CODE-002: a native executable shipped in a package run by an interpreted runtime.

Denonia was a Go ELF named `python` in a Lambda zip. Shared libraries (`.so`) of native
extensions are normal; an ELF executable is not, for a Python, Node.js, Ruby or Java function.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_files, member_finding, owner_location
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.vendors import LayerKind, package_publisher
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
        "agent binaries in their own layers (INFO, vendors.json)."
    ),
)
INTERPRETED = ("python", "nodejs", "ruby", "java", "dotnet")
# Names that pretend to be the interpreter: the Denonia trick.
DECOYS = frozenset({"python", "python3", "node", "ruby", "java", "bootstrap", "handler"})


def _is_library(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return ".so" in base or base.endswith((".node", ".o", ".a"))


def detect(case: CaseView) -> Iterator[Finding]:
    """ELF files that are not shared libraries, in packages only interpreted runtimes run."""
    for package, member, _ in iter_files(case):
        if not member.data.startswith(b"\x7fELF") or _is_library(member.name):
            continue
        if not package.runtimes or not all(r.startswith(INTERPRETED) for r in package.runtimes):
            continue
        base = member.name.rsplit("/", 1)[-1]
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
                f"{member.name} in {package.owner} ({', '.join(package.runtimes)}) is a native "
                "executable"
                + (" named like an interpreter" if decoy else "")
                + (f", in a layer {publisher.describe()}" if publisher else "")
                + "; find what launches it and hash it against threat intelligence."
            ),
            details={
                "member": member.name,
                "runtimes": list(package.runtimes),
                "used_by": list(package.owners),
            },
        )


DETECTOR = Detector(INFO, detect)
