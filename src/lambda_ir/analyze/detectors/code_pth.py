"""LIR-CODE-005: a `.pth` file that runs code when a Python function starts, before its handler.

Lambda's Python runtime makes the function's folder (`/var/task`) and a layer's `python` and
`python/lib/pythonN.N/site-packages` folders site directories (`site.addsitedir` in its
bootstrap), so every `.pth` file at their top is read at each cold start, and each of its
lines that begins with `import` is executed: a start-up hook that needs no environment
variable and no change to the handler. Packaging tools write a few such files of their own
(setuptools' `distutils-precedence.pth`, namespace packages' `*-nspkg.pth`, virtualenv's and
editable installs'); any other is code the function runs without naming it. A function's
`PYTHONUSERBASE` makes a folder of a layer or of its code its user site (`analyze.user_site`):
its `.pth` files run then too, and its `usercustomize` module is imported.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.code_files import iter_files, member_finding, shown
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.python_imports import runs_python
from lambda_ir.analyze.user_site import package_sites, runs_at_start
from lambda_ir.analyze.values import FunctionConfig, Package
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
        "to the module path and is not reported; a hidden one (`.x.pth`), which Python skips, "
        "is LOW."
    ),
    description=(
        "MEDIUM: a .pth file in the function's package or at a site folder of a layer runs its "
        "`import` lines at every cold start, before the handler, and so does a `usercustomize` "
        "module (every line) in the user site a function's PYTHONUSERBASE names; HIGH when such "
        "a line decodes, compiles or executes code, starts a process or opens a connection."
    ),
)

# Where a package's `.pth` files are read: the code package's top (`/var/task`), a layer's
# `python/` and `python/lib/pythonN.N/site-packages/` (`/opt/...`).
_SITE_DIRS = {
    "code": re.compile(r"[^/]+\.pth"),
    "layer": re.compile(r"python/(?:lib/python3\.\d+/site-packages/)?[^/]+\.pth"),
}
# A `.pth` file whose name starts with a dot: CPython's `site` skips it since the January 2024
# security fix (gh-113659: 3.13, and the 3.8 to 3.12 releases after it), which the managed
# Lambda runtimes from python3.9 on carry; an older one (python3.7, a container image's
# Python) still runs it.
HIDDEN = (
    "is a hidden file, which Python skips since its January 2024 security fix (gh-113659, "
    "in the managed runtimes from python3.9 on)"
)
# What an `import` line does beyond importing: run code it builds, a process, a connection.
_ACTIVE = re.compile(
    r"\b(?:exec|eval|compile|__import__|b64decode|b32decode|fromhex|marshal|zlib|subprocess"
    r"|os\.system|popen|socket|urllib|urlopen|http\.client|requests)\b"
)

# The `.pth` files packaging tools write, by name and by the very lines they write (a name
# alone would let `evil-nspkg.pth` pass): setuptools' distutils shim (49.3 on: the variable's
# default and `add_shim`/`ensure_shim` as each release wrote them), virtualenv's, setuptools'
# editable installs' and setuptools' namespace-package template (`_NSPKG`).
_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_DISTUTILS = re.compile(
    r"import os; (?:var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os\.environ\.get\(var, "
    r"'(?:local|stdlib)'\)|enabled = os\.environ\.get\('SETUPTOOLS_USE_DISTUTILS'\)) == "
    r"'local'; enabled and __import__\('_distutils_hack'\)\.(?:add|ensure)_shim\(\); ?"
)
_EDITABLE = re.compile(rf"import (__editable___{_NAME}_finder); \1\.install\(\)")

# setuptools' namespace-package line (`namespaces.Installer._nspkg_tmpl`, its parts joined by
# `;`) in each form it has had: to 28.2, 28.3 (`pep420`), 31.0 and 34.3 (`has_mfs`), 69.1 on.
# A package and its parts are the only values in it; a nested package adds `_NSPKG_NESTED`.
# The whole line must be one of them: a line that starts as the template and goes on to run
# something (`;getattr(os, 'sys' + 'tem')(…)`) is not the template.
_ROOT = "sys._getframe(1).f_locals['sitedir']"
_NSPKG_FORMS = (
    (
        "p = os.path.join(%(root)s, *%(pth)r)",
        "ie = os.path.exists(os.path.join(p,'__init__.py'))",
        "m = not ie and sys.modules.setdefault(%(pkg)r, types.ModuleType(%(pkg)r))",
    ),
    (
        "pep420 = sys.version_info > (3, 3)",
        "p = os.path.join(%(root)s, *%(pth)r)",
        "ie = os.path.exists(os.path.join(p,'__init__.py'))",
        "m = not ie and not pep420 and sys.modules.setdefault(%(pkg)r, types.ModuleType(%(pkg)r))",
    ),
    (
        "has_mfs = sys.version_info > (3, 5)",
        "p = os.path.join(%(root)s, *%(pth)r)",
        "importlib = has_mfs and __import__('importlib.util')",
        "has_mfs and __import__('importlib.machinery')",
        "m = has_mfs and sys.modules.setdefault(%(pkg)r, importlib.util.module_from_spec("
        "importlib.machinery.PathFinder.find_spec(%(pkg)r, [os.path.dirname(p)])))",
        "m = m or not has_mfs and sys.modules.setdefault(%(pkg)r, types.ModuleType(%(pkg)r))",
    ),
    (
        "has_mfs = sys.version_info > (3, 5)",
        "p = os.path.join(%(root)s, *%(pth)r)",
        "importlib = has_mfs and __import__('importlib.util')",
        "has_mfs and __import__('importlib.machinery')",
        "m = has_mfs and sys.modules.setdefault(%(pkg)r, importlib.util.module_from_spec("
        "importlib.machinery.PathFinder.find_spec(%(pkg)r, [os.path.dirname(p)])))",
        "m = m or sys.modules.setdefault(%(pkg)r, types.ModuleType(%(pkg)r))",
    ),
    (
        "p = os.path.join(%(root)s, *%(pth)r)",
        "importlib = __import__('importlib.util')",
        "__import__('importlib.machinery')",
        "m = sys.modules.setdefault(%(pkg)r, importlib.util.module_from_spec("
        "importlib.machinery.PathFinder.find_spec(%(pkg)r, [os.path.dirname(p)])))",
        "m = m or sys.modules.setdefault(%(pkg)r, types.ModuleType(%(pkg)r))",
    ),
)
_NSPKG_HEAD = "import sys, types, os"
_NSPKG_TAIL = (
    "mp = (m or []) and m.__dict__.setdefault('__path__',[])",
    "(p not in mp) and mp.append(p)",
)
_NSPKG_NESTED = "m and setattr(sys.modules[%(parent)r], %(child)r, m)"
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_VALUES = {
    "%(root)s": re.escape(_ROOT),
    "%(pth)r": rf"\('{_IDENT}'(?:,|(?:, '{_IDENT}')+)\)",  # ('google',), ('google', 'cloud')
    "%(pkg)r": rf"'{_IDENT}(?:\.{_IDENT})*'",
    "%(parent)r": rf"'{_IDENT}(?:\.{_IDENT})*'",
    "%(child)r": rf"'{_IDENT}'",
}


def _template(parts: tuple[str, ...]) -> str:
    """A template's parts as a regex: its text literal, each value a pattern of its shape."""
    text = re.escape(";".join(parts))
    for name, pattern in _VALUES.items():
        text = text.replace(re.escape(name), pattern)
    return text


_NSPKG = re.compile(
    "(?:"
    + "|".join(_template((_NSPKG_HEAD, *form, *_NSPKG_TAIL)) for form in _NSPKG_FORMS)
    + f")(?:{_template(('', _NSPKG_NESTED))})?"
)

# Test tools' `.pth` files, by name and the SHA-256 of their import lines ("\n"-joined):
# each runs a fixed `exec` that starts coverage in subprocesses only when the tool's variable
# is set. pytest-cov 2.0-2.3, 2.4, and 2.5-6.3 (7.0 ships none); coverage.py 7.12.1b1-7.13.0
# (`zzz_coverage.pth`, then `a1_coverage.pth`) and 7.13.1 on.
_PYTEST_COV = frozenset(
    {
        "a29509e7bb2dd6dcd6097fcccd2e44f233576b547bfaa63051c7b25e5c34a0c9",
        "a546066dba3212407d5a660b1485668bb89eb15e1414955175c95dcdc55aebc1",
        "b8e1b828090bfec4b25656d04cd0948d3e70221ea8281ac0e12569eef48ae2a6",
    }
)
_COVERAGE_OLD = "c3b8d29a0e339d512307ed96990c65f1a8d157b35f698902fb9172e5ebab42ca"
_COVERAGE = "2cbb286eeaf39b2cd7d68cb09c1bc3cfb0cc8d27da949004d0c22698f127f270"
_TOOL_FILES = {
    "pytest-cov.pth": _PYTEST_COV,
    "zzz_coverage.pth": frozenset({_COVERAGE_OLD}),
    "a1_coverage.pth": frozenset({_COVERAGE_OLD, _COVERAGE}),
}

_PACKAGING: tuple[tuple[re.Pattern[str], Callable[[str], object]], ...] = (
    (re.compile(r"distutils-precedence\.pth"), _DISTUTILS.fullmatch),
    (re.compile(r"_virtualenv\.pth"), lambda line: line == "import _virtualenv"),
    (re.compile(r"__editable__\..+\.pth"), _EDITABLE.fullmatch),
    (re.compile(r".+-nspkg\.pth"), _NSPKG.fullmatch),
)


_NEWLINES = re.compile(r"\r\n|\r|\n")  # a text file's lines as Python up to 3.12 reads them


def _import_lines(data: bytes) -> list[str]:
    """The lines `site.addpackage` executes: those beginning with `import` and a blank, as
    any runtime reads the file. Up to 3.12 it reads text lines (broken at `\n` and `\r`
    only); 3.13 drops a UTF-8 byte-order mark and breaks at every `str.splitlines` break
    (`\x0c`, `\x1c`, U+2028, …). Both readings count: a template line followed by `\x0c` and
    code is one line, the code's, on 3.12 and two on 3.13."""
    text = data.decode("utf-8-sig", "replace")
    lines = dict.fromkeys([*_NEWLINES.split(text), *text.splitlines()])
    return [line for line in lines if line.startswith(("import ", "import\t"))]


def _module_lines(data: bytes) -> list[str]:
    """The lines of a `usercustomize` module Python runs when it imports it: all of them but
    blanks and comments (a compiled module is read as text, for what strings it shows)."""
    text = data.decode("utf-8-sig", "replace")
    stripped = (line.strip() for line in text.splitlines())
    return [line for line in stripped if line and not line.startswith("#")]


def _packaging(base: str, lines: list[str]) -> bool:
    """A packaging or test tool's own file: its name, and every import line the tool's own."""
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    if digest in _TOOL_FILES.get(base, ()):
        return True
    return any(
        name.fullmatch(base) and all(tool_line(line) for line in lines)
        for name, tool_line in _PACKAGING
    )


def _skips_hidden(package: Package) -> bool:
    """Whether every function running the package has a Python that skips hidden `.pth`
    files: the managed python3.9 runtime and later carry gh-113659 (python3.7, ended before
    it, never did; a layer no collected function carries is judged as today's runtimes)."""
    versions = [r.removeprefix("python3.") for r in package.runtimes if r.startswith("python3.")]
    return all(v.isdigit() and int(v) >= 9 for v in versions)


_VERSIONED = re.compile(r"python/lib/(python3\.\d+)/site-packages/[^/]+")


def _unread(package: Package, member: str, configs: dict[str, FunctionConfig]) -> str:
    """Why no collected function carrying this layer reads `member` now, "" when one does (or
    none is known). Lambda's Python bootstrap makes a layer's folders site folders only when
    the function does not set `PYTHONPATH`, and `python/lib/pythonN.N/site-packages` only for
    the runtime of that version (a function's own `/var/task` is always one)."""
    if package.kind != "layer":
        return ""
    readers = [configs[owner] for owner in package.owners if owner in configs]
    found = _VERSIONED.fullmatch(member)
    version = found.group(1) if found else ""  # "" when any Python version reads it
    pythonpath, runtimes = False, dict[str, None]()
    for config in readers:
        if not config.runtime.startswith("python"):
            continue  # reads no .pth file at all
        if "PYTHONPATH" in config.environment:
            pythonpath = True
        elif version and config.runtime != version:
            runtimes[config.runtime] = None
        else:
            return ""  # this one reads it
    why = [f"only {version} reads it, they run {', '.join(runtimes)}"] if runtimes else []
    if pythonpath:
        why.append("they set PYTHONPATH, so the bootstrap makes no layer folder a site folder")
    return "; ".join(why)


def detect(case: CaseView) -> Iterator[Finding]:
    """`.pth` files with `import` lines at a site folder of a Python package, judged where they
    unpack (`./evil.pth` lands at the top), and what a collected function's user site
    (`PYTHONUSERBASE`) runs from it."""
    configs = {config.ref.arn: config for config in case.functions}
    sites: dict[str, list[str]] = {}  # a package's user sites, by its key
    for package, member, _ in iter_files(case):
        if not runs_python(package):
            continue
        if package.key not in sites:
            sites[package.key] = package_sites(package, configs)
        users = [s for s in sites[package.key] if runs_at_start(member.path, s)]
        site = _SITE_DIRS.get(package.kind)
        pth = member.path.endswith(".pth")
        if not users and (site is None or not site.fullmatch(member.path)):
            continue
        lines = _import_lines(member.data) if pth else _module_lines(member.data)
        if not lines:
            continue
        base = member.path.rsplit("/", 1)[-1]
        active = [line for line in lines if _ACTIVE.search(line)]
        if _packaging(base, lines):
            severity, verdict = Severity.INFO, "a packaging or test tool's own file, line for line"
            active = []
        elif active:
            severity, verdict = Severity.HIGH, "a line builds or runs code, or reaches out"
        else:
            severity = INFO.severity
            verdict = "no packaging tool names its file so" if pth else "the whole module runs"
        where = f"layer {package.layer}" if package.kind == "layer" else f"{package.owner}'s code"
        if users:
            where += f", the user site a function's PYTHONUSERBASE names ({users[0]}/),"
        runs = "runs" if pth else "is module usercustomize: Python runs"
        unread = "" if users else _unread(package, member.path, configs)
        skipped = [f"is read by no function carrying it now ({unread})"] if unread else []
        hidden = pth and base.startswith(".") and _skips_hidden(package)
        if hidden:
            skipped.append(HIDDEN)
        if skipped:
            # never run now: what it holds still tells who put it there (HIGH stays HIGH)
            runs = f"{' and '.join(skipped)}, but would run"
            severity = Severity.LOW if severity is Severity.MEDIUM else severity
        yield member_finding(
            INFO,
            package,
            member,
            severity=severity,
            summary=(
                f"{shown(member)} in {where} {runs} {len(lines)} {'import ' if pth else ''}"
                f"line(s) at every cold start, before the handler ({verdict}): "
                f"{(active or lines)[0][:160]!r}; read it and what it imports."
            ),
            details={
                "member": member.name,
                "import_lines": [line[:500] for line in lines[:20]],
                "used_by": list(package.owners),
            }
            | ({"not_read_now": unread} if unread else {})
            | ({"hidden": True} if hidden else {})
            | ({"user_site": users[0]} if users else {}),
        )


DETECTOR = Detector(INFO, detect)
