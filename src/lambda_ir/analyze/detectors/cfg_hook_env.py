"""LIR-CFG-002: runtime-hook environment variables, with the file they load found in a layer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lambda_ir.analyze.attribution import config_event
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.hook_files import (
    LayerFile,
    inside,
    module_files,
    node_candidates,
    opt_members,
    resolve,
    shadowing_layer,
    unshipped,
)
from lambda_ir.analyze.hooks import (
    ALWAYS,
    argument_paths,
    hook_paths,
    is_hook,
    outside_code,
    outside_kind,
    required_modules,
    variable_paths,
)
from lambda_ir.analyze.own_footprints import WRAPPER, OwnLayer, named_like_ours, own_layer
from lambda_ir.analyze.user_site import runs_at_start, user_site
from lambda_ir.analyze.values import FunctionConfig
from lambda_ir.analyze.vendors import HookCheck, LayerMatch
from lambda_ir.analyze.versions import group_finding, group_versions
from lambda_ir.analyze.yara_scan import compile_rules, new_scanner, scan
from lambda_ir.model import EvidenceRef, Finding, Kind, Severity

MAX_RESOLVED = 50  # files named by one variable that are scanned and cited

INFO = DetectorInfo(
    id="LIR-CFG-002",
    title="Runtime hook in environment variables",
    severity=Severity.HIGH,
    attack=("T1574", "T1546"),
    evidence=(Kind.FUNCTION_VERSIONS, Kind.FUNCTION),
    references=(
        "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html",
        "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
    ),
    false_positives=(
        "APM agents installed as layers with a wrapper: a wrapper or hook that a known vendor "
        "documents, loading nothing else, with that vendor's genuine layer attached and the "
        "last to ship the file, is INFO (vendors.json); "
        "lambda-ir's own wrapper is INFO when `runtime attach` recorded that very layer "
        "(ARN and CodeSha256) in this case."
    ),
)


@dataclass(frozen=True)
class Verdict:
    """What the vendor catalogue and lambda-ir's own record make of one hook, before YARA."""

    severity: Severity
    note: str
    check: HookCheck
    shadowed_by: LayerMatch | None = None
    own: OwnLayer | None = None
    unshipped: tuple[str, ...] = ()  # documented /opt targets no layer of the function ships

    @property
    def vendor(self) -> str | None:
        """The vendor vouching for the whole hook, when one does."""
        vendor = self.check.vendor
        vouched = (
            vendor is not None
            and self.check.whole
            and self.shadowed_by is None
            and not self.unshipped
        )
        return vendor.name if vouched and vendor is not None else None


def _scan(case: CaseView, files: list[LayerFile]) -> list[str]:
    if not files:
        return []
    scanner = new_scanner(compile_rules(case.options.yara_dirs))
    return sorted({f"{m.rule} in {f.ref.member}" for f in files for m in scan(scanner, f.data)})


def detect(case: CaseView) -> Iterator[Finding]:
    """Variables such as AWS_LAMBDA_EXEC_WRAPPER, NODE_OPTIONS --require, LD_PRELOAD.

    The files they load are looked up in the function's layers and scanned with the YARA-X
    rules; a match makes the finding CRITICAL.
    """
    items = [
        (config, f"{name}={value}")
        for config in case.functions
        for name, value in config.environment.items()
        if is_hook(name, value) and name not in case.options.allowed_names
    ]
    for group in group_versions(items):
        config = group.first
        name, value = group.key.split("=", 1)
        paths, found = _loaded(case, config, name, value)
        files = found[:MAX_RESOLVED]
        matches = _scan(case, files)
        members = [f.ref for f in files]
        where = _where(name, paths, members)
        if matches:
            where += "; YARA: " + ", ".join(matches)
        verdict = _judge(case, config, name, value, found)
        yield group_finding(
            INFO,
            group,
            severity=Severity.CRITICAL if matches else verdict.severity,
            extra_evidence=tuple(members),
            cause=config_event(case, config, "environment", name),
            summary=(
                f"{name}={value} on {config.ref.name} (versions {', '.join(group.versions)}) "
                f"runs extra code when the runtime starts{where}{verdict.note}; inspect that file."
            ),
            details={
                "variable": name,
                "value": value,
                "resolved": [m.member for m in members],
                "yara": matches,
                "vendor": verdict.vendor,
                "undocumented": list(verdict.check.undocumented) if verdict.check.vendor else [],
                "shadowed_by": verdict.shadowed_by.arn if verdict.shadowed_by else None,
                "not_shipped": list(verdict.unshipped),
                "lambda_ir_layer": verdict.own.arn if verdict.own else None,
            },
        )


def _loaded(
    case: CaseView, config: FunctionConfig, name: str, value: str
) -> tuple[list[str], list[LayerFile]]:
    """The /opt and /tmp paths a hook loads from, and the layer files there that it runs.
    NODE_OPTIONS `--require`s a path as Node does (`…/handler` is `…/handler.js`);
    PYTHONUSERBASE runs its user site's start-up files (`user_site.runs_at_start`), not
    every library there."""
    if name.upper() == "PYTHONUSERBASE" and (site := user_site(value, config.runtime)):
        folders = opt_members([site])
        found = resolve(case, config, [site])
        return [site], [
            f for f in found if any(runs_at_start(f.path, folder) for folder in folders)
        ]
    paths = variable_paths(name, value)
    extra = node_candidates(paths) if name.upper() == "NODE_OPTIONS" else []
    return paths, resolve(case, config, [*paths, *extra])


def _where(name: str, paths: list[str], members: list[EvidenceRef]) -> str:
    """Where the summary says the hook's files are: the layer files, or what was not found."""
    if members:
        return "; it loads " + ", ".join(f"{m.member} from a layer" for m in members)
    if not paths:
        return ""
    if name.upper() == "PYTHONUSERBASE":
        return f"; no layer of the function has a .pth file or usercustomize in {paths[0]!r}"
    return f"; {', '.join(map(repr, paths))} was not found in the function's layers"


def _judge(
    case: CaseView, config: FunctionConfig, name: str, value: str, found: list[LayerFile]
) -> Verdict:
    """INFO for lambda-ir's recorded wrapper and for a hook a vendor vouches for whole (every
    target documented, the vendor's own layer the last to ship the file). Otherwise what no
    attached vendor documents is judged as any hook: HIGH for a variable whose only use is
    injection, a file found in a layer or a path in /tmp, code from no file (a `data:` or
    `http(s):` URL, a debugger dialling out), or a vendor's file shadowed by a later layer;
    MEDIUM for the rest."""
    check = case.vendors.check_hook(name, value, config.layers, config.ref.account)
    own = _own_wrapper(case, config, name, value)
    if own is not None:
        note = f"; the {own.describe()} (layer {own.arn}, CodeSha256 {own.code_sha256})"
        return Verdict(Severity.INFO, note, check, own=own)
    required = required_modules(name, value)
    modules = module_files(case, config, tuple(t for t in check.documented if t in required))
    shadow = shadowing_layer(case, config, name, check, [*found, *modules])
    vendor = check.vendor
    missing = unshipped(case, config, name, check, found)
    if vendor is not None and check.whole and shadow is None and not missing:
        note = f"; {vendor.name} documents this hook and its own layer is attached"
        return Verdict(Severity.INFO, note, check)
    judged = check.undocumented if vendor is not None else (value,)
    # NODE_OPTIONS' targets are whole arguments (`load_targets`); other values path lists
    read = argument_paths if name.upper() == "NODE_OPTIONS" else hook_paths
    extra = opt_members([p for t in judged for p in read(t)])
    outside = outside_code(name, value)
    high = (
        name.upper() in ALWAYS
        or shadow is not None
        or bool(missing)
        or any(inside(f.path, extra) for f in found)
        or any("/tmp" in t for t in judged)  # noqa: S108 - a value we read
        or bool(outside)
    )
    severity = Severity.HIGH if high else Severity.MEDIUM
    note = _outside_note(outside)
    if vendor is not None and shadow is not None:
        note += (
            f"; {vendor.name} documents this hook, but the file that runs comes from layer "
            f"{shadow.arn} ({shadow.describe()}), the last of the function's layers to ship "
            f"it, not from {vendor.name}'s own (layers unpack into /opt in order, a later "
            "layer's file replacing an earlier one's)"
        )
    if value == WRAPPER or any(named_like_ours(arn) for arn in config.layers):
        note += (
            "; it looks like lambda-ir's runtime collector, but no `runtime attach` in this "
            "case recorded this layer and CodeSha256: a look-alike of our own tool"
        )
        severity = Severity.HIGH
    elif vendor is not None and missing:
        note += (
            f"; {vendor.name} documents {', '.join(missing)}, but none of the function's layers "
            "ships it (their packages are in the case): the vendor's attached layer does not "
            "provide this hook"
        )
    elif vendor is not None and check.undocumented:
        extra_targets = ", ".join(t or "(a flag without its target)" for t in check.undocumented)
        note += f"; {vendor.name} documents {', '.join(check.documented)}, not {extra_targets}"
    elif vendor is None and name.upper() == "AWS_LAMBDA_EXEC_WRAPPER":
        note += "; no attached known vendor layer provides this wrapper"
    return Verdict(severity, note, check, shadow, unshipped=tuple(missing))


def _outside_note(outside: tuple[str, ...]) -> str:
    """What code from no file means for the responder (a `data:` or `http(s):` target, a
    debugger dialling out): no layer or package holds it, so nothing can vouch for it."""
    if not outside:
        return ""
    kinds = ", ".join(dict.fromkeys(outside_kind(target) for target in outside))
    return f"; it loads {kinds}: code in no file of the function or its layers"


def _own_wrapper(case: CaseView, config: FunctionConfig, name: str, value: str) -> OwnLayer | None:
    """lambda-ir's own exec wrapper, with the layer `runtime attach` recorded attached."""
    if name.upper() != "AWS_LAMBDA_EXEC_WRAPPER" or value != WRAPPER:
        return None
    return own_layer(case, config.layers)


DETECTOR = Detector(INFO, detect)
