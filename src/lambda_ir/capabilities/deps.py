"""Which files of a package are vendored third-party dependencies, and whose.

A Python distribution installed into a package (`pip install -t`, a layer's
`python/lib/python3.x/site-packages/`) lists every file it put there in its
`<name>-<version>.dist-info/RECORD`; a Node.js module lives under `node_modules/<name>/`.
Capabilities found in them are still rows, tagged with the dependency: a release that adds
`jinja2` gains its `compile()` calls, which is not the handler starting to run code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

RECORD = re.compile(r"^(?:.*/)?([^/]+?)-[^/-]+\.dist-info/RECORD$")
NODE_MODULES = "node_modules/"


def dependency_map(names: Iterable[str], read: Callable[[str], bytes | None]) -> dict[str, str]:
    """Package path → distribution name, from each `*.dist-info/RECORD` (`read` gives a
    member's bytes, or None when it is not safe to read)."""
    recorded: dict[str, str] = {}
    for name in names:
        match = RECORD.match(name)
        if match is None:
            continue
        content = read(name)
        if content is None:
            continue
        base = name.rsplit("/", 2)[0] + "/" if name.count("/") >= 2 else ""
        for line in content.decode("utf-8", "replace").splitlines():
            path = line.split(",", 1)[0].strip()
            if path and not path.startswith(("/", "../")):
                recorded[base + path] = match.group(1)
    return recorded


def dependency_of(name: str, recorded: Mapping[str, str]) -> str:
    """The dependency a file belongs to (`six`, `@aws-crypto/util`), or "" for own code."""
    if name in recorded:
        return recorded[name]
    if NODE_MODULES not in name:
        return ""
    parts = name.rsplit(NODE_MODULES, 1)[1].split("/")
    if parts[0].startswith("@") and len(parts) > 2:
        return f"{parts[0]}/{parts[1]}"
    return parts[0] if len(parts) > 1 else ""
