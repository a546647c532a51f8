"""LIR-CODE-007: compiled Python that runs in place of the function's own source, unchecked.

Python imports `pkg/mod.py` from `pkg/__pycache__/mod.cpython-312.pyc` when its header says
the bytecode is current. A hash-based `.pyc` whose flags leave `check_source` off (PEP 552;
`compileall --invalidation-mode unchecked-hash` writes it) is never compared with the source:
whatever it holds runs, and the `.py` beside it, the file a review of the handler reads, does
not. In an installed library's folder `LIR-CODE-006` reports it (a file added to the
library); this reports the rest: the function's own folders, a layer's own modules, and
bytecode beside a source at a site's top. Python reads only the cache file for its `-O`
level (`.opt-1.pyc` under `PYTHONOPTIMIZE=1`, the plain one without), and for its version:
one no function running the package reads now is LOW. A `.pyc` in `__pycache__` without
its source is left out (Python reads `__pycache__` only for a source it finds). A legacy
`.pyc` where a `.py` would be, with no `.py` there, Python imports in its place
(`analyze.python_imports`):
a handler's module so shipped (`app.pyc`, no `app.py`) is reported apart, the entry point
has no source to review; so is any other such module on the module path outside installed
libraries' folders (`helpers.pyc`, `pkg/__init__.pyc`), which the handler can import with
nothing to read, LOW when none of them carries the magic number of a Python running the
package (`python_imports.MAGIC_NUMBERS`: CPython refuses it, ImportError: bad magic number).
Bytecode is never loaded or decoded here; only its first four bytes are read.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_blobs, owner_location, unchecked_bytecode
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.python_imports import (
    cached_source,
    refused_by,
    runs_python,
    sourceless_modules,
    unread_now,
)
from lambda_ir.analyze.values import FunctionConfig, Package
from lambda_ir.analyze.vendors import LayerKind, LayerMatch, package_publisher
from lambda_ir.capabilities.deps import MAX_RECORD, RECORD, Installed, read_installed
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
        "ships its handler compiled only (`app.pyc`, no `app.py`), or its own modules "
        "(`helpers.pyc`), to hide its source; a library's compiled-only modules its RECORD "
        "lists are quiet."
    ),
)
SHOWN = 5  # files a summary names; details list them all


def detect(case: CaseView) -> Iterator[Finding]:
    """Per package: its unchecked-hash `.pyc` files in `__pycache__` beside their source,
    outside installed libraries' folders; its handler's module, and any other module on the
    module path outside them, shipped as a `.pyc` with no source."""
    configs = {config.ref.arn: config for config in case.functions}
    handlers = {arn: config.handler for arn, config in configs.items()}
    for packages, members, _ in iter_blobs(case):
        sources: set[str] = set()
        compiled: dict[str, str] = {}  # every .pyc where it unpacks -> as the zip names it
        headers: dict[str, bytes] = {}  # every .pyc as the zip names it -> its magic number
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
                headers[member.name] = member.data[:4]
        installed = read_installed(records, records.get)
        found = [
            name
            for source, name in sorted(unchecked)
            if source in sources and installed.library_of(source) is None
        ]
        if found:
            yield from (_finding(case, package, found, configs) for package in packages)
        owned = partial(_owned, installed)
        for package in packages:
            if bare := _bare_handlers(package, handlers, sources, compiled):
                yield _sourceless(case, package, bare)
            if not runs_python(package):
                continue
            loose = sourceless_modules(package.kind, compiled, sources, owned, package.runtimes)
            if loose := [(m, n) for m, n in loose if n not in {name for _, name in bare}]:
                yield _loose(case, package, loose, headers)


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


def _owned(installed: Installed, path: str) -> bool:
    """A file of an installed library, which `LIR-CODE-006` judges: a RECORD lists it with
    its hash (a vendor shipping compiled modules only), or it is in a library's folder."""
    listed = any(x.digest for x in installed.listings.get(path, ()))
    return listed or installed.library_of(path) is not None


def _loose(
    case: CaseView, package: Package, loose: list[tuple[str, str]], headers: dict[str, bytes]
) -> Finding:
    account, region = owner_location(package.owner)
    publisher = package_publisher(case.vendors, package.layer, account)
    refused = {n: why for _, n in loose if (why := refused_by(headers[n], package.runtimes))}
    severity = _by_publisher(
        publisher, Severity.LOW if len(refused) == len(loose) else INFO.severity
    )
    cannot = "; ".join(f"{name} is {why}" for name, why in refused.items())
    shown = _shown([f"{module} ({name})" for module, name in loose])
    return make_finding(
        INFO,
        resource=package.owner,
        account=account,
        region=region,
        severity=severity,
        key=f"{package.key}|sourceless-modules",
        evidence=[EvidenceRef(package.blob.path, package.blob.sha256, member=n) for _, n in loose],
        title="Python modules ship compiled only, with no source",
        summary=(
            f"In the {package.kind} package of {package.owner}, {len(loose)} compiled Python "
            f"{'module is' if len(loose) == 1 else 'modules are'} importable with no source "
            f"beside {'it' if len(loose) == 1 else 'them'}, outside installed libraries' "
            f"folders: {shown}. Python imports a `name.pyc` where `name.py` would be, and "
            "nothing in the package shows what it does: code the handler imports can hide "
            "there"
            + (f"; {cannot}: not imported now, but would be on that version" if cannot else "")
            + (f"; in a layer {publisher.describe()}" if publisher else "")
            + ". Decompile them, or ask the team for the sources they were built from."
        ),
        details={
            "modules": [m for m, _ in loose],
            "files": [n for _, n in loose],
            "used_by": list(package.owners),
        }
        | ({"not_importable": refused} if refused else {}),
    )


def _finding(
    case: CaseView, package: Package, found: list[str], configs: dict[str, FunctionConfig]
) -> Finding:
    account, region = owner_location(package.owner)
    publisher = package_publisher(case.vendors, package.layer, account)
    idle = unread_now(package, found, configs)
    severity = _by_publisher(publisher, Severity.LOW if idle else Severity.MEDIUM)
    shown = _shown(found)
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


def _by_publisher(publisher: LayerMatch | None, severity: Severity) -> Severity:
    """A layer's publisher decides over `severity`: a look-alike of a vendor's is HIGH, a
    known vendor's own is INFO."""
    if publisher is None:
        return severity
    return Severity.HIGH if publisher.kind is LayerKind.LOOKALIKE else Severity.INFO


def _shown(named: list[str]) -> str:
    """The first SHOWN of `named` for a summary, and how many more."""
    more = f" and {len(named) - SHOWN} more" if named[SHOWN:] else ""
    return ", ".join(named[:SHOWN]) + more


DETECTOR = Detector(INFO, detect)
