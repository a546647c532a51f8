"""The files an AWS SDK reads for where its calls go, named by environment variables.

`AWS_CONFIG_FILE` names the shared config file the AWS SDKs read (botocore's `config_file`,
the JavaScript SDK's shared ini file): an `endpoint_url` in its profile or in a `services`
section sends every call, or one service's, to that host. `AWS_DATA_PATH` puts folders before
botocore's own data (`loaders.create_loader`): an `endpoint-rule-set-1.json` or a
`partitions.json` there decides the host each call goes to, while `client.meta.endpoint_url`
still shows AWS's. What the file holds decides; where it lies tells who wrote it: under /opt
a layer (the last in the function's order to ship it), under /var/task (or a relative path:
the function's working folder) the code package, under /tmp whatever ran in the function.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

from lambda_ir.analyze.archive import read_members
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.hook_files import MAX_LAYER_BYTES, inside, resolve
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.model import EvidenceRef

CONFIG_FILE = "AWS_CONFIG_FILE"
# botocore merges the shared credentials file's profiles into its config: an `endpoint_url`
# there redirects calls as one in the config file does
CREDENTIALS_FILE = "AWS_SHARED_CREDENTIALS_FILE"
DATA_PATH = "AWS_DATA_PATH"
# what botocore reads from a data folder for where a call goes, each `.json` or `.json.gz`
_ENDPOINT_DATA = ("endpoint-rule-set-1", "endpoints", "partitions")
_TASK_ROOT = "/var/task"
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
    # the function's order to ship it); None when no collected package holds it
    read: bytes | None = None


def sdk_paths(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(variable, path) for each file or folder the SDK variables name, as botocore splits
    them (`AWS_DATA_PATH` on `:`). `/dev/null`, the usual way to turn the config file off,
    and empty parts name nothing."""
    found = [
        (name, path)
        for name in (CONFIG_FILE, CREDENTIALS_FILE)
        if (path := env.get(name, "")) and path != "/dev/null"
    ]
    found.extend((DATA_PATH, part) for part in env.get(DATA_PATH, "").split(":") if part)
    return found


def locate(case: CaseView, config: FunctionConfig, variable: str, path: str) -> SdkFile:
    """Where `path` lies for this version, and the collected package members that hold it."""
    normal = posixpath.normpath(path if path.startswith("/") else f"{_TASK_ROOT}/{path}")
    if normal.startswith("/opt/"):
        files = resolve(case, config, [normal])
        members = [f.ref for f in files if _decides(variable, f.ref)]
        layers = ", ".join(dict.fromkeys(f.arn for f in files))
        place = f"in layer {layers}" if files else "under /opt, in none of the collected layers"
        read = _the_file([(f.path, f.data) for f in files], normal.removeprefix("/opt/"))
        if _uncollected_after(case, config, {f.arn for f in files}):
            read = None  # a later layer, not in the case, may ship the copy the SDK reads
        return SdkFile(variable, path, place, tuple(members[:MAX_CITED]), _file(variable, read))
    if normal.startswith(f"{_TASK_ROOT}/"):
        wanted = normal.removeprefix(f"{_TASK_ROOT}/")
        code = _code_members(case, config, wanted)
        if code is None:
            return SdkFile(variable, path, "in the code package, which was not collected")
        members = [ref for ref, _, _ in code if _decides(variable, ref)]
        place = "in the code package" if code else "under /var/task, not in the code package"
        read = _the_file([(unpacked, data) for _, unpacked, data in code], wanted)
        return SdkFile(variable, path, place, tuple(members[:MAX_CITED]), _file(variable, read))
    if normal == "/tmp" or normal.startswith("/tmp/"):  # noqa: S108 - a path we read
        return SdkFile(variable, path, "in /tmp, written by whatever ran in the function")
    return SdkFile(variable, path, "outside the packages lambda-ir collects")


def _code_members(
    case: CaseView, config: FunctionConfig, wanted: str
) -> list[tuple[EvidenceRef, str, bytes]] | None:
    """The code package's members at `wanted` (a file, or a folder's files), each with where
    it unpacks and its bytes; None when the package is not in the case."""
    ref = case.code_blob(config.code_sha256) if config.code_sha256 else None
    if ref is None:
        return None
    return [
        (EvidenceRef(ref.path, ref.sha256, member=member.name), member.path, member.data)
        for member in read_members(case.read_bytes(ref, MAX_LAYER_BYTES))
        if inside(member.path, [wanted])  # `./conf/aws.cfg` unpacks to conf/aws.cfg
    ]


def _uncollected_after(case: CaseView, config: FunctionConfig, providers: set[str]) -> bool:
    """Whether a layer of the function after the last one shipping the file (all of them,
    when none does) is not in the case: its copy, unseen, would be the one the SDK reads."""
    collected = {layer.arn for layer in case.layers if layer.blob is not None}
    order = list(config.layers)
    last = max((n for n, arn in enumerate(order) if arn in providers), default=-1)
    return any(arn not in collected for arn in order[last + 1 :])


def _the_file(unpacked: list[tuple[str, bytes]], wanted: str) -> bytes | None:
    """The bytes of the last copy unpacking at exactly `wanted` (a layer later in the order
    overwrites an earlier one's), None when none does (the path names a folder, or nothing)."""
    copies = [data for path, data in unpacked if path == wanted]
    return copies[-1] if copies else None


def _file(variable: str, read: bytes | None) -> bytes | None:
    """A config or credentials file's bytes; a data folder's are not kept."""
    return read if variable in (CONFIG_FILE, CREDENTIALS_FILE) else None


def _decides(variable: str, ref: EvidenceRef) -> bool:
    """Whether a member is one deciding where calls go: the config file itself, or a data
    folder's endpoint rule set, endpoint or partition data."""
    if variable != DATA_PATH:
        return True
    name = posixpath.basename(ref.member or "").removesuffix(".gz").removesuffix(".json")
    return name in _ENDPOINT_DATA
