"""The files an AWS SDK reads for where its calls go, named by environment variables.

`AWS_CONFIG_FILE` names the shared config file the AWS SDKs read (botocore's `config_file`,
the JavaScript SDK's shared ini file): an `endpoint_url` in its profile or in a `services`
section sends every call, or one service's, to that host. `AWS_DATA_PATH` puts folders before
botocore's own data (`loaders.create_loader`): an `endpoint-rule-set-1.json` or a
`partitions.json` there decides the host each call goes to, while `client.meta.endpoint_url`
still shows AWS's. What the file holds decides; where it lies tells who wrote it: under /opt
a layer (the last in the function's order to ship it), under /var/task (or a relative path:
the function's working folder) the code package, under /tmp whatever ran in the function.
The copy there may be a symlink: the file it leads to is read, followed within the
collected packages only (`unpacked_files`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, replace

from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.unpacked_files import (
    OPT,
    TASK_ROOT,
    Entry,
    Opened,
    entries,
    open_path,
    physical,
    uncollected,
)
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.model import EvidenceRef

CONFIG_FILE = "AWS_CONFIG_FILE"
# botocore merges the shared credentials file's profiles into its config: an `endpoint_url`
# there redirects calls as one in the config file does
CREDENTIALS_FILE = "AWS_SHARED_CREDENTIALS_FILE"
DATA_PATH = "AWS_DATA_PATH"
HOME = "HOME"  # where the SDKs look for `.aws/config` when no variable names the file
# what botocore reads from a data folder for where a call goes, each `.json` or `.json.gz`
_ENDPOINT_DATA = ("endpoint-rule-set-1", "endpoints", "partitions")
MAX_CITED = 20


@dataclass(frozen=True)
class SdkFile:
    """A file or folder an SDK variable names, where it lies, and the collected package
    members holding it (for a data folder, its endpoint data only)."""

    variable: str  # as set
    path: str  # as named
    place: str  # where it lies, in a responder's words
    members: tuple[EvidenceRef, ...] = ()
    # a config or credentials file's bytes, the copy the SDK reads (a layer's: the last in
    # the function's order to ship it; a symlink's: the file it leads to); None when no
    # collected package tells
    read: bytes | None = None
    followed: str = ""  # the symlinks followed to that copy, in a responder's words
    absent: bool = False  # the path leads where no package, collected or not, has a file
    reached: tuple[EvidenceRef, ...] = ()  # those links and the file they lead to, cited


def sdk_paths(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(variable, path) for each file or folder the SDK variables name, as botocore splits
    them (`AWS_DATA_PATH` on `:`). `/dev/null`, the usual way to turn the config file off,
    and empty parts name nothing."""
    found = [
        (name, _home(path, env))
        for name in (CONFIG_FILE, CREDENTIALS_FILE)
        if (path := env.get(name, "")) and path != "/dev/null"
    ]
    found.extend((DATA_PATH, part) for part in env.get(DATA_PATH, "").split(":") if part)
    return found


def _home(path: str, env: Mapping[str, str]) -> str:
    """`~/…` as botocore expands it (`os.path.expanduser`): under the function's HOME when it
    sets one; else it stays `~/…`, the home folder of Lambda's user, in no package."""
    home = env.get(HOME, "").rstrip("/")
    if home and (path == "~" or path.startswith("~/")):
        return home + path[1:]
    return path


def home_paths(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(variable, path) of the shared files the SDKs read under `HOME` (`~/.aws/config`,
    `~/.aws/credentials`: botocore, the JavaScript and Java SDKs expand `~` from it) where a
    function sets HOME and not the variable that names the file instead. Lambda sets no
    HOME: one set into a package makes a packaged `.aws/config` the SDK's, like
    AWS_CONFIG_FILE does."""
    home = env.get(HOME, "").rstrip("/")  # as `os.path.expanduser` reads it: spaces kept
    if not home:
        return []
    files = ((CONFIG_FILE, "config"), (CREDENTIALS_FILE, "credentials"))
    return [(name, f"{home}/.aws/{leaf}") for name, leaf in files if not env.get(name)]


def unseen(case: CaseView, config: FunctionConfig, path: str) -> bool:
    """Whether `path` (absolute, or relative to /var/task) may lie in a package of the
    function's that is not in the case (`unpacked_files.uncollected`)."""
    normal = physical(case, config, path if path.startswith("/") else f"{TASK_ROOT}/{path}")
    return uncollected(case, config, normal)


def locate(case: CaseView, config: FunctionConfig, variable: str, path: str) -> SdkFile:
    """Where `path` lies for this version, and the collected package members that hold it."""
    if path.startswith("~"):
        return SdkFile(variable, path, "in the home folder of Lambda's user, in no package")
    normal = physical(case, config, path if path.startswith("/") else f"{TASK_ROOT}/{path}")
    if normal.startswith(f"{OPT}/"):
        found = entries(case, config, normal)
        layers = ", ".join(dict.fromkeys(entry.owner for entry in found))
        place = f"in layer {layers}" if found else "under /opt, in none of the collected layers"
        return _held(case, config, SdkFile(variable, path, place), normal, found)
    if normal.startswith(f"{TASK_ROOT}/"):
        if not config.code_sha256 or case.code_blob(config.code_sha256) is None:
            return SdkFile(variable, path, "in the code package, which was not collected")
        found = entries(case, config, normal)
        place = "in the code package" if found else "under /var/task, not in the code package"
        return _held(case, config, SdkFile(variable, path, place), normal, found)
    if normal == "/tmp" or normal.startswith("/tmp/"):  # noqa: S108 - a path we read
        return SdkFile(variable, path, "in /tmp, written by whatever ran in the function")
    return SdkFile(variable, path, "outside the packages lambda-ir collects")


def _held(
    case: CaseView, config: FunctionConfig, named: SdkFile, normal: str, found: list[Entry]
) -> SdkFile:
    """`named` with the members holding it cited and, for a config or credentials file, the
    bytes the SDK reads: the last entry's at the path, a symlink followed (`open_path`)."""
    members = [entry.ref for entry in found if _decides(named.variable, entry.ref)]
    if named.variable == DATA_PATH:
        return replace(named, members=tuple(members[:MAX_CITED]))
    opened = open_path(case, config, normal, found)
    reached = [link.ref for link in opened.links]  # a link's copy: the links, then the file
    reached += [opened.file.ref] if opened.links and opened.file else []
    return replace(
        named,
        members=tuple(members[:MAX_CITED]),
        read=opened.data,
        followed=_followed(opened),
        absent=opened.absent,
        reached=tuple(ref for ref in reached if ref not in members)[:MAX_CITED],
    )


def _followed(opened: Opened) -> str:
    """What a finding says of the symlinks the SDK follows to the file it reads ("" for none):
    each link, where it lies and what it holds, then the file read or why it is unknown."""
    if not opened.links:
        return ""
    hops = ", then ".join(
        f"{link.path} is a symlink {_where(link.owner)} to {link.target!r}" for link in opened.links
    )
    if opened.file is None:
        return f"{hops}: {opened.unknown}"
    return f"{hops}: the SDK reads {opened.file.path}, {_where(opened.file.owner)}"


def _where(owner: str) -> str:
    return f"in layer {owner}" if owner else "in the code package"


def _decides(variable: str, ref: EvidenceRef) -> bool:
    """Whether a member is one deciding where calls go: the config file itself, or a data
    folder's endpoint rule set, endpoint or partition data."""
    if variable != DATA_PATH:
        return True
    name = posixpath.basename(ref.member or "").removesuffix(".gz").removesuffix(".json")
    return name in _ENDPOINT_DATA


def located(
    case: CaseView, config: FunctionConfig, name: str, path: str, cache: dict[object, SdkFile]
) -> SdkFile:
    """`locate`, once for all functions sharing the same layers and code."""
    packages = (tuple(config.layers), config.code_sha256, name, path)
    if packages not in cache:
        cache[packages] = locate(case, config, name, path)
    return cache[packages]


def shipped(case: CaseView, config: FunctionConfig, found: SdkFile) -> bool:
    """Whether a package may hold the file (HOME=/tmp for a tool's cache ships none)."""
    held = found.members or found.reached or unseen(case, config, found.path)
    return bool(held) and not found.absent
