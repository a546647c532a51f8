"""Which compiled Python files of a package CPython's import system reads, and when.

As `importlib._bootstrap_external` (3.11, 3.12 alike) finds a module: a folder on the module
path is searched by a `FileFinder` with the loaders `_get_supported_file_loaders` lists, in
order, extension modules, then `SOURCE_SUFFIXES` (`.py`), then `BYTECODE_SUFFIXES` (`.pyc`,
`SourcelessFileLoader`), after a package folder's `__init__` with the same suffixes: a legacy
`name.pyc` where `name.py` would be is imported when no `name.py` or `name/__init__.*` is
there, and nothing compares it with a source. A `__pycache__` file is read only for a source
the finder found (`SourceLoader.get_code`, at the path `cache_from_source` makes of it).
Nothing here loads or decodes bytecode.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Collection, Mapping

# `mod.cpython-312.pyc`, and `mod.cpython-312.opt-1.pyc` (under -O or PYTHONOPTIMIZE)
_TAG = re.compile(r"\.cpython-(3)(\d+)(?:\.opt-\d)?\.pyc$")
# A layer's version's site folder, on the module path of that runtime only (`/opt/python`
# is on every Python runtime's); a function's code is at `/var/task`, on every one's.
_LAYER_SITE = re.compile(r"python/lib/(python3\.\d+)/site-packages/")


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
