"""LIR-CODE-005: a `.pth` file that runs code when a Python function starts, before its handler.

Lambda's Python runtime makes the function's folder (`/var/task`) and a layer's `python` and
`python/lib/pythonN.N/site-packages` folders site directories (`site.addsitedir` in its
bootstrap), so every `.pth` file at their top is read at each cold start, and each of its
lines that begins with `import` is executed: a start-up hook that needs no environment
variable and no change to the handler. Packaging tools write a few such files of their own
(setuptools' `distutils-precedence.pth`, namespace packages' `*-nspkg.pth`, virtualenv's and
editable installs'); any other is code the function runs without naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_files, member_finding
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.values import Package
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CODE-005",
    title="Python start-up code in a .pth file",
    severity=Severity.MEDIUM,
    attack=("T1546", "T1574"),
    evidence=(Kind.CODE, Kind.LAYER_CODE),
    references=(
        "https://docs.python.org/3/library/site.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html",
    ),
    false_positives=(
        "Files packaging tools write (setuptools' distutils-precedence.pth, namespace "
        "packages' *-nspkg.pth, virtualenv's _virtualenv.pth, editable installs' "
        "__editable__*.pth) are INFO; a .pth file without an `import` line only adds folders "
        "to the module path and is not reported."
    ),
    description=(
        "MEDIUM: a .pth file in the function's package or at a site folder of a layer runs its "
        "`import` lines at every cold start, before the handler; HIGH when such a line decodes, "
        "compiles or executes code, starts a process or opens a connection."
    ),
)

# Where a package's `.pth` files are read: the code package's top (`/var/task`), a layer's
# `python/` and `python/lib/pythonN.N/site-packages/` (`/opt/...`).
_SITE_DIRS = {
    "code": re.compile(r"[^/]+\.pth"),
    "layer": re.compile(r"python/(?:lib/python3\.\d+/site-packages/)?[^/]+\.pth"),
}
# What an `import` line does beyond importing: run code it builds, a process, a connection.
_ACTIVE = re.compile(
    r"\b(?:exec|eval|compile|__import__|b64decode|b32decode|fromhex|marshal|zlib|subprocess"
    r"|os\.system|popen|socket|urllib|urlopen|http\.client|requests)\b"
)

# The `.pth` files packaging tools write, by name and by the very lines they write (a name
# alone would let `evil-nspkg.pth` pass): setuptools' distutils shim, virtualenv's, setuptools'
# editable installs' and the namespace-package template of setuptools and pip (`_nspkg`).
_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_DISTUTILS = re.compile(
    r"import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os\.environ\.get\(var, "
    r"'(?:local|stdlib)'\) == 'local'; enabled and "
    r"__import__\('_distutils_hack'\)\.add_shim\(\); ?"
)
_EDITABLE = re.compile(rf"import (__editable___{_NAME}_finder); \1\.install\(\)")
_NSPKG_START = "import sys, types, os;"
_IMPORT = re.compile(r"\bimport\b")  # a statement, not the template's `importlib` name
# The template's own imports, taken out before the rest of its line is read for others.
_NSPKG_IMPORTS = ("__import__('importlib.util')", "__import__('importlib.machinery')")


def _nspkg(line: str) -> bool:
    """A line of the namespace-package template (`*-nspkg.pth`): it starts as the template
    does and, its own two `__import__`s aside, imports, opens or runs nothing."""
    if not line.startswith(_NSPKG_START) or "sys._getframe(1).f_locals['sitedir']" not in line:
        return False
    rest = line.removeprefix(_NSPKG_START)
    for own in _NSPKG_IMPORTS:
        rest = rest.replace(own, "")
    return not _IMPORT.search(rest) and "open(" not in rest and not _ACTIVE.search(rest)


_PACKAGING: tuple[tuple[re.Pattern[str], Callable[[str], object]], ...] = (
    (re.compile(r"distutils-precedence\.pth"), _DISTUTILS.fullmatch),
    (re.compile(r"_virtualenv\.pth"), lambda line: line == "import _virtualenv"),
    (re.compile(r"__editable__\..+\.pth"), _EDITABLE.fullmatch),
    (re.compile(r".+-nspkg\.pth"), _nspkg),
)


def _import_lines(data: bytes) -> list[str]:
    """The lines `site.addpackage` executes: those beginning with `import` and a blank (a
    UTF-8 byte-order mark dropped first, as Python 3.13's `site` reads the file)."""
    text = data.decode("utf-8-sig", "replace")
    return [line for line in text.splitlines() if line.startswith(("import ", "import\t"))]


def _packaging(base: str, lines: list[str]) -> bool:
    """A packaging tool's own file: its name, and every import line the tool's own."""
    return any(
        name.fullmatch(base) and all(tool_line(line) for line in lines)
        for name, tool_line in _PACKAGING
    )


def _python(package: Package) -> bool:
    """A package a Python function runs (or a layer no collected function carries yet)."""
    return not package.runtimes or any(r.startswith("python") for r in package.runtimes)


def detect(case: CaseView) -> Iterator[Finding]:
    """`.pth` files with `import` lines at a site folder of a Python package."""
    for package, member, _ in iter_files(case):
        site = _SITE_DIRS.get(package.kind)
        if site is None or not site.fullmatch(member.name) or not _python(package):
            continue
        lines = _import_lines(member.data)
        if not lines:
            continue
        base = member.name.rsplit("/", 1)[-1]
        active = [line for line in lines if _ACTIVE.search(line)]
        if _packaging(base, lines):
            severity, verdict = Severity.INFO, "a packaging tool's own file, line for line"
            active = []
        elif active:
            severity, verdict = Severity.HIGH, "a line builds or runs code, or reaches out"
        else:
            severity, verdict = INFO.severity, "no packaging tool names its file so"
        where = f"layer {package.layer}" if package.kind == "layer" else f"{package.owner}'s code"
        yield member_finding(
            INFO,
            package,
            member,
            severity=severity,
            summary=(
                f"{member.name} in {where} runs {len(lines)} import line(s) at every cold "
                f"start, before the handler ({verdict}): {(active or lines)[0][:160]!r}; "
                "read it and what it imports."
            ),
            details={
                "member": member.name,
                "import_lines": [line[:500] for line in lines[:20]],
                "used_by": list(package.owners),
            },
        )


DETECTOR = Detector(INFO, detect)
