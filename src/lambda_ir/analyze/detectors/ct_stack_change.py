"""LIR-CT-014: a function CloudFormation changed for a caller acting off its usual paths.

A stack's Lambda calls carry CloudFormation's address and user agent (and, with a stack role,
that role's identity), so the baseline (LIR-CT-012) takes them for the stack's routine: a
stolen deploy role running `aws cloudformation update-stack` from its own machine releases its
code as an INFO release. The call that started the change carries the caller's own address
and tool: `UpdateStack`, `ExecuteChangeSet` or `CreateStack`. Each is judged against the
account's history of such calls as the baseline judges Lambda writes: the principal, its /24
network and its tool family, each known once seen on ESTABLISHED_DAYS distinct days before the
call's day (so an intruder's own throwaway call the day before never vouches for the next),
with MIN_HISTORY_DAYS of the account's stack history to judge at all. One that was new in
something is reported for each function CloudFormation changed for it, with its caller as the
actor: LOW for one new thing, MEDIUM for two, HIGH for all three.

Each of CloudFormation's Lambda writes belongs to one stack call in its account and region:
the latest before it, up to WAIT_HOURS earlier, of the stack the function belongs to. That is
the stack its `aws:cloudformation:stack-name` tag names, where the case holds the function's
tags (a tag only CloudFormation sets, so exact, whatever the function is called; a nested
stack's or a stack set instance's name leads to its parent's or set's calls); else the stacks
the function is named after (CloudFormation names what it makes `<stack>-<LogicalId>-<suffix>`;
the longest such stack name wins). A write with no such call (a function given a name of its
own and no collected tags, a change set named only by its ARN) belongs to every stack call in
the STACK_WINDOW_MINUTES before it. `collect` looks these calls up by
name (`acquire.cloudtrail`). A stack set's calls (`UpdateStackSet`, `CreateStackInstances`,
`UpdateStackInstances`) count for its instances in the caller's account, whose stacks are
`StackSet-<name>-<id>`; instances in other accounts are not seen from this one.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from lambda_ir.analyze.baseline import ESTABLISHED_DAYS, MIN_HISTORY_DAYS, parse_time
from lambda_ir.analyze.baseline_tools import network_of, tool_family
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detector import Detector, DetectorInfo, make_finding
from lambda_ir.analyze.trail_rows import TrailRow, lambda_resource, select_events
from lambda_ir.analyze.unknowns import UNKNOWN_ADDRESS, said
from lambda_ir.model import Finding, Kind, Severity

INFO = DetectorInfo(
    id="LIR-CT-014",
    title="Function changed by a stack update its caller does not usually start",
    severity=Severity.MEDIUM,
    attack=("T1078.004", "T1195.002", "T1546"),
    evidence=(Kind.TRAIL,),
    references=(
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-iam-servicerole.html",
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html",
    ),
    false_positives=(
        "A developer's first deploy from home or with a new tool (one new thing: LOW); a new "
        "pipeline's first days (a new principal). Collect with --baseline 90d for a longer "
        "history of stack updates."
    ),
    description=(
        "A stack operation (UpdateStack, ExecuteChangeSet, CreateStack, or a stack set's "
        "UpdateStackSet, CreateStackInstances, UpdateStackInstances) whose principal, "
        "network or tool was new for the account's stack history, followed by CloudFormation "
        "changing a function: LOW for one new thing, MEDIUM for two, HIGH for three."
    ),
)
# A stack set's calls: its instances in the caller's own account, in any region (another
# account's are not seen from this one).
STACK_SET_CALLS = ("UpdateStackSet", "CreateStackInstances", "UpdateStackInstances")
STACK_CALLS = ("UpdateStack", "ExecuteChangeSet", "CreateStack", *STACK_SET_CALLS)
CLOUDFORMATION = "cloudformation.amazonaws.com"
# A stack update's Lambda calls come seconds to minutes after it; one held by a wait
# condition, up to its longest timeout (43,200 s).
WAIT_HOURS = 12
STACK_WINDOW_MINUTES = 60  # for a write named after no stack: the latest call this close
_SEVERITY = {1: Severity.LOW, 2: Severity.MEDIUM, 3: Severity.HIGH}


@dataclass
class _History:
    """What stack calls the account had seen, and on which days, as the calls are read in
    order: per scope (the account, or one principal in it) its days, and each network's and
    tool's days."""

    days: dict[tuple[str, ...], set[date]] = field(default_factory=lambda: defaultdict(set))

    def before(self, scope: tuple[str, ...], day: date) -> int:
        return sum(1 for seen in self.days[scope] if seen < day)

    def known(self, scope: tuple[str, ...], day: date) -> bool:
        """Seen on ESTABLISHED_DAYS distinct days before `day`."""
        return self.before(scope, day) >= ESTABLISHED_DAYS

    def learn(self, row: TrailRow, day: date) -> None:
        principal = row.principal
        for scope in (("a", row.account), ("p", row.account, principal)):
            self.days[scope].add(day)
            for kind, value in _values(row):
                self.days[(*scope, kind, value)].add(day)


def _values(row: TrailRow) -> tuple[tuple[str, str], ...]:
    return (("net", network_of(row.actor.source_ip)), ("tool", tool_family(row.actor.user_agent)))


def detect(case: CaseView) -> Iterator[Finding]:
    """Stack operations new in principal, network or tool for the account, each reported for
    the functions CloudFormation changed for it."""
    calls = select_events(
        case,
        f"event_source = ? AND event_name IN ({', '.join('?' * len(STACK_CALLS))}) "
        "AND error_code IS NULL",
        [CLOUDFORMATION, *STACK_CALLS],
    )
    if not calls:
        return
    writes = select_events(
        case,
        "event_source = 'lambda.amazonaws.com' AND error_code IS NULL AND source_ip = ? "
        "AND NOT coalesce(read_only, false) AND coalesce(function_name, '') <> ''",
        [CLOUDFORMATION],
    )
    made = _attributed(calls, writes, _stack_tags(case))
    history = _History()
    for call in calls:
        when = parse_time(call.time)
        if when is None:
            continue
        new = _new(history, call, when.date())
        history.learn(call, when.date())
        days = history.before(("a", call.account), when.date())
        changed: dict[tuple[str, str], list[TrailRow]] = defaultdict(list)
        for write in made.get(call.event_id, []) if new else ():
            changed[(write.region, write.function_name)].append(write)
        for (_, function), writes_of in changed.items():
            yield _finding(call, function, writes_of, new, days)


def _new(history: _History, call: TrailRow, day: date) -> list[tuple[str, str]]:
    """(kind, reason) for each thing new about `call` against the stack calls before its day;
    none when the account's stack history is too short to judge."""
    if history.before(("a", call.account), day) < MIN_HISTORY_DAYS:
        return []
    principal = call.principal
    prior = history.before(("p", call.account, principal), day)
    new: list[tuple[str, str]] = []
    scope: tuple[str, ...] = ("p", call.account, principal)
    whose = f"by {principal}"
    if prior < ESTABLISHED_DAYS:
        before = f"on only {prior} day before" if prior == 1 else "never before"
        new.append(("principal", f"{principal} started stack updates {before}"))
        scope, whose = ("a", call.account), "in this account"
    network, tool = _values(call)
    if not history.known((*scope, *network), day):
        address = call.actor.source_ip or UNKNOWN_ADDRESS
        new.append(("network", f"network {network[1]} ({address}) never used {whose}"))
    if not history.known((*scope, *tool), day):
        new.append(("tool", f"tool {tool[1]} never used {whose}"))
    return new


_STACK_TAG = "aws:cloudformation:stack-name"
_Function = tuple[str, str, str]  # account, region, function name


def _stack_tags(case: CaseView) -> dict[_Function, str]:
    """The stack each collected function belongs to, by its `aws:cloudformation:stack-name`
    tag (CloudFormation sets it; tags under `aws:` cannot be set by anyone else)."""
    rows = case.index.execute(
        "SELECT account, region, function_name, json_extract_string(tags, ?) FROM functions "
        "WHERE json_type(tags) = 'OBJECT'",
        [f'$."{_STACK_TAG}"'],
    ).fetchall()
    return {(a, r, f): stack for a, r, f, stack in rows if a and r and f and stack}


def _attributed(
    calls: list[TrailRow], writes: list[TrailRow], tags: dict[_Function, str]
) -> dict[str, list[TrailRow]]:
    """Each CloudFormation write under the stack calls it belongs to (by event id): the
    latest call before it, up to WAIT_HOURS, of the stack the function's tag names, else of
    the longest stack name the function is named after (a stack set's in any region of the
    account, its instances' regions being its own); a write with no such call, under every
    call in the STACK_WINDOW_MINUTES before it (one of them new is enough to report it: the
    pipeline's own call in the same minute must not hide an intruder's). Calls are indexed
    by stack name and time (bisect): a write asks only for the names its stack's or its
    function's name could stand for."""
    named: dict[tuple[str, str, str], _Calls] = defaultdict(_Calls)
    placed: dict[tuple[str, str], _Calls] = defaultdict(_Calls)
    for call in calls:  # oldest first (`select_events`)
        if (when := parse_time(call.time)) is None:
            continue
        region = "*" if call.event_name in STACK_SET_CALLS else call.region
        if stack := _stack_name(call):
            named[(call.account, region, stack)].add(when, call)
        placed[(call.account, call.region)].add(when, call)
    out: dict[str, list[TrailRow]] = defaultdict(list)
    for write in writes:
        at = parse_time(write.time)
        if at is None:
            continue
        tagged = tags.get((write.account, write.region, write.function_name))
        owner = _owner(named, write, tagged or write.function_name, at)
        near = [owner] if owner else placed[(write.account, write.region)].between(at - _WINDOW, at)
        for call in near:
            out[call.event_id].append(write)
    return out


def _owner(
    named: dict[tuple[str, str, str], _Calls], write: TrailRow, name: str, at: datetime
) -> TrailRow | None:
    """The stack call `name` (the write's stack, else its function's name) stands for: the
    longest stack name first (the whole name, then each prefix before a `-`: a nested stack
    is `<parent>-<LogicalId>-<suffix>`, a stack set's instance `StackSet-<set>-<id>`), the
    latest call of it up to WAIT_HOURS before."""
    names = [name, *(name[:n] for n in range(len(name) - 1, 0, -1) if name[n] == "-")]
    for stack in names:
        found = [
            calls.between(at - timedelta(hours=WAIT_HOURS), at)
            for region in (write.region, "*")
            if (calls := named.get((write.account, region, stack))) is not None
        ]
        latest = [max(hits, key=_time) for hits in found if hits]
        if latest:
            return max(latest, key=_time)
    return None


def _time(call: TrailRow) -> str:
    return call.time or ""


@dataclass
class _Calls:
    """Stack calls in time order, for the ones between two times (bisect)."""

    times: list[datetime] = field(default_factory=list)
    rows: list[TrailRow] = field(default_factory=list)

    def add(self, when: datetime, call: TrailRow) -> None:
        self.times.append(when)
        self.rows.append(call)

    def between(self, start: datetime, end: datetime) -> list[TrailRow]:
        low = bisect.bisect_left(self.times, start)
        return self.rows[low : bisect.bisect_right(self.times, end)]


_WINDOW = timedelta(minutes=STACK_WINDOW_MINUTES)


def _stack_name(call: TrailRow) -> str:
    """The stack a call names (`stackName`: a name, or an ARN
    `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID`); for a stack set's call the prefix
    of its instances' stacks, `StackSet-<name>` (`stackSetName`: a name, or an ARN
    `…:stackset/NAME:ID`)."""
    if stack_set := said(call.request, "stackSetName", ""):
        name = stack_set.split(":", 5)[-1].split("/", 1)[-1].split(":")[0]
        return f"StackSet-{name}" if name else ""
    name = said(call.request, "stackName", "")
    if name.startswith("arn:"):
        parts = name.split(":", 5)[-1].split("/")
        return parts[1] if len(parts) > 2 else ""
    return name


def _finding(
    call: TrailRow, function: str, made: list[TrailRow], new: list[tuple[str, str]], days: int
) -> Finding:
    kinds = [kind for kind, _ in new]
    reasons = [reason for _, reason in new]
    stack = _stack_name(call) or "a stack the record does not name"
    operations = ", ".join(dict.fromkeys(write.operation for write in made))
    address = call.actor.source_ip or UNKNOWN_ADDRESS
    return make_finding(
        INFO,
        # the function's region: a stack set's instance may be in another than its call's
        resource=lambda_resource(call.account, made[0].region, function),
        account=call.account,
        region=made[0].region,
        severity=_SEVERITY[len(new)],
        key=f"{call.event_id}|{function}",
        time=call.time,
        actor=call.actor,
        evidence=(call.evidence, *(write.evidence for write in made)),
        summary=(
            f"{call.actor.name} started {call.operation} of {stack} from {address} with "
            f"{tool_family(call.actor.user_agent)}, and CloudFormation then changed {function} "
            f"({operations}, from {made[0].time}); new against {days} days of the account's "
            f"stack updates: {'; '.join(reasons)}. CloudFormation's own calls look like the "
            "stack's routine release: judge this change by who started it, and compare the "
            "function's code and configuration with the version before."
        ),
        details={
            "event_id": call.event_id,
            "stack": stack,
            "operations": [write.operation for write in made],
            "lambda_event_ids": [write.event_id for write in made],
            "baseline": {"judged": True, "new": kinds, "reasons": reasons, "history_days": days},
        },
    )


DETECTOR = Detector(INFO, detect)
