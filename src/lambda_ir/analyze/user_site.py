"""Python's user site folder: where `PYTHONUSERBASE` makes every Python start read code.

CPython's `site` module adds `<PYTHONUSERBASE>/lib/pythonX.Y/site-packages`, the user site, to
the module path as the interpreter starts, runs the `import` lines of its `.pth` files and
imports a `usercustomize` module, unless user sites are off (`-s`, `PYTHONNOUSERSITE`, or a
process whose user and effective user differ). Lambda's Python bootstrap starts
`/var/lang/bin/pythonX.Y /var/runtime/bootstrap.py` without `-s`, so a `PYTHONUSERBASE` into a
layer (`/opt`) or the function's code (`/var/task`, where a relative base starts) runs that
folder's start-up code before the handler, whatever `PYTHONPATH` says.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from lambda_ir.analyze.values import FunctionConfig, Package

# Where a package unpacks: a layer into /opt, a function's code into /var/task (its working
# folder, against which a relative PYTHONUSERBASE is read).
ROOTS = {"layer": "/opt", "code": "/var/task"}


def user_site(base: str, runtime: str) -> str:
    """The user site of `PYTHONUSERBASE=base` on a Python runtime (`python3.12`):
    `<base>/lib/python3.12/site-packages`, normalised; "" for no base or another runtime."""
    base = base.strip()
    if not base or not runtime.startswith("python"):
        return ""
    return posixpath.normpath(posixpath.join(ROOTS["code"], base, "lib", runtime, "site-packages"))


def runs_at_start(member: str, site: str) -> bool:
    """True when package member `member` is code Python runs from user site `site` (a member
    folder) as it starts: a `.pth` file at the site's top, or the `usercustomize` module
    there (`usercustomize.py`, `.pyc`, an extension module, a package's `__init__.py`)."""
    if not member.startswith(site + "/"):
        return False
    name = member.removeprefix(site + "/")
    if name in ("usercustomize.py", "usercustomize.pyc", "usercustomize/__init__.py"):
        return True
    top = "/" not in name
    return top and (name.endswith(".pth") or _native_module(name, "usercustomize"))


def _native_module(name: str, module: str) -> bool:
    """True when file `name` is extension module `module` (`usercustomize.abi3.so`,
    `usercustomize.cpython-312-x86_64-linux-gnu.so`)."""
    return name.startswith(module + ".") and name.endswith(".so")


def package_sites(package: Package, configs: Mapping[str, FunctionConfig]) -> list[str]:
    """The member folders of `package` that a collected function carrying it reads as its user
    site: its `PYTHONUSERBASE` on its Python runtime, with user sites left on."""
    root = ROOTS.get(package.kind, "")
    sites: list[str] = []
    for config in (configs[owner] for owner in package.owners if owner in configs):
        if config.environment.get("PYTHONNOUSERSITE"):
            continue
        site = user_site(config.environment.get("PYTHONUSERBASE", ""), config.runtime)
        member = site.removeprefix(root + "/") if root and site.startswith(root + "/") else ""
        if member and member not in sites:
            sites.append(member)
    return sites
