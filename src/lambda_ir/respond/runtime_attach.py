"""`runtime attach` / `runtime detach`: put the runtime collector on a function, or take it off.

A respond action like `contain`'s (plan from live reads, evidence first, one custody entry per
call, an undo plan `contain --undo` runs): attach adds the collector layer and three
variables to $LATEST (`AWS_LAMBDA_EXEC_WRAPPER=/opt/lambda-ir/wrapper`, `LAMBDA_IR_BUCKET`,
`LAMBDA_IR_EVERY`); detach removes exactly those, and with a bucket given only from a
function whose `LAMBDA_IR_BUCKET` names that bucket. The layer is this lambda-ir's own build:
an existing `lambda-ir-collector` version with the same SHA-256 is reused, otherwise one is
published at --apply (the only call here without an undo: lambda-ir deletes nothing).
Refused, with the reason, when the function already has another exec wrapper (that is
evidence, not something to overwrite), has five layers, is a container image or does not
run a Python runtime (the collector and its extension need the runtime's python3).
Calls: lambda:GetFunction, ListLayerVersions, GetLayerVersion, PublishLayerVersion,
UpdateFunctionConfiguration. Published versions are immutable and never change.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3

from lambda_ir.aws import ClientFactory, call
from lambda_ir.evidence import Case
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import Kind
from lambda_ir.respond.contain import apply_changes, interrupted
from lambda_ir.respond.execute import Outcome, Status
from lambda_ir.respond.plan import AwsCall, Change, Plan
from lambda_ir.respond.preserve import EvidenceError, preserve
from lambda_ir.respond.target import PlanError, Target, resolve_target
from lambda_ir.runtime.layer import WRAPPER_PATH
from lambda_ir.runtime.upload import Destination

LAYER_NAME = "lambda-ir-collector"
MAX_LAYERS = 5
RECENT_VERSIONS = 20  # layer versions compared by hash before publishing a new one
OWN_VARIABLES = ("AWS_LAMBDA_EXEC_WRAPPER", "LAMBDA_IR_BUCKET", "LAMBDA_IR_EVERY")
PERMISSIONS = (
    "lambda:GetFunction",
    "lambda:ListLayerVersions",
    "lambda:GetLayerVersion",
    "lambda:PublishLayerVersion",
    "lambda:UpdateFunctionConfiguration",
)
PUBLISHED = "(the version --apply publishes)"


@dataclass(frozen=True)
class RuntimeRequest:
    """Attach (or detach) the collector to one function, and whether to change anything."""

    function: str
    region: str
    bucket: str | None  # attach: where snapshots go; detach: checked, when given
    layer_zip: bytes
    now: datetime
    every: int = 0
    detach: bool = False
    apply: bool = False
    # where and how the evidence is collected first, as for `contain` (its `Request`)
    endpoint_url: str | None = None
    quotas: bool = True


@dataclass(frozen=True)
class RuntimeResult:
    """The planned changes, where they are saved, and with --apply what happened."""

    function_arn: str
    run: str
    plan_path: str
    changes: tuple[Change, ...]
    applied: bool = False
    evidence: str = ""
    outcomes: tuple[Outcome, ...] = ()
    undo_path: str | None = None
    in_place: bool = False
    unchecked: str = ""  # why the state after the changes could not be read (then unknown)

    def to_json(self) -> dict[str, Any]:
        return {
            "function": self.function_arn,
            "run": self.run,
            "plan_path": self.plan_path,
            "changes": [change.to_json() for change in self.changes],
            "applied": self.applied,
            "evidence": self.evidence,
            "outcomes": [outcome.to_json() for outcome in self.outcomes],
            "undo_path": self.undo_path,
            "in_place": self.in_place,
            "unchecked": self.unchecked,
        }


def code_sha256(layer_zip: bytes) -> str:
    """Lambda's `CodeSha256` of a zip: base64 of its SHA-256."""
    return base64.b64encode(hashlib.sha256(layer_zip).digest()).decode()


def layer_files(layer_zip: bytes) -> list[str]:
    """`/opt/<file>|<sha256>` of each file of the collector's layer zip, where a function
    running it sees it: `LIR-RT-005` leaves out files of a layer attached here at their very
    paths and bytes, whichever lambda-ir built it (our own zip, read in memory)."""
    with zipfile.ZipFile(io.BytesIO(layer_zip)) as archive:
        return [
            f"/opt/{info.filename}|{hashlib.sha256(archive.read(info)).hexdigest()}"
            for info in archive.infolist()
            if not info.is_dir()
        ]


def find_layer(target: Target, layer_zip: bytes) -> str | None:
    """The ARN of a published `lambda-ir-collector` version holding exactly this zip."""
    versions = target.read_all(
        "lambda", "ListLayerVersions", {"LayerName": LAYER_NAME}, "LayerVersions"
    )
    wanted = code_sha256(layer_zip)
    for version in sorted(versions, key=lambda v: -int(v.get("Version", 0)))[:RECENT_VERSIONS]:
        params = {"LayerName": LAYER_NAME, "VersionNumber": int(version["Version"])}
        found = target.read("lambda", "GetLayerVersion", params)
        if (found.get("Content") or {}).get("CodeSha256") == wanted:
            return str(found["LayerVersionArn"])
    return None


def plan_attach(target: Target, layer_arn: str, bucket: str, every: int) -> list[Change]:
    """The configuration update that attaches the collector; none when already attached."""
    config = target.configuration
    if config.get("PackageType") == "Image":
        raise PlanError("container-image functions take no layers; the collector needs one")
    runtime = str(config.get("Runtime") or "")
    if not runtime.startswith("python3"):
        # The extension is a Python script Lambda starts at every cold start: where no
        # python3 exists it would fail, and with it the function's init.
        raise PlanError(
            f"the collector runs on python3, which only Python runtimes have; this function "
            f"runs {runtime or 'no managed runtime'}: not attached"
        )
    layers = [str(layer["Arn"]) for layer in config.get("Layers") or []]
    variables = dict((config.get("Environment") or {}).get("Variables") or {})
    wrapper = variables.get("AWS_LAMBDA_EXEC_WRAPPER")
    if wrapper not in (None, WRAPPER_PATH):
        raise PlanError(
            f"the function already has AWS_LAMBDA_EXEC_WRAPPER={wrapper!r}: that is evidence "
            "(collect it, look at the layer that holds it); not replaced"
        )
    ours = [arn for arn in layers if _is_ours(arn)]
    kept = [arn for arn in layers if not _is_ours(arn)]
    wanted = {"AWS_LAMBDA_EXEC_WRAPPER": WRAPPER_PATH, "LAMBDA_IR_BUCKET": bucket}
    wanted["LAMBDA_IR_EVERY"] = str(every)
    if ours == [layer_arn] and all(variables.get(k) == v for k, v in wanted.items()):
        return []
    if len(kept) + 1 > MAX_LAYERS:
        raise PlanError(f"the function has {len(kept)} layers; Lambda allows {MAX_LAYERS}")
    after = {"Layers": [*kept, layer_arn], "Environment": {"Variables": variables | wanted}}
    before = {"Layers": layers, "Environment": {"Variables": variables}}
    return [
        Change(
            "runtime-attach",
            f"add layer {layer_arn} and {', '.join(wanted)} to $LATEST"
            + target.latest_only("running without the collector"),
            target.update_latest(after, as_read=True),
            target.update_latest(before, as_read=False),
            "published versions never had the collector",
        )
    ]


def plan_detach(target: Target, bucket: str | None = None) -> list[Change]:
    """The configuration update that removes the collector's layer and variables.

    With `bucket`, only a collector that uploads there: a function whose `LAMBDA_IR_BUCKET`
    names another destination is refused, since that collector is someone else's
    (another responder's, or an attacker's look-alike: evidence) or the wrong function.
    """
    config = target.configuration
    layers = [str(layer["Arn"]) for layer in config.get("Layers") or []]
    variables = dict((config.get("Environment") or {}).get("Variables") or {})
    check_bucket(target.name, variables.get("LAMBDA_IR_BUCKET"), bucket)
    own = [k for k in OWN_VARIABLES if k in variables]
    if variables.get("AWS_LAMBDA_EXEC_WRAPPER", WRAPPER_PATH) != WRAPPER_PATH:
        own.remove("AWS_LAMBDA_EXEC_WRAPPER")  # someone else's wrapper is not ours to remove
    ours = [arn for arn in layers if _is_ours(arn)]
    if not own and not ours:
        return []
    kept_vars = {k: v for k, v in variables.items() if k not in own}
    after = {
        "Layers": [arn for arn in layers if not _is_ours(arn)],
        "Environment": {"Variables": kept_vars},
    }
    before = {"Layers": layers, "Environment": {"Variables": variables}}
    what = [*ours, *own]
    return [
        Change(
            "runtime-detach",
            f"remove {', '.join(what)} from $LATEST" + target.latest_only("its collector"),
            target.update_latest(after, as_read=True),
            target.update_latest(before, as_read=False),
        )
    ]


def check_bucket(name: str, attached: str | None, given: str | None) -> None:
    """Refuse a detach whose `--bucket` is not the destination the function's collector
    uploads to (`s3://b/p` and `s3://b/p/` are the same); nothing to check without either."""
    if not given or attached is None or _destination(attached) == _destination(given):
        return
    raise PlanError(
        f"the collector on {name} uploads to LAMBDA_IR_BUCKET={attached!r}, not {given}: "
        "not detached (check the function and the bucket; without --bucket, detach removes "
        "the collector whatever its bucket)"
    )


def _destination(url: str) -> tuple[str, str] | str:
    try:
        where = Destination.from_url(url, "")
    except ValueError:
        return url  # not an s3:// URL: compared as written
    return where.bucket, where.prefix


def run_runtime(
    case: Case, clients: ClientFactory, session: boto3.Session, request: RuntimeRequest
) -> RuntimeResult:
    """Plan (and with `request.apply`, make) the attach or detach of one function."""
    target = resolve_target(clients, request.function, request.region, request.now)
    verb = "runtime-detach" if request.detach else "runtime-attach"
    run = f"respond/{request.now.strftime('%Y%m%dT%H%M%SZ')}-{path_segment(target.name)}-{verb}-"
    run += secrets.token_hex(4)
    layer, changes = _planned(target, request)
    shown = _shown(request, layer, changes)
    if not request.apply or not changes:
        plan_path = _save_plan(case, run, target, request, shown)
        case.log(f"{verb}-plan", {"run": run, "plan": plan_path, "changes": len(shown)})
        return RuntimeResult(
            target.function.arn, run, plan_path, tuple(shown), in_place=not changes
        )
    try:
        evidence = preserve(
            case, session, target.function, endpoint_url=request.endpoint_url, quotas=request.quotas
        )
    except EvidenceError as exc:
        plan_path = _save_plan(case, run, target, request, shown)
        case.log(f"{verb}-stopped", {"run": run, "plan": plan_path, "reason": str(exc)})
        raise
    return _apply(case, clients, request, run, evidence)


def _apply(
    case: Case, clients: ClientFactory, request: RuntimeRequest, run: str, evidence: str
) -> RuntimeResult:
    """Once the evidence is saved, which takes a while: read the function again and decide
    everything from that read (whether to publish; the update, naming its RevisionId; the
    undo), so a layer, a wrapper or the collector itself added meanwhile is seen before
    anything is written; then publish, update, read back and record."""
    verb = "runtime-detach" if request.detach else "runtime-attach"
    try:
        target = resolve_target(clients, request.function, request.region, request.now)
        layer, changes = _planned(target, request)
    except PlanError as exc:  # the evidence is saved; nothing was changed
        case.log(f"{verb}-stopped", {"run": run, "reason": str(exc)})
        raise
    plan_path = _save_plan(case, run, target, request, _shown(request, layer, changes))
    case.log(f"{verb}-start", {"run": run, "plan": plan_path, "evidence": evidence})
    published: tuple[Outcome, ...] = ()
    if _publishes(request, layer, changes):
        layer = _publish(case, clients, request, run)
        published = (Outcome(_publish_change(request, layer), Status.APPLIED),)
        changes = _plan(target, request, layer)  # the same read, with the version's ARN
    plan = Plan(target.function.arn, request.region)
    outcomes, undo_path = apply_changes(case, clients, plan, changes, run=run, done=published)
    try:
        left, unchecked, reads = _left(clients, request, layer or PUBLISHED)
        if reads:  # what `--undo` compares the function with before it puts anything back
            _save(case, f"{run}/after.json", {"reads": reads})
    except BaseException as exc:  # Ctrl-C while reading back: the changes and undo stand
        exc.add_note(interrupted(case, run, undo_path, outcomes, type(exc).__name__))
        raise
    result = RuntimeResult(
        target.function.arn,
        run,
        plan_path,
        tuple(outcome.change for outcome in outcomes),
        True,
        evidence,
        outcomes,
        undo_path,
        in_place=not left and not unchecked,
        unchecked=unchecked,
    )
    _save(case, f"{run}/result.json", result.to_json())
    case.log(f"{verb}-done", _done(request, run, result, layer))
    return result


def _done(
    request: RuntimeRequest, run: str, result: RuntimeResult, layer: str | None
) -> dict[str, Any]:
    done: dict[str, Any] = {"run": run, "undo": result.undo_path, "in_place": result.in_place}
    if not request.detach and layer:
        # what analysis recognises as lambda-ir's own layer (analyze/own_footprints.py)
        done |= {
            "layer": layer,
            "code_sha256": code_sha256(request.layer_zip),
            "files": layer_files(request.layer_zip),
        }
    return done


def _planned(target: Target, request: RuntimeRequest) -> tuple[str | None, list[Change]]:
    """This build's published layer version (None: to publish; detach: none) and the
    changes planned from `target`'s read."""
    layer = None if request.detach else find_layer(target, request.layer_zip)
    return layer, _plan(target, request, layer or PUBLISHED)


def _shown(request: RuntimeRequest, layer: str | None, changes: list[Change]) -> list[Change]:
    """The changes as the plan lists them: the publish first when one is needed."""
    return ([_publish_change(request)] if _publishes(request, layer, changes) else []) + changes


def _publishes(request: RuntimeRequest, layer: str | None, changes: list[Change]) -> bool:
    """Whether the attach must publish the collector first (no version of this build yet)."""
    return not request.detach and layer is None and bool(changes)


def _save_plan(
    case: Case, run: str, target: Target, request: RuntimeRequest, shown: list[Change]
) -> str:
    """`plan.json` (the changes) and `before.json` (the reads they were planned from)."""
    document = {"function": target.function.arn, "changes": [c.to_json() for c in shown]}
    plan_path = _save(case, f"{run}/plan.json", document | {"apply": request.apply})
    _save(case, f"{run}/before.json", {"reads": [read.to_json() for read in target.reads]})
    return plan_path


def _left(
    clients: ClientFactory, request: RuntimeRequest, layer: str
) -> tuple[list[Change], str, list[dict[str, Any]]]:
    """What is still to change after the run, read again, and the reads; or why it could not
    be read (the changes stand and their undo is saved: the state is unknown, never
    "failed")."""
    try:
        after = resolve_target(clients, request.function, request.region, request.now)
        left = _plan(after, request, layer)
    except PlanError as exc:
        return [], f"could not check: {exc}", []
    return left, "", [read.to_json() for read in after.reads]


def _plan(target: Target, request: RuntimeRequest, layer: str) -> list[Change]:
    if request.detach:
        return plan_detach(target, request.bucket)
    if not request.bucket:
        raise PlanError("attach needs the bucket the snapshots go to (--bucket s3://…)")
    return plan_attach(target, layer, request.bucket, request.every)


def _publish_change(request: RuntimeRequest, published: str = "") -> Change:
    params = {
        "LayerName": LAYER_NAME,
        "Description": "lambda-ir runtime collector",
        "Content": {
            "ZipFile": f"<{len(request.layer_zip)} bytes, CodeSha256 "
            f"{code_sha256(request.layer_zip)}>"
        },
    }
    return Change(
        "runtime-attach",
        f"publish the collector as {published}"
        if published
        else f"publish the collector as a new {LAYER_NAME} layer version",
        AwsCall("lambda", "PublishLayerVersion", params),
        None,
        "the layer version stays in the account (lambda-ir deletes nothing)",
    )


def _publish(case: Case, clients: ClientFactory, request: RuntimeRequest, run: str) -> str:
    params: dict[str, Any] = {
        "LayerName": LAYER_NAME,
        "Description": "lambda-ir runtime collector",
        "Content": {"ZipFile": request.layer_zip},
    }
    response = call(clients.client("lambda", request.region), "PublishLayerVersion", params)
    arn = str(response["LayerVersionArn"])
    sha = (response.get("Content") or {}).get("CodeSha256")
    case.log("runtime-layer-published", {"run": run, "layer": arn, "code_sha256": sha})
    if sha != code_sha256(request.layer_zip):
        raise PlanError(f"{arn} holds CodeSha256 {sha}, not the collector's; nothing attached")
    return arn


def _is_ours(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) >= 7 and parts[5] == "layer" and parts[6] == LAYER_NAME


def _save(case: Case, relpath: str, document: dict[str, Any]) -> str:
    # What AWS returned (before/after) is kept as returned; plans, results and undo are ours,
    # quoting the evidence (environment values...): nothing raw a terminal would run.
    composed = not relpath.endswith(("/before.json", "/after.json"))
    entry = case.put_json(relpath, document, kind=Kind.RESPONSE.value, composed=composed)
    return entry.path or relpath
