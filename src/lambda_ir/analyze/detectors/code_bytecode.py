"""LIR-CODE-007: compiled Python that runs in place of the function's own source, unchecked.

Python imports `pkg/mod.py` from `pkg/__pycache__/mod.cpython-312.pyc` when its header says
the bytecode is current. A hash-based `.pyc` whose flags leave `check_source` off (PEP 552;
`compileall --invalidation-mode unchecked-hash` writes it) is never compared with the source:
whatever it holds runs, and the `.py` beside it, the file a review of the handler reads, does
not. In an installed library's folder `LIR-CODE-006` reports it (a file added to the
library); this reports the rest: the function's own folders, a layer's own modules, and
bytecode beside a source at a site's top. A `.pyc` in `__pycache__` without its source is
left out (Python reads `__pycache__` only for a source it finds); a handler's module shipped
as `app.pyc` with no `app.py`, which Python imports in its place, is reported apart: the
entry point has no source to review. Bytecode is never loaded or decoded here.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_blobs, owner_location, unchecked_bytecode
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.values import Package
from lambda_ir.analyze.vendors import LayerKind, package_publisher
from lambda_ir.capabilities.deps import MAX_RECORD, RECORD, read_installed
from lambda_ir.model import EvidenceRef, Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CODE-007",
    title="Compiled Python runs in place of its source without checking it",
    severity=Severity.MEDIUM,
    attack=("T1554", "T1027"),
    evidence=(Kind.CODE, Kind.LAYER_CODE),
    references=(
        "https://peps.python.org/pep-0552/",
        "https://docs.python.org/3/library/compileall.html",
    ),
    false_positives=(
        "A build that compiles the function's code with `compileall --invalidation-mode "
        "unchecked-hash` on purpose (MEDIUM: confirm with the team, and compare the bytecode "
        "with its source); a known vendor's layer from its own account is INFO. A build that "
        "ships its handler compiled only (`app.pyc`, no `app.py`) to hide its source."
    ),
)
SHOWN = 5  # files a summary names; details list them all


def detect(case: CaseView) -> Iterator[Finding]:
    """Per package: its unchecked-hash `.pyc` files in `__pycache__` beside their source,
    outside installed libraries' folders."""
    handlers = {config.ref.arn: config.handler for config in case.functions}
    for packages, members, _ in iter_blobs(case):
        sources: set[str] = set()
        compiled: dict[str, str] = {}  # every .pyc where it unpacks -> as the zip names it
        unchecked: list[tuple[str, str]] = []  # (the source it stands in for, the .pyc)
        records: dict[str, bytes] = {}
        for member in members:
            path = member.path
            if member.in_jar:
                continue
            if path.endswith(".py"):
                sources.add(path)
            elif unchecked_bytecode(member) and (source := cached_source(path)):
                unchecked.append((source, member.name))
            elif RECORD.match(path) and len(member.data) <= MAX_RECORD:
                records[member.name] = member.data
            if path.endswith(".pyc"):
                compiled[path] = member.name
        installed = read_installed(records, records.get)
        found = [
            name
            for source, name in sorted(unchecked)
            if source in sources and installed.library_of(source) is None
        ]
        if found:
            yield from (_finding(case, package, found) for package in packages)
        for package in packages:
            if bare := _bare_handlers(package, handlers, sources, compiled):
                yield _sourceless(case, package, bare)


def cached_source(path: str) -> str:
    """The source a `__pycache__` file is compiled from (`pkg/__pycache__/mod.cpython-312.pyc`
    is `pkg/mod.py`: a module name has no dot), or "" for a file elsewhere."""
    folder, name = posixpath.split(path)
    if posixpath.basename(folder) != "__pycache__":
        return ""
    return posixpath.join(posixpath.dirname(folder), name.split(".", 1)[0] + ".py")


def _bare_handlers(
    package: Package, handlers: dict[str, str], sources: set[str], compiled: dict[str, str]
) -> list[tuple[str, str]]:
    """(handler, the .pyc it runs from) for each Python handler of the package's functions
    whose module the package holds only compiled, `app.pyc` beside no `app.py`: Python
    imports such a file in place of a missing source, so the function's entry point has no
    source in the package to review."""
    if package.kind != "code":
        return []
    found = []
    for owner in package.owners:
        handler = handlers.get(owner, "")
        module, dot, _ = handler.rpartition(".")
        if not dot or not module:
            continue
        path = module.replace(".", "/")  # `src/app.handler` too: the runtime reads it as `src.app`
        if f"{path}.py" not in sources and f"{path}.pyc" in compiled:
            found.append((handler, compiled[f"{path}.pyc"]))
    return sorted(set(found))


def _sourceless(case: CaseView, package: Package, bare: list[tuple[str, str]]) -> Finding:
    account, region = owner_location(package.owner)
    named = ", ".join(f"{handler} ({name})" for handler, name in bare)
    return make_finding(
        INFO,
        resource=package.owner,
        account=account,
        region=region,
        key=f"{package.key}|sourceless",
        evidence=[EvidenceRef(package.blob.path, package.blob.sha256, member=n) for _, n in bare],
        title="The handler runs from compiled Python with no source",
        summary=(
            f"In the code package of {package.owner}, the handler runs from bytecode with no "
            f"source beside it: {named}. Python imports a module's .pyc where its .py is "
            "missing, so nothing in the package shows what the entry point does; decompile "
            "it, or ask the team for the source it was built from."
        ),
        details={"handlers": [h for h, _ in bare], "files": [n for _, n in bare]},
    )


def compiled_for(name: str) -> str:
    """The runtime a `__pycache__` file is for (`mod.cpython-312.pyc` is python3.12), "" when
    its name says none Lambda runs."""
    found = _TAG.search(posixpath.basename(name))
    return f"python{found.group(1)}.{found.group(2)}" if found else ""


# `mod.cpython-312.pyc`, and `mod.cpython-312.opt-1.pyc` (under -O or PYTHONOPTIMIZE)
_TAG = re.compile(r"\.cpython-(3)(\d+)(?:\.opt-\d)?\.pyc$")


def _idle(package: Package, found: list[str]) -> str:
    """Why none of `found` is imported by the functions running the package now (compiled for
    another Python than theirs), "" when one may be (or the runtimes are not known)."""
    runtimes = {r for r in package.runtimes if r}
    versions = {compiled_for(name) for name in found}
    if not runtimes or not all(versions) or versions & runtimes:
        return ""
    return (
        f"compiled for {', '.join(sorted(versions))}, which none of the functions running it "
        f"use ({', '.join(sorted(runtimes))}): not imported now, but would be on that version"
    )


def _finding(case: CaseView, package: Package, found: list[str]) -> Finding:
    account, region = owner_location(package.owner)
    publisher = package_publisher(case.vendors, package.layer, account)
    severity = Severity.MEDIUM
    idle = _idle(package, found)
    if idle:
        severity = Severity.LOW
    if publisher is not None:
        severity = Severity.HIGH if publisher.kind is LayerKind.LOOKALIKE else Severity.INFO
    shown = ", ".join(found[:SHOWN]) + (f" and {len(found) - SHOWN} more" if found[SHOWN:] else "")
    one = len(found) == 1
    files = "file runs in place of its source" if one else "files run in place of their sources"
    return make_finding(
        INFO,
        resource=package.owner,
        account=account,
        region=region,
        severity=severity,
        key=package.key,
        evidence=[EvidenceRef(package.blob.path, package.blob.sha256, member=m) for m in found],
        summary=(
            f"In the {package.kind} package of {package.owner}, {len(found)} compiled Python "
            f"{files}, unchecked ({shown}): a hash-based .pyc with check_source off "
            "(PEP 552) is imported whatever the .py beside it says, so that source is not "
            "what runs"
            + (f"; {idle}" if idle else "")
            + (f"; in a layer {publisher.describe()}" if publisher else "")
            + ". Recompile the source and compare, or decompile the bytecode, before trusting "
            "a review of the source."
        ),
        details={"files": found, "used_by": list(package.owners)}
        | ({"not_imported_now": idle} if idle else {}),
    )


DETECTOR = Detector(INFO, detect)
