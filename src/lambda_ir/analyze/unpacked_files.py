"""The entries a path holds once a function's packages are unpacked, and what opening it reads.

Lambda unpacks the code package into /var/task and the function's layers into /opt in the
order its configuration lists them: when two layers ship a path, the later one's entry is the
one on disk, and that entry may be a symlink (`archive.Link`: listed with its target, never
followed by the zip reader). A program opening the path, the AWS SDK reading its config file,
reads what the link leads to. Here a link is followed within the collected packages only, in
memory: its target taken relative to the link's folder, at most MAX_HOPS links, never onto
this machine's filesystem; a link standing for a folder on the way (`h/.aws` -> `../conf`)
is followed like the last part's. A link leading outside /opt and /var/task, to nothing collected,
or round a loop leaves the file unknown, and says why.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from lambda_ir.analyze.archive import Link, Member, ReadReport, read_members
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.hook_files import MAX_LAYER_BYTES, inside
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.model import EvidenceRef

OPT = "/opt"
TASK_ROOT = "/var/task"
MAX_HOPS = 8  # links followed for one path (Linux allows 40; an honest package needs one)


@dataclass(frozen=True)
class Entry:
    """A file or symlink of a collected package at `path` once unpacked (/opt/…, /var/task/…),
    cited as the zip names it (`ref`); `owner` is its layer's ARN, "" for the code package.
    A file's bytes are `data`; a link's `target` is what it holds ("" when unreadable), None
    for a file."""

    ref: EvidenceRef
    owner: str
    path: str
    data: bytes = b""
    target: str | None = None


@dataclass(frozen=True)
class Opened:
    """What opening a path reads: the file's bytes (None when the collected packages cannot
    tell), the links followed to it, the file entry read, and why it is unknown when links
    were followed and it is."""

    data: bytes | None
    links: tuple[Entry, ...] = ()
    file: Entry | None = None
    unknown: str = ""
    absent: bool = False  # nothing is there: no package holds it, none uncollected may


def entries(case: CaseView, config: FunctionConfig, path: str) -> list[Entry]:
    """The collected packages' files and links at absolute `path` or in the folder it names,
    in the order they unpack (layers in the configuration's order, each zip's entries in its
    own: the last at a path is the one on disk); none outside /opt and /var/task."""
    root = _root(path)
    if root == OPT:
        layers = {layer.arn: layer.blob for layer in case.layers}
        packages = [(arn, layers.get(arn)) for arn in config.layers]
    elif root == TASK_ROOT and config.code_sha256:
        packages = [("", case.code_blob(config.code_sha256))]
    else:
        return []
    wanted = [path.removeprefix(root + "/")]
    found: list[Entry] = []
    for owner, blob in packages:
        if blob is None:
            continue
        for item in _in_order(case.read_bytes(blob, MAX_LAYER_BYTES)):
            if inside(item.path, wanted):  # `./aws/config` unpacks to /opt/aws/config
                ref = EvidenceRef(blob.path, blob.sha256, member=item.name)
                at = f"{root}/{item.path}"
                if isinstance(item, Link):
                    found.append(Entry(ref, owner, at, target=item.target))
                else:
                    found.append(Entry(ref, owner, at, data=item.data))
    return found


def open_path(case: CaseView, config: FunctionConfig, path: str, found: list[Entry]) -> Opened:
    """What reading absolute `path` gets (`found`: its `entries`): the last entry's bytes, or,
    when that is a symlink, what the link leads to."""
    links: list[Entry] = []
    while True:
        at = [entry for entry in found if entry.path == path]
        if _hidden(case, config, path, at):
            return Opened(None, tuple(links), unknown=f"it leads to {path}, {_unseen(path)}")
        rest = ""
        if not at:
            folder = _folder_link(case, config, path)
            if folder is None:
                why = f"it leads to {path}, which no collected package holds"
                return Opened(None, tuple(links), unknown=why, absent=True)
            at, rest = [folder], path.removeprefix(folder.path)
        last = at[-1]
        if last.target is None:
            return Opened(last.data, tuple(links), last)
        links.append(last)
        path, why = _next(last.path, last.target, links)
        path += rest
        if why:
            return Opened(None, tuple(links), unknown=why)
        found = entries(case, config, path)


def physical(case: CaseView, config: FunctionConfig, path: str) -> str:
    """Absolute `path` as the kernel walks it: each `..` applied after the symlinks before it
    are followed (`/opt/h/..` with `h` a link to `deep/er` is `/opt/deep`, where `normpath`
    says `/opt`), within the collected packages, at most MAX_HOPS links. Only a path with a
    `..` needs this; any other is `normpath`'s."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." not in parts:
        return posixpath.normpath(path)
    current, hops = "/", 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            current = posixpath.dirname(current)
            continue
        step = posixpath.join(current, part)
        link = _link_at(case, config, step) if ".." in parts and hops < MAX_HOPS else None
        if link is None or not link.target:
            current = step
            continue
        hops += 1
        parts = [p for p in link.target.split("/") if p not in ("", ".")] + parts
        current = "/" if link.target.startswith("/") else current
    return current


def _link_at(case: CaseView, config: FunctionConfig, path: str) -> Entry | None:
    """The symlink on disk at `path` (the last entry there, when it is one), or None."""
    if not _root(path):
        return None
    at = [entry for entry in entries(case, config, path) if entry.path == path]
    return at[-1] if at and at[-1].target is not None else None


def _folder_link(case: CaseView, config: FunctionConfig, path: str) -> Entry | None:
    """The nearest folder on `path`'s way that is a symlink in the package on disk there
    (the last entry at it), or None."""
    root = _root(path)
    folder = posixpath.dirname(path)
    while folder != root and folder.startswith(root + "/"):
        at = [entry for entry in entries(case, config, folder) if entry.path == folder]
        if at:
            return at[-1] if at[-1].target is not None else None
        folder = posixpath.dirname(folder)
    return None


def _next(path: str, target: str, links: list[Entry]) -> tuple[str, str]:
    """Where a link at `path` holding `target` leads (relative to the link's folder, as the
    kernel reads it), or why it is not followed."""
    if not target:
        return "", "its target could not be read (damaged, or over 4 KB)"
    leads = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if any(link.path == leads for link in links):
        return "", f"the links loop back to {leads}"
    if len(links) > MAX_HOPS:
        return "", f"more than {MAX_HOPS} links in a row"
    if not _root(leads):
        return "", f"it leads to {leads}, outside the packages lambda-ir collects"
    return leads, ""


def _root(path: str) -> str:
    """The folder a package unpacks into that holds absolute `path`, "" for none."""
    return next(
        (root for root in (OPT, TASK_ROOT) if path == root or path.startswith(root + "/")), ""
    )


def uncollected(case: CaseView, config: FunctionConfig, path: str) -> bool:
    """Whether a package not in the case may ship absolute `path` (under /opt or /var/task):
    when no collected one does, the collected ones cannot tell what is there."""
    return bool(_root(path)) and _hidden(case, config, path, [])


def _hidden(case: CaseView, config: FunctionConfig, path: str, at: list[Entry]) -> bool:
    """Whether a package not in the case may hold the entry on disk at `path`: the code
    package, for /var/task; for /opt, a layer after the last with an entry there (any of
    the function's, when none has one)."""
    if _root(path) == TASK_ROOT:
        return not config.code_sha256 or case.code_blob(config.code_sha256) is None
    collected = {layer.arn for layer in case.layers if layer.blob is not None}
    providers = {entry.owner for entry in at}
    order = list(config.layers)
    last = max((n for n, arn in enumerate(order) if arn in providers), default=-1)
    return any(arn not in collected for arn in order[last + 1 :])


def _unseen(path: str) -> str:
    """Why a package not in the case leaves `path` unknown, in a responder's words."""
    if _root(path) == TASK_ROOT:
        return "in the code package, which was not collected"
    return "which a layer of the function not in the case may ship"


def _in_order(package: bytes) -> Iterator[Member | Link]:
    """A zip's files and symlinks in the order it lists them (the order unzip writes them: a
    later entry at a path replaces an earlier one)."""
    report = ReadReport()
    told = 0
    for member in read_members(package, report=report):
        yield from report.links[told:]  # listed before this file
        told = len(report.links)
        yield member
    yield from report.links[told:]
