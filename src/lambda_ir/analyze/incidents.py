"""Correlate findings into incidents: one actor's steps close in time, across functions.

*Activity* findings (a call someone made: they carry an actor and a time) are grouped by
actor — the role for assumed-role sessions, the user, or the access key — and split where the
actor was quiet for more than `GAP_HOURS`. An aggregated finding (like calls over days: a
count, first and last time) is placed at its first call and stretches its incident's `last`.
Each group's steps are put in order and named by phase (recon, modification, persistence,
evasion); recon followed by a change is the shape of an intrusion and raises the incident to
at least HIGH when any step was MEDIUM or more. An actor's purely informational groups
(releases along established paths) fold into one "routine activity" incident. *Exposure*
findings (posture: a URL that has always been public, a broad role, a gap in the evidence)
are grouped per resource, apart from activity.

Incidents are ordered most severe first, activity before exposure at equal severity, then
by score; every finding gets the id of the incident that holds it. `actions` are the
`contain` actions that fit, as `lambda-ir contain --incident ID` reads them (collect and
verify the evidence first: containment changes what it would show).
"""

from __future__ import annotations

import functools
import hashlib
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from lambda_ir.analyze.baseline import STRONG, parse_time
from lambda_ir.analyze.baseline_tools import principal_of
from lambda_ir.model import FOREIGN_CALLER, Actor, Finding, FunctionRef, Severity

INCIDENTS_FILE = "incidents.json"
GAP_HOURS = 8
WEIGHT = {
    Severity.INFO: 0.0,
    Severity.LOW: 1.0,
    Severity.MEDIUM: 3.0,
    Severity.HIGH: 10.0,
    Severity.CRITICAL: 40.0,
}
PHASES = {
    "LIR-CT-007": "recon",
    "LIR-CT-001": "persistence",
    "LIR-CT-002": "persistence",
    "LIR-CT-005": "persistence",
    "LIR-CT-006": "persistence",
    "LIR-CT-011": "persistence",
    "LIR-CFG-004": "persistence",
    "LIR-CFG-005": "persistence",
    "LIR-CT-008": "evasion",
    "LIR-CT-009": "evasion",
    "LIR-CT-010": "credential use",
}
_ORDER = ("recon", "modification", "persistence", "credential use", "evasion")


@dataclass(frozen=True)
class IncidentActor:
    """One actor of an incident, with every address, key and user agent it used."""

    principal: str
    arns: tuple[str, ...]
    access_keys: tuple[str, ...]
    addresses: tuple[str, ...]
    user_agents: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "arns": list(self.arns),
            "access_keys": list(self.access_keys),
            "addresses": list(self.addresses),
            "user_agents": list(self.user_agents),
        }


@dataclass(frozen=True)
class Incident:
    """Correlated findings (incidents.json): who, what, when, why it is unusual, what to do."""

    id: str
    kind: str  # activity | exposure
    title: str
    severity: Severity
    score: float
    actors: tuple[IncidentActor, ...]
    functions: tuple[str, ...]
    first: str | None
    last: str | None
    findings: tuple[str, ...]
    steps: tuple[str, ...]
    new_against_baseline: tuple[str, ...]
    actions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "severity": self.severity.value,
            "score": self.score,
            "actors": [a.to_json() for a in self.actors],
            "functions": list(self.functions),
            "first": self.first,
            "last": self.last,
            "findings": list(self.findings),
            "steps": list(self.steps),
            "new_against_baseline": list(self.new_against_baseline),
            "actions": list(self.actions),
        }


def phase(finding: Finding) -> str:
    """The step of an intrusion a finding shows (modification unless listed otherwise)."""
    return PHASES.get(finding.detector, "modification")


def actor_key(finding: Finding) -> str:
    """Who a finding is about, at the level incidents group: role, user, service or key."""
    return "" if finding.actor is None else _principal(finding.actor)


# Pure functions of a few thousand distinct actors and resources, asked for every finding.
@functools.lru_cache(maxsize=65536)
def _principal(actor: Actor) -> str:
    # The name a principal goes by without an ARN: a service's agent, another account's caller.
    name = actor.user_agent if actor.type == "AWSService" else actor.caller
    return principal_of(actor.type, actor.arn, actor.session_issuer, name, actor.access_key_id)


def is_activity(finding: Finding) -> bool:
    """A call someone made (actor and time known), as opposed to a standing exposure."""
    return bool(finding.actor and finding.time and actor_key(finding))


def correlate(findings: Sequence[Finding]) -> tuple[tuple[Incident, ...], tuple[Finding, ...]]:
    """Incidents, most important first, and the findings each carrying its incident id."""
    groups: list[tuple[str, str, list[Finding]]] = []  # kind, principal (activity), findings
    by_actor: dict[str, list[Finding]] = {}
    exposure: dict[str, list[Finding]] = {}
    for finding in findings:
        # is_activity, asking for the actor's key once
        if finding.time and finding.actor and (key := actor_key(finding)):
            by_actor.setdefault(key, []).append(finding)
        else:
            exposure.setdefault(_base(finding.resource), []).append(finding)
    for principal, actor_findings in by_actor.items():
        # Explained calls (INFO: releases along the principal's usual path) are its routine,
        # one incident of their own: an honest release hours before stolen keys are used
        # must not open the intruder's incident, lend it an address or break its chain.
        ordered = sorted(actor_findings, key=lambda f: (f.time or "", f.id))
        routine = [f for f in ordered if f.severity is Severity.INFO]
        unusual = [f for f in ordered if f.severity is not Severity.INFO]
        groups.extend(("activity", principal, group) for group in _split(unusual))
        if routine:
            groups.append(("activity", principal, routine))
    groups.extend(("exposure", "", group) for group in exposure.values())
    incidents = sorted((_incident(*group) for group in groups), key=_rank)
    owner = {fid: incident.id for incident in incidents for fid in incident.findings}
    tagged = (_tagged(f, owner.get(f.id, "")) for f in findings)
    return tuple(incidents), tuple(tagged)


# Finding's fields before `incident`, its last, in their order: `_tagged` passes them by
# position (half the time of keywords; dataclasses.replace took 15 s for 374k findings).
_FIELDS = tuple(field.name for field in fields(Finding))
if _FIELDS[-1] != "incident":
    raise TypeError("Finding.incident must stay its last field (incidents._tagged)")
_VALUES = operator.attrgetter(*_FIELDS[:-1])


def _tagged(f: Finding, incident: str) -> Finding:
    values: tuple[Any, ...] = (*_VALUES(f), incident)
    return Finding(*values)


def last_time(finding: Finding) -> str | None:
    """When a finding's activity ended: the last of its like calls (`details.last`, for an
    aggregated finding) or its own time."""
    last = finding.details.get("last")
    return last if isinstance(last, str) and last else finding.time


def _split(ordered: list[Finding]) -> list[list[Finding]]:
    groups: list[list[Finding]] = []
    last: datetime | None = None
    for finding in ordered:
        when = parse_time(finding.time)
        if not groups or when is None or last is None or when - last > timedelta(hours=GAP_HOURS):
            groups.append([])
        groups[-1].append(finding)
        last = when or last
    return groups


def _incident(kind: str, principal: str, group: list[Finding]) -> Incident:
    phases = [phase(f) for f in group] if kind == "activity" else []
    steps = tuple(dict.fromkeys(phases))
    severity = max((f.severity for f in group), key=lambda s: s.rank)
    # A chain: recon, then (later, in time order) something other than recon.
    chained = "recon" in phases and len(set(phases[phases.index("recon") :])) > 1
    if chained and severity.rank >= Severity.MEDIUM.rank:
        severity = max(severity, Severity.HIGH, key=lambda s: s.rank)
    new, kinds = _novelties(principal, group)
    functions = tuple(dict.fromkeys(a for f in group if (a := _function_of(f.resource))))
    score = sum(WEIGHT[f.severity] for f in group) + 5.0 * (len(steps) - 1 if chained else 0)
    score += 2.0 * len(kinds)  # each kind of novelty (principal, network, tool, …) once
    # An aggregated finding belongs where its first call falls (`_split` cuts on first times,
    # so a month of one principal's like calls does not chain unrelated steps together), and
    # stretches its incident to its last call.
    times = [t for f in group for t in (f.time, last_time(f)) if t]
    # activity groups come in (time, id) order already (`_split` of sorted findings)
    ordered = group if kind == "activity" else sorted(group, key=lambda f: (f.time or "", f.id))
    ids = tuple(f.id for f in ordered)
    actors = (_actor(principal, group),) if kind == "activity" else ()
    return Incident(
        id="INC-" + hashlib.sha256("\x00".join(sorted(ids)).encode()).hexdigest()[:12],
        kind=kind,
        title=_title(kind, severity, actors, functions, steps, group),
        severity=severity,
        score=round(score, 1),
        actors=actors,
        functions=functions,
        first=min(times) if times else None,
        last=max(times) if times else None,
        findings=ids,
        steps=steps,
        new_against_baseline=new,
        actions=_actions(kind, severity, actors, functions, group),
    )


# The order an incident says what was new: what raises severity first (`baseline.STRONG`),
# then a first call on a function, a new release shape, anything else.
_NOVELTY_ORDER = (*STRONG, "function", "shape")


def _novelties(principal: str, group: list[Finding]) -> tuple[tuple[str, ...], set[str]]:
    """What was new against the baseline in the incident's findings (their verdicts' reasons,
    each once: the first of each kind, strongest kinds first, then the others) and the kinds.
    First calls on functions are one reason with their count: at scale a principal's hundreds
    of them drowned the rest."""
    by_kind: dict[str, dict[str, None]] = {}  # kind -> reasons, as ordered sets
    every: set[str] = set()
    for f in group:  # the baseline's verdicts, read once
        verdict = f.details.get("baseline")
        if not verdict:
            continue
        kinds, reasons = verdict.get("new") or [], verdict.get("reasons") or []
        every.update(kinds)
        # `novelty_from` gives one reason per kind, in the same order; a verdict of another
        # shape keeps its reasons, unsorted, after the known kinds
        pairs = zip(kinds, reasons, strict=True) if len(kinds) == len(reasons) else []
        for kind, reason in pairs or [("", r) for r in reasons]:
            if isinstance(reason, str):
                by_kind.setdefault(str(kind), {})[reason] = None
    firsts = list(by_kind.get("function", {}))
    if len(firsts) > 1:  # each "first call by P on F" (`novelty_from`): F named for the first few
        named = ", ".join(reason.rpartition(" on ")[2] for reason in firsts[:3])
        more = ", …" if len(firsts) > 3 else ""
        line = f"first calls by {principal} on {len(firsts)} functions ({named}{more})"
        by_kind["function"] = {line: None}
    rank = {kind: n for n, kind in enumerate(_NOVELTY_ORDER)}
    ordered = [
        list(by_kind[kind]) for kind in sorted(by_kind, key=lambda k: rank.get(k, len(rank)))
    ]
    # each kind's first reason, then the others ("acted on" before "changed" for one principal)
    new = tuple([reasons[0] for reasons in ordered] + [r for rs in ordered for r in rs[1:]])
    return new, every


def _actor(principal: str, group: list[Finding]) -> IncidentActor:
    """The one actor of an activity group (its findings share the principal): every ARN,
    access key, address and user agent they show, in the order first seen, then an
    aggregated finding's other keys and addresses (`group_finding`)."""
    # dicts as ordered sets: an actor seen from thousands of addresses made a list membership
    # test per finding quadratic (30 s for one incident of 1M events)
    arns: dict[str, None] = {}
    keys: dict[str, None] = {}
    ips: dict[str, None] = {}
    agents: dict[str, None] = {}
    for f in group:
        actor = f.actor
        if actor is None:
            continue
        if actor.arn:
            arns[actor.arn] = None
        if actor.access_key_id:
            keys[actor.access_key_id] = None
        if actor.source_ip:
            ips[actor.source_ip] = None
        if actor.user_agent:
            agents[actor.user_agent] = None
    for f in group:
        details = f.details
        if f.actor is not None and ("access_keys" in details or "source_ips" in details):
            keys.update((v, None) for v in details.get("access_keys") or () if v)
            ips.update((v, None) for v in details.get("source_ips") or () if v)
    return IncidentActor(principal, tuple(arns), tuple(keys), tuple(ips), tuple(agents))


def _title(
    kind: str,
    severity: Severity,
    actors: tuple[IncidentActor, ...],
    functions: tuple[str, ...],
    steps: tuple[str, ...],
    group: list[Finding],
) -> str:
    where = f"{len(functions)} function(s)" if len(functions) != 1 else functions[0].split(":")[-1]
    if not functions:
        where = group[0].resource
    if kind == "exposure":
        return f"Exposure of {where}: {group[0].title}" + (
            f" and {len(group) - 1} more" if len(group) > 1 else ""
        )
    who = actors[0].principal if actors else "unknown actor"
    if severity is Severity.INFO:
        return f"Routine activity by {who} on {where} (established paths)"
    return f"{who}: {' → '.join(steps)} on {where}"


def _actions(
    kind: str,
    severity: Severity,
    actors: tuple[IncidentActor, ...],
    functions: tuple[str, ...],
    group: list[Finding],
) -> tuple[str, ...]:
    """`contain` actions (`name` or `name=value`, as `contain --incident` reads them) for the
    incident's functions: keys deactivated, execution-role sessions revoked (or, for another
    role acting with temporary keys, that role's), public access (and another account's, when
    its caller acted) and URLs removed, look-alike or unknown layers stripped."""
    if severity.rank < Severity.MEDIUM.rank or kind != "activity":
        return ()
    detectors = {f.detector for f in group}
    out: list[str] = ["throttle"] if severity.rank >= Severity.HIGH.rank else []
    for actor in actors:
        out.extend(f"deactivate-key={k}" for k in actor.access_keys if k.startswith("AKIA"))
    if "LIR-CT-010" in detectors or any(
        f.detector == "LIR-CT-004" and "execution role" in f.summary for f in group
    ):
        out.append("revoke-sessions")
    else:  # a pipeline's or operator's role acting with temporary keys: its sessions, not a
        # key; `contain` acts in its functions' account, so only a role of that account
        accounts = {arn.split(":")[4] for arn in functions}
        out.extend(
            f"revoke-role-sessions={actor.principal}"
            for actor in actors
            if ":role/" in actor.principal
            and actor.principal.split(":")[4] in accounts
            and any(k.startswith("ASIA") for k in actor.access_keys)
        )
    # Another account's caller (AWSAccount) came in through a resource policy: no key or
    # session of this account to revoke, only the statements that let its account in.
    foreign = any(actor.principal.startswith(FOREIGN_CALLER) for actor in actors)
    if foreign or detectors & {"LIR-CT-001", "LIR-POL-001"}:
        out.append("block-public")
    if detectors & {"LIR-CT-002", "LIR-CFG-001"}:
        out.append("disable-url")
    out.extend(config_actions(group))
    return tuple(dict.fromkeys(out))


_LAYERS = frozenset({"LIR-CFG-003", "LIR-CT-003", "LIR-CHG-002", "LIR-CODE-003"})


def config_actions(findings: Iterable[Finding]) -> tuple[str, ...]:
    """The configuration `contain` can undo for high findings about what a function loads:
    `strip-layers` for a bad layer, `strip-env=VAR,…` for start-up hook variables someone
    set (LIR-CT-003 sets either or both). Both need `--allow-config-change`."""
    layers = False
    hooks: dict[str, None] = {}
    for finding in findings:
        if finding.detector not in _LAYERS or finding.severity.rank < Severity.HIGH.rank:
            continue
        if finding.detector == "LIR-CT-003":  # hook variables alone leave no layer to strip
            layers = layers or bool(finding.details.get("layers"))
            named = finding.details.get("hook_variables") or []
            hooks.update((v, None) for v in named if isinstance(v, str) and v)
        else:
            layers = True
    return (("strip-layers",) if layers else ()) + (
        (f"strip-env={','.join(hooks)}",) if hooks else ()
    )


def _rank(incident: Incident) -> tuple[int, int, float, str]:
    return (
        -incident.severity.rank,
        0 if incident.kind == "activity" else 1,
        -incident.score,
        incident.first or "",
    )


@functools.lru_cache(maxsize=65536)
def _function_of(resource: str) -> str:
    """The unqualified ARN of the function a resource is, or "" when it is none (a layer, a
    role, the account's Lambda; `FunctionRef.from_arn` refuses a nameless function)."""
    try:
        ref = FunctionRef.from_arn(resource)
    except ValueError:
        return ""
    return FunctionRef(ref.account, ref.region, ref.name).arn


def _base(resource: str) -> str:
    """A function's unqualified ARN; any other resource as it is."""
    return _function_of(resource) or resource
