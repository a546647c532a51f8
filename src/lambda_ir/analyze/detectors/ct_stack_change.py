"""LIR-CT-014: a function CloudFormation changed for a caller acting off its usual paths.

A stack's Lambda calls carry CloudFormation's address and user agent (and, with a stack role,
that role's identity), so the baseline (LIR-CT-012) takes them for the stack's routine: a
stolen deploy role running `aws cloudformation update-stack` from its own machine releases its
code as an INFO release. The call that started the change carries the caller's own address
and tool: `UpdateStack`, `ExecuteChangeSet` or `CreateStack`. Each is judged against the
account's history of such calls as the baseline judges Lambda writes (the principal, its /24
network and its tool family, learnt from the days before the call's day: MIN_HISTORY_DAYS of
the account's stack history to judge at all, ESTABLISHED_DAYS of a principal's to know it),
and one that was new in something is reported for each function CloudFormation changed in the
account and region in the STACK_WINDOW_MINUTES after it (those named like the stack when any
is: CloudFormation names what it makes after the stack). LOW for one new thing, MEDIUM for
two, HIGH for all three. `collect` looks these calls up by name (`acquire.cloudtrail`).
"""

from __future__ import annotations

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
        "A stack operation (UpdateStack, ExecuteChangeSet, CreateStack) whose principal, "
        "network or tool was new for the account's stack history, followed by CloudFormation "
        "changing a function: LOW for one new thing, MEDIUM for two, HIGH for three."
    ),
)
STACK_CALLS = ("UpdateStack", "ExecuteChangeSet", "CreateStack")
CLOUDFORMATION = "cloudformation.amazonaws.com"
# A stack update's Lambda calls come seconds to minutes after it; a large stack's, later.
STACK_WINDOW_MINUTES = 60
_SEVERITY = {1: Severity.LOW, 2: Severity.MEDIUM, 3: Severity.HIGH}


@dataclass
class _History:
    """What stack calls the account had seen, and on which days, as the calls are read in
    order: per scope (the account, or one principal in it) the days and each network and
    tool's first day."""

    days: dict[tuple[str, ...], set[date]] = field(default_factory=lambda: defaultdict(set))
    firsts: dict[tuple[str, ...], date] = field(default_factory=dict)

    def before(self, scope: tuple[str, ...], day: date) -> int:
        return sum(1 for seen in self.days[scope] if seen < day)

    def known(self, scope: tuple[str, ...], day: date) -> bool:
        first = self.firsts.get(scope)
        return first is not None and first < day

    def learn(self, row: TrailRow, day: date) -> None:
        principal = row.principal
        self.days[("a", row.account)].add(day)
        self.days[("p", row.account, principal)].add(day)
        for scope in (("a", row.account), ("p", row.account, principal)):
            for kind, value in _values(row):
                self.firsts.setdefault((*scope, kind, value), day)


def _values(row: TrailRow) -> tuple[tuple[str, str], ...]:
    return (("net", network_of(row.actor.source_ip)), ("tool", tool_family(row.actor.user_agent)))


def detect(case: CaseView) -> Iterator[Finding]:
    """Stack operations new in principal, network or tool for the account, each reported for
    the functions CloudFormation changed after it."""
    calls = select_events(
        case,
        "event_source = ? AND event_name IN (?, ?, ?) AND error_code IS NULL "
        "AND coalesce(user_agent, '') NOT ILIKE '%lambda-ir%'",
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
    history = _History()
    for call in calls:
        when = parse_time(call.time)
        if when is None:
            continue
        new = _new(history, call, when.date())
        history.learn(call, when.date())
        changed = _changed(call, when, writes) if new else {}
        for function, made in changed.items():
            yield _finding(
                call, function, made, new, history.before(("a", call.account), when.date())
            )


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


def _changed(call: TrailRow, when: datetime, writes: list[TrailRow]) -> dict[str, list[TrailRow]]:
    """The functions CloudFormation changed in the call's account and region within the
    window after it, each with its calls; those named like the stack when any is."""
    end = when + timedelta(minutes=STACK_WINDOW_MINUTES)
    found: dict[str, list[TrailRow]] = defaultdict(list)
    for write in writes:
        at = parse_time(write.time)
        same = (write.account, write.region) == (call.account, call.region)
        if same and at is not None and when <= at <= end:
            found[write.function_name].append(write)
    stack = _stack_name(call)
    named = {name: made for name, made in found.items() if stack and name.startswith(stack)}
    return named or dict(found)


def _stack_name(call: TrailRow) -> str:
    """The stack a call names (`stackName`: a name, or an ARN
    `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID`)."""
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
        resource=lambda_resource(call.account, call.region, function),
        account=call.account,
        region=call.region,
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
