"""Everything a report says, gathered once from the case and redacted: `ReportFacts`.

Renderers (HTML, Markdown, SARIF, OCSF) take these facts and only format and escape; none
of them reads the case or redacts on its own.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import duckdb
import orjson

from lambda_ir.analyze.own_footprints import is_own, own_calls
from lambda_ir.evidence import Case
from lambda_ir.evidence.asked import DECIDES, missing_functions
from lambda_ir.evidence.custody import read_entries
from lambda_ir.evidence.deleted import deleted_functions
from lambda_ir.evidence.index import index_path, open_index
from lambda_ir.evidence.index_logs import unread_logs
from lambda_ir.evidence.interrupted import last_interruption
from lambda_ir.evidence.layout import CUSTODY
from lambda_ir.model import Finding, FunctionRef, Severity, TimelineEvent
from lambda_ir.redact import document_is_clean, redact_document, redact_text
from lambda_ir.report import listing
from lambda_ir.report.applied import AppliedKey, applied_actions
from lambda_ir.report.blast import RoleReach, read_roles, role_key
from lambda_ir.report.capabilities import CapabilityFacts, read_capability_facts
from lambda_ir.report.excerpts import Excerpt, read_excerpts
from lambda_ir.report.freshness import analysis_note
from lambda_ir.report.functions import FunctionFacts, read_functions
from lambda_ir.report.incidents import Incident, read_incidents
from lambda_ir.report.indicators import Indicator, gather
from lambda_ir.report.risk import AtRisk, at_risk
from lambda_ir.report.scope import scope_text
from lambda_ir.timeline.documents import gaps
from lambda_ir.timeline.findings import FINDINGS_FILE, read_findings
from lambda_ir.timeline.merge import timeline_size

# The page stays fast in a browser: past this many events the report keeps the most telling
# ones (everything but invocations first) and says how many the timeline file holds.
MAX_EVENTS = 5000
# How far before the first serious finding a flagged actor's calls still belong to the incident.
LEAD_IN = timedelta(hours=24)
# How long before the first sign of compromise the page's incident window opens.
WINDOW_LEAD = timedelta(hours=1)


# The collector prefixes each recorded error with its class (`aws.errors.ErrorClass`);
# `not-found` is AWS saying "there is none" (no policy, no URL), which is a fact, not a gap.
ABSENT_PREFIX = "not-found:"


@dataclass(frozen=True)
class Gap:
    """Something that could not be collected, and why (from the manifest).

    `absent` marks a call AWS answered with "none exists": checked, nothing there.
    """

    what: str
    why: str
    where: str
    absent: bool = False
    function: str = ""  # the function the failed call was about, when it was about one
    log_group: str = ""  # the log group it read, when it read one: a gap of each writer


@dataclass(frozen=True)
class ReportFacts:
    """The story of one case, ready to render."""

    case_id: str
    created: str
    generated: str
    scope: str
    findings: tuple[Finding, ...]
    functions: tuple[FunctionFacts, ...]
    roles: tuple[RoleReach, ...]
    gaps: tuple[Gap, ...]
    events: tuple[TimelineEvent, ...]
    events_total: int
    since: str | None
    warnings: tuple[str, ...]
    affected: tuple[str, ...] = ()  # function ARNs named in findings; `roles` are theirs if any
    capabilities: tuple[CapabilityFacts, ...] = ()  # per function: by version, and triggers
    case_dir: str = "."  # where the case is, for commands the report suggests
    incidents: tuple[Incident, ...] | None = None  # None: analyze wrote no incidents.json
    collectors: tuple[str, ...] = ()  # the identities that collected the case
    hidden: int = 0  # the collectors' own CloudTrail calls, left out of `events`
    own_findings: frozenset[str] = frozenset()  # ids of findings of only those calls, left out
    excerpts: Mapping[str, tuple[Excerpt, ...]] = field(default_factory=dict)  # by finding id
    # "" when the findings are of all the evidence; else why not (`freshness.analysis_note`)
    analysis: str = ""
    # what `contain --apply` already did, by (action, target, region), and when (`applied`)
    applied: Mapping[AppliedKey, str] = field(default_factory=dict)

    @cached_property
    def serious_incidents(self) -> tuple[Incident, ...]:
        """Incidents of medium severity or worse, but those made only of the collector's own
        calls (a detector matching what it searched for: `own_findings`).

        A low incident's actor is routine, not an attacker. The identity that collected is
        not left out as such: an intruder's stolen keys may be the very identity the
        responder collects with, and its writes are the intruder's as much as anyone's.
        """
        return tuple(
            incident
            for incident in self.incidents or ()
            if incident.severity.rank >= Severity.MEDIUM.rank
            and not (incident.findings and set(incident.findings) <= self.own_findings)
        )

    @cached_property
    def at_risk(self) -> tuple[AtRisk, ...]:
        """Functions with medium or worse findings, the most severe (then most findings)
        first: asked by the page, the Markdown and the checklist, computed once."""
        return at_risk(self.findings, self.label)

    @cached_property
    def indicators(self) -> tuple[Indicator, ...]:
        """The indicators of the findings and serious incidents (the collector's own calls are
        in neither): gathered once for the page, the checklist and the indicator files (8 s
        each time for the 355k indicators of a million-event case)."""
        return tuple(gather(self.findings, self.serious_incidents))

    @property
    def missing(self) -> tuple[Gap, ...]:
        """Real gaps: calls that failed (denied, throttled, unsupported…), not "none exists"."""
        return tuple(g for g in self.gaps if not g.absent)

    @property
    def absent(self) -> tuple[Gap, ...]:
        """Calls AWS answered with "none exists" (no resource policy, no URL config)."""
        return tuple(g for g in self.gaps if g.absent)

    def gaps_of(self, function: FunctionFacts) -> tuple[Gap, ...]:
        """The real gaps of calls about one function (its account and region, by name or
        ARN), and of reads of a log group one of its versions writes to (a group several
        functions share was read for one of them: a partial read is every writer's gap)."""
        where = f"{function.account}/{function.region}"
        return tuple(
            g
            for g in self.missing
            if g.function == function.arn
            or (g.where == where and g.function == function.name)
            or (g.where == where and g.log_group and g.log_group in function.log_groups)
        )

    def label(self, arn: str) -> str:
        """A function's name, with its account and region when another has the same name."""
        try:
            ref = FunctionRef.from_arn(arn)
        except ValueError:
            return arn
        same = sum(1 for f in self.functions if f.name == ref.name)
        if same > 1:
            return f"{ref.name} ({ref.account}, {ref.region})"
        return ref.name

    def count(self, severity: Severity) -> int:
        """How many findings have this severity."""
        return sum(1 for f in self.findings if f.severity == severity)


def build_facts(
    case: Case,
    events: Iterable[TimelineEvent],
    generated: str,
    *,
    diffs: bool = True,
    index: duckdb.DuckDBPyConnection | None = None,
    findings: Sequence[Finding] | None = None,
    read_warnings: Sequence[str] = (),
    keep: int = MAX_EVENTS,
) -> ReportFacts:
    """Gather the report's facts; `events` is the case's merged timeline (already redacted),
    of which the page carries `keep`. With the `index` they were built from, `events` is
    read only as far as the page keeps them, and DuckDB counts the rest (`timeline_size`).

    With `diffs`, each version whose code changed carries its package diff (this reads the
    two packages, in memory, within `analyze`'s limits). With the case's `index`, each
    finding carries the evidence it cites, read into excerpts (`report.excerpts`).
    `findings` are the case's when the caller read them already (`read_findings`, which
    said `read_warnings`); else findings.json is read here.
    """
    warnings = list(read_warnings)
    read = findings if findings is not None else read_findings(case, warnings)
    calls = own_calls(case)
    collectors, own = calls.arns, calls.where()
    own_ids = _own_ids(case, index, own)
    # A finding of only the collector's own calls (a case analyzed before `analyze` left
    # them out, or findings given by a caller): left out as `analyze` does.
    mine = frozenset(f.id for f in read if is_own(f, own_ids))
    hidden = [0]
    findings = tuple(_redacted(f) for f in read if f.id not in mine)
    anchor = _anchor(findings)
    floor = shift_time(anchor, -LEAD_IN - WINDOW_LEAD) if anchor else None
    stream = _without(events, own_ids, hidden)
    kept, total = _keep(stream, keep, floor=floor, stop=index is not None)
    if total is None:  # stopped at the events kept: DuckDB counts the others
        total, hidden[0] = timeline_size(case, index, read, own)
        total -= hidden[0]
    functions = tuple(read_functions(case, warnings, diffs=diffs))
    roles = read_roles(case, warnings)
    affected = _affected(findings)
    # Blast radius is about the compromised functions' roles; with none named, every role.
    # Functions and roles are matched by ARN: a same-named one elsewhere is another one.
    exposed = [f for f in functions if f.arn in affected] or list(functions)
    used = {role_key(f.role) for f in exposed}
    analysis = analysis_note(case)
    if analysis and (case.root / FINDINGS_FILE).is_file():  # else `read_findings` said so
        warnings.append(analysis)
    # read before the warnings are frozen into the facts: theirs are said too
    capabilities = read_capability_facts(case, warnings)
    incidents = read_incidents(case, warnings)
    return ReportFacts(
        case_id=case.id,
        created=str(case.info.get("created", "")),
        generated=generated,
        scope=scope_text(case.info.get("scope") or {}),
        findings=findings,
        functions=functions,
        roles=tuple(r for name, r in roles.items() if name in used),
        affected=tuple(sorted(affected)),
        gaps=_interrupted(case) + tuple(_gaps(case)) + tuple(_unread_logs(case, index)),
        events=kept,
        events_total=total,
        since=_since(findings, kept),
        warnings=tuple(warnings),
        analysis=analysis,
        applied=applied_actions(case),
        capabilities=capabilities,
        case_dir=str(case.root.resolve()),
        incidents=incidents,
        collectors=collectors,
        hidden=hidden[0],
        own_findings=mine,
        # excerpts only for the findings the page lists in full (`listing.FINDINGS`)
        excerpts=read_excerpts(case, index, findings[: listing.FINDINGS])
        if index is not None
        else {},
    )


def _own_ids(
    case: Case, index: duckdb.DuckDBPyConnection | None, own: tuple[str, list[Any]] | None
) -> frozenset[str]:
    """The event ids of the collector's own calls (`own_footprints`' rule: its read calls,
    with lambda-ir's user agent, during a collection of this case), from `index` or the
    case's; none without an index."""
    if own is None:
        return frozenset()
    sql = f"SELECT event_id FROM trail_events WHERE {own[0]}"  # noqa: S608 - our own condition
    if index is not None:
        return frozenset(str(row[0]) for row in index.execute(sql, own[1]).fetchall())
    if not index_path(case).exists():
        return frozenset()
    with open_index(case) as con:
        return frozenset(str(row[0]) for row in con.execute(sql, own[1]).fetchall())


def _without(
    events: Iterable[TimelineEvent], own: frozenset[str], hidden: list[int]
) -> Iterator[TimelineEvent]:
    """The events minus the collector's own CloudTrail calls, counted in `hidden[0]`.

    Collecting a case makes hundreds of Get/List calls in the incident's window; they are
    the responder's, not the attacker's, and the timeline file keeps them. Only those: a
    write by the identity that collected, or a read outside a collection or with another
    user agent, is the attacker's as much as anyone's (an intruder's stolen keys may be the
    very identity the responder collects with), and stays.
    """
    for event in events:
        if event.source == "cloudtrail" and event.event_id in own:
            hidden[0] += 1
            continue
        yield event


def _affected(findings: tuple[Finding, ...]) -> set[str]:
    """The functions (unqualified ARNs) the serious findings are about; else any finding's.

    A low finding on a healthy function (an old runtime) must not widen the blast radius
    to every role in the account.
    """
    serious = [f for f in findings if f.severity.rank >= Severity.HIGH.rank]
    names = set()
    for finding in serious or findings:
        try:
            ref = FunctionRef.from_arn(finding.resource)
            names.add(FunctionRef(ref.account, ref.region, ref.name).arn)
        except ValueError:
            continue  # a trail, a layer or a role: not a function
    return names


def _redacted(finding: Finding) -> Finding:
    """The finding with its text redacted; itself when there is nothing to redact (as
    `analyze` leaves them), so a million-event case's findings are not held twice."""
    document = [finding.title, finding.summary, finding.details]
    try:
        clean = document_is_clean(orjson.dumps(document), document)
    except TypeError:  # not JSON as it stands: the long way
        clean = False
    if clean:
        return finding
    return dataclasses.replace(
        finding,
        title=redact_text(finding.title),
        summary=redact_text(finding.summary),
        details=redact_document(finding.details),
    )


def _keep(
    events: Iterable[TimelineEvent], limit: int, *, floor: str | None, stop: bool
) -> tuple[tuple[TimelineEvent, ...], int | None]:
    """The `limit` events the page carries, and how many events there were.

    Telling events (all but invocations) come first, invocations fill what is left. Both
    are kept from `floor` (the incident window's reach: a case's routine weeks before it
    must not fill the page and leave the attack off it), the latest before it filling up
    when the window holds fewer than `limit`; without a floor, from the first event. With
    `stop`, the count is None when it stopped at `limit` telling events from the floor, as
    nothing later can be kept (at a million CloudTrail calls, building and redacting each
    only to count it took 17 s of the report's 55).
    """
    before: dict[bool, deque[TimelineEvent]] = {k: deque(maxlen=limit) for k in (True, False)}
    after: dict[bool, list[TimelineEvent]] = {True: [], False: []}
    total = 0
    for event in events:
        total += 1
        told = event.kind != "invocation"
        if floor is not None and event.time < floor:
            before[told].append(event)
        elif len(after[told]) < limit:
            after[told].append(event)
            if stop and told and len(after[True]) == limit:
                return tuple(after[True]), None
    telling = _nearest(before[True], after[True], limit)
    routine = _nearest(before[False], after[False], limit - len(telling))
    kept = sorted(telling + routine, key=lambda e: e.time)
    return tuple(kept), total


def _nearest(
    before: deque[TimelineEvent], after: list[TimelineEvent], count: int
) -> list[TimelineEvent]:
    """Up to `count` events: from the floor on first, then the latest before it."""
    taken = after[:count]
    lead = count - len(taken)
    return (list(before)[-lead:] if lead > 0 else []) + taken


def _anchor(findings: tuple[Finding, ...]) -> str | None:
    """The first dated high or critical finding's time (else medium's): where an incident
    is anchored (`_since`), and the report's timeline with it."""
    for floor in (Severity.HIGH, Severity.MEDIUM):
        dated = [f.time for f in findings if f.time and f.severity.rank >= floor.rank]
        if dated:
            return shift_time(min(dated), timedelta(0))
    return None


def _since(findings: tuple[Finding, ...], events: tuple[TimelineEvent, ...]) -> str | None:
    """The earliest sign of the incident.

    Anchored on the first dated high or critical finding (else medium; `_anchor`); the
    flagged actors' calls count only from LEAD_IN before it, because stolen keys usually
    have a legitimate history (a CI user deploys for weeks before its keys are used by
    someone else).
    """
    actors = {f.actor.key for f in findings if f.actor and f.actor.key}
    anchor = _anchor(findings)
    if anchor is not None:
        start = shift_time(anchor, -LEAD_IN)
        early = [e.time for e in events if e.actor in actors and start <= e.time < anchor]
        return min([anchor, *early])
    times = [e.time for e in events if e.actor and e.actor in actors]
    return min(times) if times else None


def shift_time(iso: str, delta: timedelta) -> str:
    """An ISO-8601 UTC time moved by `delta`, in the timeline's format."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")) + delta
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _gaps(case: Case) -> list[Gap]:
    """What could not be collected. A function the collection asked for by name that no
    region looked in has (`evidence.asked`) is a gap, not "checked and absent": a mistyped
    or deleted function otherwise gave a report with no gap and no finding, as if all were
    well."""
    asked, regions = _collected_scopes(case)
    entries = list(gaps(case))
    not_found = [
        (str(e.params.get("FunctionName", "")), e.region or "")
        for e in entries
        if e.api == DECIDES and e.error and e.error.startswith(ABSENT_PREFIX)
    ]
    missing = dict(missing_functions(asked, regions, not_found))
    # listed, then gone when read: its "not found" answers are no "checked and absent"
    deleted = {(d.account, d.region, d.name) for d in deleted_functions(case)}
    out = []
    for entry in entries:
        where = "/".join(p for p in (entry.account, entry.region) if p)
        params = ", ".join(f"{k}={v}" for k, v in sorted(entry.params.items()) if k != "page")
        what = f"{entry.api or entry.kind}({params})"
        why = entry.error or _gap_note(case, entry.path)
        function = str(entry.params.get("FunctionName", ""))
        gone = entry.api == DECIDES and entry.region in missing.get(function, ())
        vanished = (entry.account or "", entry.region or "", function) in deleted
        absent = bool(entry.error and entry.error.startswith(ABSENT_PREFIX))
        absent = absent and not gone and not vanished
        if gone:
            why = f"the function asked for does not exist (a typo, or deleted?): {why}"
        elif vanished and entry.error:
            why = f"the function was deleted during collection: {why}"
        group = str(entry.params.get("logGroupName") or "")
        out.append(Gap(redact_text(what), redact_text(why), where, absent, function, group))
    return out


def _interrupted(case: Case) -> tuple[Gap, ...]:
    """The case's collections cut short (Ctrl-C, or no end logged) that no later complete
    run covers (`evidence.interrupted`): first among the gaps, as they may hide any of the
    others."""
    stopped = last_interruption(case.root)
    if stopped is None:
        return ()
    where = "/".join(p for p in (",".join(stopped.accounts), ",".join(stopped.regions)) if p)
    what = f"collect ({stopped.stops})"
    return (Gap(what, stopped.describe(), where),)


def _unread_logs(case: Case, index: duckdb.DuckDBPyConnection | None) -> list[Gap]:
    """Log artifacts collected but not read whole (`index_logs.unread_logs`): their events
    are in no finding, as surely as a denied call's, so they count as gaps; none without an
    index."""
    if index is None:
        if not index_path(case).exists():
            return []
        with open_index(case) as con:
            return _unread_logs(case, con)
    return [
        Gap(
            redact_text(f"{lost.api}(logGroupName={lost.log_group}): {lost.path}"),
            redact_text(f"collected, but not read whole: {lost.reason}"),
            f"{lost.account}/{lost.region}",
            function=lost.function_name,
            log_group=lost.log_group,
        )
        for lost in unread_logs(index)
    ]


def _collected_scopes(case: Case) -> tuple[list[str], list[str]]:
    """The functions and regions every collection of the case asked for: case.json's scope is
    only the first command's (a later `collect --function` into the case is in custody)."""
    scopes = [case.info.get("scope") or {}]
    for _, _, entry in read_entries(case.root / CUSTODY):
        if entry is not None and entry.action == "collect-started":
            scope = entry.details.get("scope")
            scopes.append(scope if isinstance(scope, dict) else {})
    functions = {str(f): None for s in scopes for f in s.get("functions") or ()}
    regions = {str(r): None for s in scopes for r in s.get("regions") or ()}
    return list(functions), list(regions)


def _gap_note(case: Case, path: str | None) -> str:
    """What a `gap` artifact says (`{"gap": "log-group-missing", "detail": ...}`)."""
    try:
        body = case.read_json(path or "")
    except (OSError, ValueError):
        return f"gap noted at {path}"
    if not isinstance(body, dict):
        return f"gap noted at {path}"
    detail = body.get("detail")
    text = detail if isinstance(detail, str) else orjson.dumps(detail).decode() if detail else ""
    return f"{body.get('gap', 'gap')}: {text}" if text else str(body.get("gap", "gap"))
