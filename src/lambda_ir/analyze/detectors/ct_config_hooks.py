"""LIR-CT-003: configuration changes that add layers or runtime-hook environment variables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from lambda_ir.analyze.baseline import Novelty, parse_time, who_severity
from lambda_ir.analyze.baseline_sql import iter_judged
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo
from lambda_ir.analyze.hooks import is_hook
from lambda_ir.analyze.incidents import GAP_HOURS
from lambda_ir.analyze.own_footprints import (
    LayerCall,
    OwnLayer,
    attach_calls,
    named_like_ours,
    own_layer,
)
from lambda_ir.analyze.trail_rows import EventGroup, TrailRow, group_finding
from lambda_ir.analyze.unknowns import as_text, member, members
from lambda_ir.analyze.vendors import LayerKind, LayerMatch
from lambda_ir.model import Finding, Kind, Severity

_NONE: MappingProxyType[str, Any] = MappingProxyType({})  # a body no longer needed

INFO = DetectorInfo(
    id="LIR-CT-003",
    title="Layer or runtime hook added to a function",
    severity=Severity.MEDIUM,
    attack=("T1546", "T1574"),
    evidence=(Kind.TRAIL,),
    references=(
        "https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-layer-extension/",
        "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html",
    ),
    false_positives=(
        "Deployments that add vendor layers: a known vendor's layer from its own account, "
        "attached along an established path, is INFO; so is lambda-ir's own `runtime attach` "
        "call, when the case's custody recorded that very call (function, layers, time) and "
        "its layer version and CodeSha256."
    ),
)


def layer_arns(row: TrailRow) -> list[str]:
    """Layer ARNs a call set, from the request or, when CloudTrail omits them, the response.
    An update whose request names no `layers` set none: its response lists the layers the
    function had already (a timeout change answers with them all)."""
    return [] if _untouched(row, "layers") else layers_after(row)


def layers_after(row: TrailRow) -> list[str]:
    """The layers the function has after the call: its request's, else its response's."""
    found: list[str] = [as_text(a) for a in members(row.request, "layers") if a]
    for layer in members(row.response, "layers"):
        arn = layer.get("arn") if isinstance(layer, dict) else layer
        if arn and as_text(arn) not in found:
            found.append(as_text(arn))
    return found


def hook_names(row: TrailRow) -> list[str]:
    """Hook environment variables a call set (CloudTrail often omits env values); none when
    an update's request names no `environment`."""
    if _untouched(row, "environment"):
        return []
    out: list[str] = []
    for source in (row.request, row.response):
        env = member(member(source, "environment"), "variables")
        out.extend(n for n, v in env.items() if is_hook(str(n), str(v)) and n not in out)
    return out


def _untouched(row: TrailRow, setting: str) -> bool:
    """Whether an UpdateFunctionConfiguration left `setting` as it was: its request (as
    CloudTrail logged it) names other settings but not this one. CloudTrail names each
    setting a call sends (`"environment": {}` with its values hidden), so a request that
    sends a timeout and a handler and no `layers` did not set layers. A request naming only
    the function tells nothing (Panther's labelled cases log layer changes so): then the
    response, against the function's previous call, decides."""
    return (
        row.operation == "UpdateFunctionConfiguration"
        and bool(set(row.request) - {"functionName"})
        and setting not in row.request
    )


def _severity(
    row: TrailRow, matches: list[LayerMatch], hooks: list[str], novelty: Novelty
) -> tuple[Severity, str]:
    """Look-alike layers are HIGH whoever attached them; unknown foreign layers and hooks
    HIGH off the established paths (MEDIUM on them); own and known vendors' layers are judged
    by who attached them (INFO on an established path)."""
    if any(m.kind is LayerKind.LOOKALIKE for m in matches):
        return Severity.HIGH, "a look-alike of a known vendor's layer"
    if hooks or any(m.kind is LayerKind.UNKNOWN for m in matches):
        return (Severity.MEDIUM if novelty.established else Severity.HIGH), "unknown code"
    fallback = Severity.MEDIUM if row.is_human and not row.by_deploy_tool else Severity.LOW
    return who_severity(fallback, novelty), "own or known vendors' layers"


def _runtime_attach(
    case: CaseView, row: TrailRow, matches: list[LayerMatch], hooks: list[str]
) -> LayerCall | None:
    """The call as a candidate for lambda-ir's own `runtime attach` (judged by
    `own_footprints.attach_calls`): it adds only our layer and wrapper beside the function's
    own-account or known vendors' layers."""
    if set(hooks) - {"AWS_LAMBDA_EXEC_WRAPPER"} or not any(named_like_ours(m.arn) for m in matches):
        return None
    if any(m.kind in (LayerKind.LOOKALIKE, LayerKind.UNKNOWN) for m in matches):
        own = own_layer(case, [m.arn for m in matches])
        if own is None or any(
            m.kind in (LayerKind.LOOKALIKE, LayerKind.UNKNOWN) and m.arn != own.arn for m in matches
        ):
            return None
    layers = tuple(m.arn for m in matches)
    return LayerCall(
        row.event_id, row.function_name, layers, row.time, row.actor.arn, row.actor.user_agent
    )


# A call that set layers or hooks: the row, its verdict, severity, why, layers (and what the
# catalogue says of each) and hooks.
_Call = tuple[TrailRow, Novelty, Severity, str, list[str], list[LayerMatch], list[str]]


def detect(case: CaseView) -> Iterator[Finding]:
    """UpdateFunctionConfiguration/CreateFunction calls that attach layers or hook variables;
    each layer is checked against the vendor catalogue, each caller against the baseline."""
    rows = iter_judged(  # a batch at a time: of each call only what a finding needs is kept
        case,
        "operation IN ('UpdateFunctionConfiguration', 'CreateFunction') "
        "AND event_source = ? AND error_code IS NULL",
        ["lambda.amazonaws.com"],
    )
    attached: dict[tuple[str, str, str], list[str]] = {}
    calls = []
    for row, novelty in rows:
        layers, hooks = layer_arns(row), hook_names(row)
        # A call that did not name layers (a timeout change) answers with those already
        # attached: the same list as the function's previous call means none was set.
        # What the function has after each call is remembered, set by it or not: a settings
        # update between two calls must not make the second's answer look like a change.
        before = attached.get((row.account, row.region, row.function_name))
        attached[(row.account, row.region, row.function_name)] = layers_after(row)
        if "layers" not in row.request and before is not None and before == layers:
            layers = []
        if layers or hooks:  # the request and response are read: not kept
            matches = [case.vendors.layer(arn, row.account) for arn in layers]
            calls.append((_bodiless(row), novelty, layers, matches, hooks))
    candidates = [_runtime_attach(case, row, matches, hooks) for row, _, _, matches, hooks in calls]
    ours = attach_calls(case, [c for c in candidates if c is not None])
    # Like calls (one principal, function, layers, hooks and verdict) of one session become
    # one finding: the same layer set again days later is another incident's step.
    like: dict[tuple[Any, ...], list[_Call]] = {}
    found: list[list[_Call]] = []  # the sessions, in the order of their first calls
    for row, novelty, layers, matches, hooks in calls:
        severity, what = _severity(row, matches, hooks, novelty)
        own = not hooks and all(m.kind is LayerKind.OWN for m in matches)
        if own and row.by_deploy_tool and severity.rank <= Severity.LOW.rank:
            continue  # an own-account layer deployed by IaC: a release
        if row.event_id in ours:
            severity = Severity.INFO
            what = f"lambda-ir's `runtime attach`: the {ours[row.event_id].describe()}"
        key = (
            row.principal,
            row.function_arn,
            row.operation,
            tuple(layers),
            tuple(hooks),
            severity,
            what,
            novelty.judged,
            novelty.service,
            novelty.new,
        )
        call = (row, novelty, severity, what, layers, matches, hooks)
        session = like.get(key)
        if session is None or _gap(session[-1][0], row) > timedelta(hours=GAP_HOURS):
            like[key] = session = []
            found.append(session)
        session.append(call)
    for session in found:
        yield _finding(session, ours.get(session[0][0].event_id))


def _gap(earlier: TrailRow, later: TrailRow) -> timedelta:
    """How long after `earlier` the `later` call came (none when either has no time)."""
    first, then = parse_time(earlier.time), parse_time(later.time)
    return then - first if first and then else timedelta(0)


def _bodiless(row: TrailRow) -> TrailRow:
    """The row without its request and response."""
    return row._replace(request=_NONE, response=_NONE)


def _finding(found: list[_Call], attach: OwnLayer | None) -> Finding:
    """One finding for like calls, in the words of the first; `attach` when they are
    lambda-ir's own `runtime attach` call (named in `details.runtime_attach`)."""
    row, novelty, severity, what, layers, matches, hooks = found[0]
    parts = []
    if layers:
        parts.append("layers " + "; ".join(f"{m.arn} ({m.describe()})" for m in matches))
    if hooks:
        parts.append("runtime-hook variables " + ", ".join(hooks))
    group = EventGroup(
        first=row,
        extra=(),
        event_ids=tuple(r.event_id for r, *_ in found),
        evidence=tuple(r.evidence for r, *_ in found),
        operations=(row.operation,),
        last=found[-1][0].time,
        addresses=tuple(sorted({r.actor.source_ip for r, *_ in found if r.actor.source_ip})),
        access_keys=tuple(
            sorted({r.actor.access_key_id for r, *_ in found if r.actor.access_key_id})
        ),
    )
    return group_finding(
        INFO,
        group,
        severity=severity,
        summary=(
            f"{row.actor.name} set {' and '.join(parts)} on {row.function_label} "
            f"({row.operation}): {what}; {novelty.phrase()}."
        ),
        details={
            "layers": layers,
            "layer_kinds": {m.arn: m.kind.value for m in matches},
            "hook_variables": hooks,
            "baseline": novelty.to_json(),
        }
        | _attach_details(attach),
    )


def _attach_details(attach: OwnLayer | None) -> dict[str, Any]:
    """Which `runtime attach` the call was (custody's record): `own_footprints.is_own` keeps
    such a finding, so the responder sees their own change as theirs."""
    if attach is None:
        return {}
    layer = {"layer": attach.arn, "code_sha256": attach.code_sha256}
    return {"runtime_attach": layer | {"attached_by": attach.who, "attached_at": attach.when}}


DETECTOR = Detector(INFO, detect)
