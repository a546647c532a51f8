"""Which compiled Python files of a package CPython's import system reads, and when.

As `importlib._bootstrap_external` (3.11, 3.12 alike) finds a module: a folder on the module
path is searched by a `FileFinder` with the loaders `_get_supported_file_loaders` lists, in
order, extension modules, then `SOURCE_SUFFIXES` (`.py`), then `BYTECODE_SUFFIXES` (`.pyc`,
`SourcelessFileLoader`), after a package folder's `__init__` with the same suffixes: a legacy
`name.pyc` where `name.py` would be is imported when no `name.py` or `name/__init__.*` is
there, and nothing compares it with a source. A `__pycache__` file is read only for a source
the finder found (`SourceLoader.get_code`, at the path `cache_from_source` makes of it),
and only the one for the interpreter's `-O` level (`sys.flags.optimize`): `.opt-1.pyc` only
under `-O` or `PYTHONOPTIMIZE=1`, the plain `.pyc` only without. Nothing here loads or
decodes bytecode.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Collection, Mapping

from lambda_ir.analyze.values import FunctionConfig, Package

# `mod.cpython-312.pyc`, and `mod.cpython-312.opt-1.pyc` (under -O or PYTHONOPTIMIZE)
_TAG = re.compile(r"\.cpython-(3)(\d+)(?:\.opt-(\d+))?\.pyc$")
# A layer's version's site folder, on the module path of that runtime only (`/opt/python`
# is on every Python runtime's); a function's code is at `/var/task`, on every one's.
_LAYER_SITE = re.compile(r"python/lib/(python3\.\d+)/site-packages/")
# What C's `strtol(s, &end, 10)` reads when it stops at the string's end: the C locale's
# spaces, a sign, ASCII digits (CPython's `_Py_str_to_int`, which also needs a C int).
_C_INT = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]+)")
_INT_MAX = 2**31 - 1
# Each runtime's `importlib.util.MAGIC_NUMBER`, the first two bytes of every `.pyc` it writes
# (little-endian, then `\r\n`), as CPython's `Lib/importlib/_bootstrap_external.py` sets it
# for the release: `_classify_pyc` refuses any other (ImportError: bad magic number), for a
# sourceless `.pyc` (`SourcelessFileLoader`) as for a cached one.
MAGIC_NUMBERS = {
    "python3.8": 3413,
    "python3.9": 3425,
    "python3.10": 3439,
    "python3.11": 3495,
    "python3.12": 3531,
    "python3.13": 3571,
}


def runs_python(package: Package) -> bool:
    """A package a Python function runs (or a layer no collected function carries yet)."""
    return not package.runtimes or any(r.startswith("python") for r in package.runtimes)


def cached_source(path: str) -> str:
    """The source a `__pycache__` file is compiled from (`pkg/__pycache__/mod.cpython-312.pyc`
    is `pkg/mod.py`: a module name has no dot), or "" for a file elsewhere."""
    folder, name = posixpath.split(path)
    if posixpath.basename(folder) != "__pycache__":
        return ""
    return posixpath.join(posixpath.dirname(folder), name.split(".", 1)[0] + ".py")


def compiled_for(name: str) -> str:
    """The runtime a `__pycache__` file is for (`mod.cpython-312.pyc` is python3.12), "" when
    its name says none Lambda runs."""
    found = _TAG.search(posixpath.basename(name))
    return f"python{found.group(1)}.{found.group(2)}" if found else ""


def cache_level(name: str) -> int:
    """The `-O` level a `__pycache__` file is read at: 1 for `mod.cpython-312.opt-1.pyc`, 0
    for `mod.cpython-312.pyc` (`cache_from_source` names the file by `sys.flags.optimize`)."""
    found = _TAG.search(posixpath.basename(name))
    return int(found.group(3)) if found and found.group(3) else 0


def optimize_level(environment: Mapping[str, str]) -> int:
    """The `sys.flags.optimize` a function's Python starts with (the runtime's bootstrap
    starts it without `-O`): `PYTHONOPTIMIZE` read as CPython's `_Py_get_env_flag` reads it,
    0 unset or empty; a whole C `strtol` integer (leading spaces and a sign allowed: `" 2"` is
    2, `-0` is 0) from 0 to INT_MAX is itself; any other value is 1 (`2 `, `-3`, `x`, one
    past INT_MAX)."""
    value = environment.get("PYTHONOPTIMIZE", "")
    if not value:
        return 0
    number = _C_INT.fullmatch(value)
    if number is None:
        return 1
    digits = number.group(2).lstrip("0") or "0"
    if len(digits) > len(str(_INT_MAX)):  # before `int()`, which refuses 4,300 digits
        return 1
    level = int(number.group(1) + digits)
    return level if 0 <= level <= _INT_MAX else 1


def module_name(kind: str, path: str, runtimes: Collection[str] = ()) -> str:
    """The module a legacy `.pyc` (`helpers.pyc`, `pkg/__init__.pyc`) is imported as from the
    module path of a function running the package (`helpers`, `pkg`), "" when none imports
    it: not under a folder on the path (a layer's files outside `python/`), a folder or name
    with a dot (no import statement reaches `a.b.pyc`), or under `__pycache__` (reached only
    by an import that spells `pkg.__pycache__.x` in code a review reads). A layer's
    `python/lib/pythonN.N/site-packages` counts for that runtime, or any when `runtimes`
    are not known."""
    if not path.endswith(".pyc"):
        return ""
    roots = [""] if kind == "code" else []
    if kind == "layer":
        site = _LAYER_SITE.match(path)
        if site and (not runtimes or site.group(1) in runtimes):
            roots.append(site.group(0))
        roots.append("python/")
    for root in roots:
        if not path.startswith(root):
            continue
        parts = path.removeprefix(root).removesuffix(".pyc").split("/")
        if parts[-1] == "__init__":
            parts.pop()  # a package: `pkg/__init__.pyc` is `pkg`
        if parts and all(part and "." not in part and part != "__pycache__" for part in parts):
            return ".".join(parts)
    return ""


def sourceless_modules(
    kind: str,
    compiled: Mapping[str, str],
    sources: Collection[str],
    owned: Callable[[str], bool],
    runtimes: Collection[str] = (),
) -> list[tuple[str, str]]:
    """(module, the `.pyc` as the zip names it) for each legacy `.pyc` of a package that
    Python imports with no source: on the module path, not `owned` (by an installed
    library), and not shadowed by the `name.py` or `name/__init__.*` the finder tries
    first. `compiled` maps each `.pyc` where it unpacks to its name in the zip."""
    found = []
    for path, name in compiled.items():
        stem = path.removesuffix(".pyc")
        shadowed = f"{stem}.py" in sources or f"{stem}/__init__.py" in sources
        if shadowed or f"{stem}/__init__.pyc" in compiled or owned(path):
            continue
        if module := module_name(kind, path, runtimes):
            found.append((module, name))
    return sorted(found)


def unread_now(package: Package, found: list[str], configs: dict[str, FunctionConfig]) -> str:
    """Why none of `found` is imported by the functions running the package now, "" when one
    may be: compiled for another Python than theirs, or for another `-O` level than their
    `PYTHONOPTIMIZE` sets (`.opt-1.pyc` is read only under it, a plain `.pyc` only without).
    A runtime not known is any Python; a user not collected (a layer's own) sets none."""
    users = {
        (config.runtime, optimize_level(config.environment))
        for config in (configs[owner] for owner in package.owners if owner in configs)
    } or {("", 0)}
    if any(_reads(runtime, level, name) for runtime, level in users for name in found):
        return ""
    runtimes = sorted({runtime for runtime, _ in users if runtime})
    other = [n for n in found if runtimes and compiled_for(n) not in ("", *runtimes)]
    why = []
    if other:
        versions = sorted({compiled_for(name) for name in other})
        why.append(
            f"compiled for {', '.join(versions)}, which none of the functions running it use "
            f"({', '.join(runtimes)}): not imported now, but would be on that version"
        )
    if levels := sorted({cache_level(name) for name in found if name not in other}):
        why.append(
            f"runs only with {_optimizing(levels)}, and the functions running it run with "
            f"{_optimizing(sorted({level for _, level in users}))}: not imported now, but "
            "would be with that setting"
        )
    return "; ".join(why)


def _reads(runtime: str, level: int, name: str) -> bool:
    """A function on `runtime` at `-O` level `level` reads `__pycache__` file `name`."""
    version = compiled_for(name)
    return cache_level(name) == level and (not runtime or not version or version == runtime)


def _optimizing(levels: list[int]) -> str:
    """The setting that gives each `-O` level, as a function's environment says it."""
    return " or ".join(f"PYTHONOPTIMIZE={n}" if n else "PYTHONOPTIMIZE unset" for n in levels)


def refused_by(header: bytes, runtimes: Collection[str]) -> str:
    """Why none of the Python `runtimes` can import a `.pyc` starting with `header`, "" when
    one may: its magic number is none of theirs. A runtime not in `MAGIC_NUMBERS` (or none
    known) may be any Python, so then "" too."""
    pythons = sorted({r for r in runtimes if r.startswith("python")})
    if not pythons or any(r not in MAGIC_NUMBERS for r in pythons):
        return ""
    magic = int.from_bytes(header[:2], "little") if header[2:4] == b"\r\n" else -1
    if magic in (MAGIC_NUMBERS[r] for r in pythons):
        return ""
    built = [r for r, number in MAGIC_NUMBERS.items() if number == magic]
    if built:
        said = f"compiled for {built[0]} (magic number {magic})"
    else:
        said = f"starting {header[:4]!r}, the magic number of none of python3.8 to 3.13"
    return f"{said}, which {', '.join(pythons)} refuses (ImportError: bad magic number)"
