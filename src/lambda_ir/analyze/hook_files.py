"""The layer files a start-up hook points at, and which layer's copy of a file runs.

Lambda extracts a function's layers into /opt in the order its configuration lists them, so
when two layers ship the same path the later layer's file is the one on disk. A vendor's
documented wrapper vouches for nothing if another layer, listed after the vendor's, ships a
file of the same name: that is the file the runtime starts.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from lambda_ir.analyze.archive import read_members
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.hooks import module_paths
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.analyze.vendors import HookCheck, LayerKind, LayerMatch
from lambda_ir.model import EvidenceRef

MAX_LAYER_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class LayerFile:
    """A file a hook points at, in the layer (`arn`) whose package holds it: `ref` cites the
    member as the zip names it, `path` is where it unpacks under /opt (what is matched)."""

    arn: str
    ref: EvidenceRef
    data: bytes
    path: str


def opt_members(paths: list[str] | tuple[str, ...]) -> list[str]:
    """The package members that /opt paths name, normalised (`/opt/a//b/../c` is `a/c`)."""
    normal = (posixpath.normpath(p) for p in paths if p.startswith("/opt/"))
    return [p.removeprefix("/opt/") for p in normal if p.startswith("/opt/")]


def inside(member: str, wanted: list[str]) -> bool:
    """True when package member `member` is one of `wanted` or in a folder of them."""
    return any(member == w or member.startswith(w + "/") for w in wanted)


def resolve(case: CaseView, config: FunctionConfig, paths: list[str]) -> list[LayerFile]:
    """Layer files that /opt paths point at (layers unpack into /opt); a folder gives its files.
    In the configuration's layer order, every copy: which one runs is the last's."""
    found: list[LayerFile] = []
    layers = {layer.arn: layer for layer in case.layers}
    wanted = opt_members(paths)
    for arn in config.layers:
        layer = layers.get(arn)
        if layer is None or layer.blob is None or not wanted:
            continue
        for member in read_members(case.read_bytes(layer.blob, MAX_LAYER_BYTES)):
            if inside(member.path, wanted):  # `./bin/wrapper` unpacks to /opt/bin/wrapper
                ref = EvidenceRef(layer.blob.path, layer.blob.sha256, member=member.name)
                found.append(LayerFile(arn, ref, member.data, member.path))
    return found


# What Node's `require(X)` tries for a path X, in its order (LOAD_AS_FILE, then
# LOAD_AS_DIRECTORY): X as a file, X with each extension, then X as a folder.
NODE_EXTENSIONS = (".js", ".json", ".node")


def node_candidates(paths: list[str]) -> list[str]:
    """The files Node may load for `--require` /opt paths besides the paths themselves
    (`…/handler` loads `…/handler.js`): each path with each of NODE_EXTENSIONS."""
    return [p + ext for p in paths if p.startswith("/opt/") for ext in NODE_EXTENSIONS]


def shadowing_layer(
    case: CaseView, config: FunctionConfig, name: str, check: HookCheck, files: list[LayerFile]
) -> LayerMatch | None:
    """The layer whose copy of a documented /opt target of variable `name` runs, when it is not
    the layer of a vendor documenting that target (from the vendor's publisher account). None
    when such a layer is the last to ship every target, or when no collected package ships
    one (the packages cannot tell then)."""
    for target in check.documented:
        for wanted, exact in _load_order(name, target, config.runtime):
            providers = [f.arn for f in files if _provides(f.path, wanted, exact)]
            if not providers:
                continue
            last = case.vendors.layer(providers[-1], config.ref.account)
            vouched = last.vendor is not None and last.vendor.documents(name, target)
            if last.kind is not LayerKind.VENDOR or not vouched:
                return last
            break  # the first folder that has it is the one that loads
    return None


def unshipped(
    case: CaseView, config: FunctionConfig, name: str, check: HookCheck, files: list[LayerFile]
) -> list[str]:
    """The documented /opt wrapper (`AWS_LAMBDA_EXEC_WRAPPER`, `name`) that none of the
    function's layers ships, when every layer's package is in the case (else the packages
    cannot tell, and none is named). A vendor documenting `/opt/otel-handler` vouches for
    nothing on a function whose layers hold no such file: its attached layer (ADOT for Python
    ships `otel-instrument`) does not provide it, and /opt holds nothing but the layers'
    files. The wrapper is a file's exact path; a `--require` target is not (Node adds `.js`,
    `/index.js`): those are left to `shadowing_layer`."""
    if name.upper() != "AWS_LAMBDA_EXEC_WRAPPER":
        return []
    stored = {layer.arn for layer in case.layers if layer.blob is not None}
    if not config.layers or any(arn not in stored for arn in config.layers):
        return []
    return [
        target
        for target in check.documented
        if (wanted := opt_members([target])) and not any(inside(f.path, wanted) for f in files)
    ]


def module_files(
    case: CaseView, config: FunctionConfig, targets: tuple[str, ...]
) -> list[LayerFile]:
    """The layer files of the packages bare Node module names load from (`hooks.module_paths`;
    `require`d ones: `hooks.required_modules`), for `shadowing_layer` to tell whose runs."""
    paths = [p for target in targets for p in module_paths(target, config.runtime)]
    return resolve(case, config, paths) if paths else []


def _load_order(name: str, target: str, runtime: str) -> list[tuple[list[str], bool]]:
    """The package members a documented target may load, in the order the runtime looks, each
    with whether only the exact member counts (else a folder's files too): an /opt path is
    one, but NODE_OPTIONS `--require`s it as Node does (the file, the file with `.js`,
    `.json`, `.node`, then the folder: a later layer's `handler.js` runs for `…/handler`,
    and a `newrelic.js` before New Relic's `newrelic/`); a bare Node module name is its
    package's folder in each layer node_modules folder of NODE_PATH, the first with the
    package winning."""
    if wanted := opt_members([target]):
        if name.upper() != "NODE_OPTIONS" or target.endswith("/"):  # Node: a folder only
            return [(wanted, False)]
        base = wanted[0]
        files = [([base], True)] + [([base + ext], True) for ext in NODE_EXTENSIONS]
        return [*files, (wanted, False)]
    return [(opt_members([path]), False) for path in module_paths(target, runtime)]


def _provides(member: str, wanted: list[str], exact: bool) -> bool:
    return member in wanted if exact else inside(member, wanted)
