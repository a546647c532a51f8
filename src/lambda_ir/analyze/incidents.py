"""Correlate findings into incidents: one actor's steps close in time, across functions.

*Activity* findings (a call someone made: they carry an actor and a time) are grouped by
actor — the role for assumed-role sessions, the user, or the access key — and split where the
actor was quiet for more than `GAP_HOURS`; parts that share an address new against the
baseline are joined again (one intruder's steps from one new network, hours apart). An
aggregated finding (like calls over days: a count, first and last time) is placed at its
first call and stretches its incident's `last`.
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
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from lambda_ir.analyze.baseline import STRONG, parse_time
from lambda_ir.analyze.baseline_tools import network_of, principal_of
from lambda_ir.analyze.incident_actions import contain_actions
from lambda_ir.model import Actor, Finding, FunctionRef, Severity

INCIDENTS_FILE = "incidents.json"
GAP_HOURS = 8
# Parts from one new network further apart than this stay apart: a night's pause (a recon at
# 00:45, the change at 09:50) joins; a traveller's working days at a hotel (15 hours from one
# evening to the next morning) do not chain into one incident.
JOIN_HOURS = 12
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


def actor_key(finding: Finding) -> str:
    """Who a finding is about, at the level incidents group: role, user, service or key."""
    return "" if finding.actor is None else _principal(finding.actor)


def _principal(actor: Actor) -> str:
    # The name a principal goes by without an ARN: a service's agent, another account's caller.
    # Not memoised: hashing an actor's seven fields took three times as long as this.
    name = actor.user_agent if actor.type == "AWSService" else actor.caller
    return principal_of(actor.type, actor.arn, actor.session_issuer, name, actor.access_key_id)


def correlate(findings: Sequence[Finding]) -> tuple[tuple[Incident, ...], tuple[Finding, ...]]:
    """Incidents, most important first, and the findings each carrying its incident id."""
    groups: list[tuple[str, str, list[Finding]]] = []  # kind, principal (activity), findings
    by_actor: dict[str, list[Finding]] = {}
    exposure: dict[str, list[Finding]] = {}
    for finding in findings:
        # activity: a call someone made (actor and time known), not a standing exposure
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
_FIELDS = tuple(f.name for f in fields(Finding))
if _FIELDS[-1] != "incident":
    raise TypeError("Finding.incident must stay its last field (incidents._tagged)")
_VALUES = operator.attrgetter(*_FIELDS[:-1])


def _tagged(f: Finding, incident: str) -> Finding:
    values: tuple[Any, ...] = (*_VALUES(f), incident)
    return Finding(*values)


def _split(ordered: list[Finding]) -> list[list[Finding]]:
    """An actor's findings cut where it was quiet for over GAP_HOURS; then the parts that
    share an address new against the baseline are one again: an intruder's recon at night
    and its change after breakfast, from the one network the principal never used, are one
    intrusion, whatever the principal's owner did in between."""
    groups: list[list[Finding]] = []
    last: datetime | None = None
    for finding in ordered:
        when = parse_time(finding.time)
        if not groups or when is None or last is None or when - last > timedelta(hours=GAP_HOURS):
            groups.append([])
        groups[-1].append(finding)
        last = when or last
    return _joined_by_new_address(groups)


def _joined_by_new_address(groups: list[list[Finding]]) -> list[list[Finding]]:
    """The time-ordered parts joined wherever they share a network (the /24 or /48 the
    baseline judges) that was new against the baseline, no more than JOIN_HOURS apart
    (transitively: a part linking two earlier ones joins all three), each joined part in
    (time, id) order as the parts were. A traveller's days from a hotel stay apart."""
    joined: list[list[Finding]] = []
    lasts: list[datetime | None] = []  # each joined part's latest call (`_last_time`)
    home: dict[str, int] = {}  # a new network -> the joined part that holds it
    for group in groups:
        # an IP's network (`a.b.c.0/24`); a service's name as the address is none
        addresses = {n for f in group for a in _new_addresses(f) if "/" in (n := network_of(a))}
        start = parse_time(group[0].time)
        targets = sorted(
            {home[a] for a in addresses if a in home and _within(lasts[home[a]], start)}
        )
        if not targets:
            targets = [len(joined)]
            joined.append([])
            lasts.append(None)
        first, merged = targets[0], targets[1:]
        for other in merged:  # later parts this one links to the first: moved into it
            joined[first].extend(joined[other])
            lasts[first] = _latest(lasts[first], lasts[other])
            joined[other], lasts[other] = [], None
            home.update({a: first for a, part in home.items() if part == other})
        joined[first].extend(group)
        lasts[first] = _latest(lasts[first], _last_time(group))
        if merged:
            joined[first].sort(key=lambda f: (f.time or "", f.id))
        home.update(dict.fromkeys(addresses, first))
    return [part for part in joined if part]


def _last_time(part: list[Finding]) -> datetime | None:
    """The part's latest call: an aggregated finding's `details.last`, else its time."""
    times = (parse_time(f.details.get("last") or f.time) for f in part)
    return max((t for t in times if t is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _within(earlier: datetime | None, later: datetime | None) -> bool:
    """`later` no more than JOIN_HOURS after `earlier` (both known)."""
    if earlier is None or later is None:
        return False
    return later - earlier <= timedelta(hours=JOIN_HOURS)


def _new_addresses(finding: Finding) -> list[str]:
    """The finding's source addresses when its verdict found the network new: its own and,
    aggregated, its like calls' (`details.source_ips`, judged alike)."""
    verdict = finding.details.get("baseline")
    if finding.actor is None or not isinstance(verdict, dict):
        return []
    if "network" not in (verdict.get("new") or ()):
        return []
    others = finding.details.get("source_ips")
    found = [finding.actor.source_ip, *(others if isinstance(others, list) else [])]
    return [a for a in found if isinstance(a, str)]


@dataclass
class _Walk:
    """What one pass over an incident's findings gathers (activity fields for activity only):
    each finding read once, not once for every fact (at 166k findings a pass each for the
    phases, severity, verdicts, functions, times and actor took 1.2 s, mostly cache misses)."""

    severity: Severity
    phases: list[str] = field(default_factory=list)
    weight: float = 0.0
    functions: dict[str, None] = field(default_factory=dict)  # ordered sets, as dicts
    verdicts: dict[int, dict[str, Any]] = field(default_factory=dict)  # by identity, in order
    first: str | None = None
    last: str | None = None
    arns: dict[str, None] = field(default_factory=dict)
    keys: dict[str, None] = field(default_factory=dict)
    ips: dict[str, None] = field(default_factory=dict)
    agents: dict[str, None] = field(default_factory=dict)
    more_keys: dict[str, None] = field(default_factory=dict)  # aggregated findings' others
    more_ips: dict[str, None] = field(default_factory=dict)


def _walk(kind: str, group: list[Finding]) -> _Walk:
    activity = kind == "activity"
    walk = _Walk(group[0].severity)
    rank = walk.severity.rank
    first: str | None = None
    last: str | None = None
    functions, verdicts, phases = walk.functions, walk.verdicts, walk.phases
    arns, keys, ips, agents = walk.arns, walk.keys, walk.ips, walk.agents
    for f in group:
        severity, details = f.severity, f.details
        if severity.rank > rank:
            walk.severity, rank = severity, severity.rank
        walk.weight += WEIGHT[severity]
        if function := _function_of(f.resource):
            functions[function] = None
        # verdicts are shared between findings (`Novelty.to_json`): each one read once
        if verdict := details.get("baseline"):
            verdicts.setdefault(id(verdict), verdict)
        # An aggregated finding belongs where its first call falls (`_split` cuts on first
        # times, so a month of one principal's like calls does not chain unrelated steps
        # together), and stretches its incident to its last call (`details.last`).
        for t in (f.time, details.get("last") or f.time):
            if isinstance(t, str) and t:
                first = t if first is None or t < first else first
                last = t if last is None or t > last else last
        if not activity or (actor := f.actor) is None:
            continue
        phases.append(PHASES.get(f.detector, "modification"))  # the step it shows
        if actor.arn:
            arns[actor.arn] = None
        if actor.access_key_id:
            keys[actor.access_key_id] = None
        if actor.source_ip:
            ips[actor.source_ip] = None
        if actor.user_agent:
            agents[actor.user_agent] = None
        if "access_keys" in details or "source_ips" in details:
            walk.more_keys.update((v, None) for v in details.get("access_keys") or () if v)
            walk.more_ips.update((v, None) for v in details.get("source_ips") or () if v)
    walk.first, walk.last = first, last
    return walk


def _incident(kind: str, principal: str, group: list[Finding]) -> Incident:
    walk = _walk(kind, group)
    phases, severity = walk.phases, walk.severity
    steps = tuple(dict.fromkeys(phases))
    # A chain: recon, then (later, in time order) something other than recon.
    chained = "recon" in phases and len(set(phases[phases.index("recon") :])) > 1
    if chained and severity.rank >= Severity.MEDIUM.rank:
        severity = max(severity, Severity.HIGH, key=lambda s: s.rank)
    new, kinds = _novelties(principal, walk.verdicts.values())
    functions = tuple(walk.functions)
    score = walk.weight + 5.0 * (len(steps) - 1 if chained else 0)
    score += 2.0 * len(kinds)  # each kind of novelty (principal, network, tool, …) once
    # activity groups come in (time, id) order already (`_split` of sorted findings)
    ordered = group if kind == "activity" else sorted(group, key=lambda f: (f.time or "", f.id))
    ids = tuple(f.id for f in ordered)
    actors = (_actor(principal, walk),) if kind == "activity" else ()
    return Incident(
        id="INC-" + hashlib.sha256("\x00".join(sorted(ids)).encode()).hexdigest()[:12],
        kind=kind,
        title=_title(kind, severity, actors, functions, steps, group),
        severity=severity,
        score=round(score, 1),
        actors=actors,
        functions=functions,
        first=walk.first,
        last=walk.last,
        findings=ids,
        steps=steps,
        new_against_baseline=new,
        actions=contain_actions(kind, severity, actors, functions, group),
    )


# The order an incident says what was new: what raises severity first (`baseline.STRONG`),
# then a first call on a function, a new release shape, anything else.
_NOVELTY_ORDER = (*STRONG, "function", "shape")


def _novelties(
    principal: str, verdicts: Iterable[dict[str, Any]]
) -> tuple[tuple[str, ...], set[str]]:
    """What was new against the baseline in the incident's findings (their verdicts' reasons,
    each once: the first of each kind, strongest kinds first, then the others) and the kinds.
    First calls on functions are one reason with their count: at scale a principal's hundreds
    of them drowned the rest."""
    by_kind: dict[str, dict[str, None]] = {}  # kind -> reasons, as ordered sets
    every: set[str] = set()
    for verdict in verdicts:
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


def _actor(principal: str, walk: _Walk) -> IncidentActor:
    """The one actor of an activity group (its findings share the principal): every ARN,
    access key, address and user agent they show, in the order first seen, then an
    aggregated finding's other keys and addresses (`group_finding`)."""
    # dicts as ordered sets: an actor seen from thousands of addresses made a list membership
    # test per finding quadratic (30 s for one incident of 1M events)
    keys, ips = {**walk.keys, **walk.more_keys}, {**walk.ips, **walk.more_ips}
    return IncidentActor(principal, tuple(walk.arns), tuple(keys), tuple(ips), tuple(walk.agents))


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


def rank(
    severity: Severity, kind: str, score: float, first: str | None
) -> tuple[int, int, float, str]:
    """Where an incident stands in incidents.json: the most severe first, at one severity
    activity before exposure (someone acted, not only a door open), then the highest score,
    then the earliest. The report orders by it too, so its table and the terminal agree."""
    return (-severity.rank, 0 if kind == "activity" else 1, -score, first or "")


def _rank(incident: Incident) -> tuple[int, int, float, str]:
    return rank(incident.severity, incident.kind, incident.score, incident.first)


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
