"""The account's ordinary life, learnt from the case's own CloudTrail: who acts on Lambda, from
which networks, with which tools, at which hours, on which functions.

Built from every successful `lambda.amazonaws.com` call the case holds (with `collect
--baseline 90d`, LookupEvents' full 90 days): DuckDB reduces the trail to its distinct
(day, hour, account, principal, function, address, user agent) combinations and only those
reach Python. A value is *established* for an event when it was seen on at least
`ESTABLISHED_DAYS` distinct days before the event's day, so an intruder's own burst never
vouches for itself. An event is judged only when the account has `MIN_HISTORY_DAYS` days of
history before it; otherwise the verdict is "no baseline" and detectors fall back to what the
event itself shows. Principals are roles, not sessions (`baseline_tools.principal_of`).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from lambda_ir.analyze.baseline_tools import (
    MACHINE_TOOLS,
    is_internal,
    is_service,
    network_of,
    principal_of,
    tool_family,
    via_service,
)
from lambda_ir.model import Severity

if TYPE_CHECKING:
    from lambda_ir.analyze.caseview import CaseView
    from lambda_ir.analyze.trail_rows import TrailRow

ESTABLISHED_DAYS = 2
MIN_HISTORY_DAYS = 3
DORMANT_DAYS = 14
# Usual hours are a window: an hour is usual when the principal (or, before it is established,
# the account) acted within HOUR_SLACK hours of it on ESTABLISHED_DAYS distinct days before.
# A CI that releases at 10:00, 12:00 and 13:00 on three days is usual at 11:00; 02:10 is not.
HOUR_SLACK = 2
# An established principal that had already called from ROAMING_NETWORKS distinct IP networks
# (/24, /48), first seen on ROAMING_DAYS distinct days or more, before the event's day roams:
# GitHub-hosted runners, CodeBuild, a role a whole team assumes from home. A network new to it
# says nothing, so it is not counted as new; a principal that keeps to a few networks is
# judged by them. The days keep one day's burst of calls from making a role roam; a principal
# not yet established is judged against the account's networks, never as roaming.
ROAMING_NETWORKS = 10
ROAMING_DAYS = 3
# An established principal whose one established IP network (seen on ESTABLISHED_DAYS days)
# was seen on PINNED_DAYS days or more before the event's day, with at most PINNED_STRAYS
# other networks it changed Lambda from (networks it only read from do not count: a thief's
# looks the days before), is pinned to it: a
# runner pool behind one NAT, a job. A change it makes with its usual machine tool (a
# deployment tool or an SDK, not the console or the CLI) from another, public IP network is
# two new things, the network and that it ever moved: a machine's keys do not travel, stolen
# ones do (GuardDuty's credential exfiltration findings rest on the same). Not for identities
# only people hold (root, a federation token, an SSO session), nor reads (a scanner's new
# egress), nor a move inside a private address space (a VPC endpoint seen from another subnet).
PINNED_DAYS = 5
PINNED_STRAYS = 1  # networks a pinned principal may have changed Lambda from besides its own
STRONG = ("principal", "network", "pinned", "tool", "hours", "dormant")

# A change, as baselines tell "has changed Lambda before" from "has only read or invoked it":
# a principal that read or called a function for weeks vouches for nothing it then writes
# (`baseline_sql` says the same). Invoke* are data events the trail may hold.
READ_PREFIXES = ("Get", "List", "Invoke")


def writes_sql(column: str = "operation") -> str:
    """`is_write` in SQL, on the operation `column` (a NULL operation counts as a write)."""
    reads = " OR ".join(f"coalesce({column}, '') LIKE '{prefix}%'" for prefix in READ_PREFIXES)
    return f"NOT ({reads})"


_SQL = f"""
SELECT DISTINCT CAST(event_time AS DATE), hour(event_time), account, actor_type, actor_arn,
       session_issuer_arn, actor_name, access_key_id, function_name, source_ip, user_agent,
       {writes_sql()}
FROM trail_events
WHERE event_source = 'lambda.amazonaws.com' AND error_code IS NULL AND event_time IS NOT NULL
  AND coalesce(user_agent, '') NOT ILIKE '%lambda-ir%'
"""  # noqa: S608


@dataclass(frozen=True)
class Novelty:
    """What was new about one call against the baseline, and how sure that verdict is.

    `judged` is False when the account had too little history before the call; `service`
    when an AWS service made it for the account; `new` lists the kinds that were new
    (principal, network, pinned, tool, hours, dormant, function) and `reasons` says each in
    words.
    """

    judged: bool
    service: bool = False
    new: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    history_days: int = 0
    principal: str = ""
    roaming: int = 0  # networks seen before, when a new network was not counted (it roams)
    untimed: bool = False  # not judged because the call's time could not be read

    @property
    def established(self) -> bool:
        """A release along an established path: judged, and nothing strong was new."""
        return self.service or (self.judged and not self.strong)

    @property
    def strong(self) -> tuple[str, ...]:
        """The new kinds that raise severity (a first change of one function does not)."""
        return tuple(kind for kind in self.new if kind in STRONG)

    def severity(self) -> Severity | None:
        """INFO on an established path; LOW, MEDIUM, HIGH for one, two, three or more new
        kinds; None without a baseline (the detector decides from the event alone)."""
        if self.established:
            return Severity.INFO
        if not self.judged:
            return None
        count = len(self.strong)
        return Severity.LOW if count == 1 else Severity.MEDIUM if count == 2 else Severity.HIGH

    def phrase(self) -> str:
        """A clause for a finding's summary, standing on its own after a semicolon."""
        return self._phrase

    @functools.cached_property
    def _phrase(self) -> str:  # made once for a verdict its findings share (`verdict_of`)
        if self.service:
            return f"an AWS service made the call for the account ({self.principal})"
        if self.untimed:
            return "not judged against the baseline (the call's time could not be read)"
        if not self.judged:
            return f"no baseline yet ({_history(self.history_days)} before it)"
        roams = (
            f"{self.principal} roams ({self.roaming} networks before): a new network is not counted"
        )
        if not self.new:
            seen = (
                "principal, tool and hours"
                if self.roaming
                else "principal, network, tool and hours"
            )
            path = (
                f"along an established path: {seen} all seen on {ESTABLISHED_DAYS}+ days of the "
                f"{self.history_days} before"
            )
            return f"{path}; {roams}" if self.roaming else path
        found = "new against the baseline: " + "; ".join(self.reasons)
        return f"{found}; {roams}" if self.roaming else found

    def to_json(self) -> dict[str, Any]:
        """The verdict as a finding's details carry it: one dict for equal verdicts, shared by
        their findings (at 1M events 6,900 distinct verdicts for 166k findings: 50 MB less),
        so it is read, never changed in place."""
        return self._json

    @functools.cached_property
    def _json(self) -> dict[str, Any]:  # kept, not hashed field by field at every call
        return _verdict_json(self)


def _history(days: int) -> str:
    """How much of the account's history came before a call, in words."""
    return f"only {_day_count(days)} of history" if days else "no history"


def _day_count(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


@functools.lru_cache(maxsize=65536)
def _verdict_json(novelty: Novelty) -> dict[str, Any]:
    return {
        "judged": novelty.judged,
        "service": novelty.service,
        "new": list(novelty.new),
        "reasons": list(novelty.reasons),
        "history_days": novelty.history_days,
        **({"roaming_networks": novelty.roaming} if novelty.roaming else {}),
    }


class Baseline:
    """Distinct days each (account, principal, value) was seen; read by `judge`."""

    def __init__(self, days: dict[tuple[str, ...], list[date]]) -> None:
        self._days = {key: sorted(set(found)) for key, found in days.items()}
        # Per principal, its IP networks by the day each was first seen (`_pinned`), those
        # first days, sorted, and without repeats: how many networks it had before a day, and
        # over how many days (`_roaming`).
        nets: dict[tuple[str, ...], list[tuple[date, str]]] = {}
        written: dict[tuple[str, ...], list[tuple[date, str]]] = {}  # by first change from it
        for key, found in self._days.items():
            if len(key) == 5 and key[3] == "net" and "/" in key[4]:
                if key[0] == "p":
                    nets.setdefault(key[:3], []).append((found[0], key[4]))
                elif key[0] == "w":
                    written.setdefault(("p", *key[1:3]), []).append((found[0], key[4]))
        self._nets = {scope: sorted(found) for scope, found in nets.items()}
        self._written = {scope: sorted(found) for scope, found in written.items()}
        self._net_firsts = {scope: [first for first, _ in n] for scope, n in self._nets.items()}
        self._net_days = {scope: sorted(set(firsts)) for scope, firsts in self._net_firsts.items()}

    def _before(self, key: tuple[str, ...], day: date) -> list[date]:
        found = self._days.get(key, [])
        return found[: bisect.bisect_left(found, day)]

    def _known(self, key: tuple[str, ...], day: date) -> bool:
        return len(self._before(key, day)) >= ESTABLISHED_DAYS

    def _pinned(self, scope: tuple[str, ...], day: date) -> bool:
        """Of the IP networks the principal changed Lambda from before `day`, one alone was
        established (seen on ESTABLISHED_DAYS days), on PINNED_DAYS days or more, and at
        most PINNED_STRAYS others were changed from at all: networks it only read from do
        not count, so a thief's looks before it acts, from one network or several, neither
        establish its network nor unpin the principal."""
        before = [network for first, network in self._written.get(scope, []) if first < day]
        known = [network for network in before if self._known((*scope, "net", network), day)]
        return (
            len(before) <= 1 + PINNED_STRAYS
            and len(known) == 1
            and len(self._before((*scope, "net", known[0]), day)) >= PINNED_DAYS
        )

    def _roaming(self, scope: tuple[str, ...], day: date) -> int:
        """The networks a principal had used before `day` when it roams (ROAMING_NETWORKS
        first seen over ROAMING_DAYS days or more), else 0."""
        networks = bisect.bisect_left(self._net_firsts.get(scope, []), day)
        days = bisect.bisect_left(self._net_days.get(scope, []), day)
        return networks if networks >= ROAMING_NETWORKS and days >= ROAMING_DAYS else 0

    def judge_row(self, row: TrailRow) -> Novelty:
        """The verdict on one CloudTrail event (see `judge`)."""
        when = parse_time(row.time)
        if when is None:
            return Novelty(judged=False, untimed=True)
        return self.judge(
            row.account,
            row.principal,
            row.function_name,
            row.actor.source_ip,
            row.actor.user_agent,
            when,
            service=is_service(row.actor_type, row.actor.session_issuer),
            via=via_service(row.actor_type, row.actor.source_ip, row.actor.session_issuer),
            write=is_write(row.operation),
            person=row.is_person_only,
        )

    def judge(
        self,
        account: str,
        principal: str,
        function: str,
        source_ip: str,
        user_agent: str,
        when: datetime,
        *,
        service: bool = False,
        via: bool = False,
        write: bool = False,
        person: bool = False,
    ) -> Novelty:
        """What was new about a call by `principal` from `source_ip` with `user_agent` at
        `when` on `function`, against the days before `when`'s day. A `write` (a change) is
        established only by the days the principal changed Lambda before, not read it. A call
        `via` a service (`baseline_tools.via_service`) has the service's address and agent:
        for a principal not yet established neither counts as new; an established one's
        first call through a service is a new network and tool for it. A principal whose
        identity only a `person` holds is never pinned to a network (PINNED_DAYS)."""
        day = when.date()
        history = len(self._before(("a", account), day))
        if service:
            return Novelty(True, True, history_days=history, principal=principal)
        if history < MIN_HISTORY_DAYS:
            return Novelty(False, history_days=history, principal=principal)
        acted = ("w" if write else "p", account, principal)
        prior = len(self._before(acted, day))
        known = prior >= ESTABLISHED_DAYS
        scope = ("p", account, principal) if known else ("a", account)
        network, tool = network_of(source_ip), tool_family(user_agent)
        # An established principal's change is from a known network only when it changed
        # Lambda from it before: reading from a network vouches for nothing it then changes.
        net_known = self._known((*scope, "net", network), day) and not (
            write and known and not self._before(("w", account, principal, "net", network), day)
        )
        # A new principal through a service: the service's name is no network or tool of its
        # own. An established one going through a service it never used is judged by it.
        fresh = via and not known
        hours = [(when.hour + d) % 24 for d in range(-HOUR_SLACK, HOUR_SLACK + 1)]
        near = {d for h in hours for d in self._before((*scope, "hour", str(h)), day)}
        seen = self._before(acted, day)
        tool_known = self._known((*scope, "tool", tool), day)
        pinned = (
            known
            and write
            and not person
            and tool_known
            and tool in MACHINE_TOOLS
            and "/" in network
            and not is_internal(network)
            and self._pinned(scope, day)
        )
        return novelty_from(
            principal=principal,
            history=history,
            known=known,
            prior=prior,
            network=(network, source_ip, fresh or net_known),
            roaming=self._roaming(scope, day) if known else 0,
            pinned=pinned,
            tool=(tool, fresh or tool_known),
            hours=(f"{when:%H:%M}", len(near) >= ESTABLISHED_DAYS),
            idle=(day - seen[-1]).days if seen else None,
            function=(
                function,
                bool(function and self._before(("f", account, principal, function), day)),
            ),
            write=write,
        )


def novelty_from(
    *,
    principal: str,
    history: int,
    known: bool,
    prior: int,
    network: tuple[str, str, bool],
    roaming: int = 0,
    pinned: bool = False,
    tool: tuple[str, bool],
    hours: tuple[str, bool],
    idle: int | None,
    function: tuple[str, bool],
    write: bool = False,
) -> Novelty:
    """The verdict on a judged call from what the baseline knew: whether the principal was
    established (and on how many days before), and for the network (with the address), tool,
    hours (HH:MM) and function whether each was; `roaming` is how many networks the principal
    had used when it roams (`Baseline._roaming`; then a new one is not counted), else 0;
    `pinned` whether the principal had kept to one IP network and changed Lambda with its
    usual machine tool (PINNED_DAYS);
    `idle` is the days since the principal last acted (changed Lambda, for a `write`).
    Shared by `Baseline.judge` and the bulk verdicts of `baseline_sql`."""
    new: list[str] = []
    reasons: list[str] = []
    if not known:
        new.append("principal")
        did = "changed Lambda" if write else "acted on Lambda"
        reasons.append(
            f"principal {principal} "
            + (f"{did} on only {_day_count(prior)} before" if prior else f"never {did} before")
        )
    whose = f"by {principal}" if known else "in this account"
    roaming = roaming if not network[2] else 0
    if not network[2] and not roaming:
        new.append("network")
        reasons.append(f"network {network[0]} ({network[1]}) never used {whose}")
        if pinned:
            new.append("pinned")
            reasons.append(
                f"{principal} had changed Lambda with its usual tool and kept to one other "
                f"network, seen on {PINNED_DAYS}+ days, before"
            )
    if not tool[1]:
        new.append("tool")
        reasons.append(f"tool {tool[0]} never used {whose}")
    if not hours[1]:
        new.append("hours")
        reasons.append(f"{hours[0]} UTC is outside the usual hours {whose}")
    if idle is not None and idle >= DORMANT_DAYS:
        new.append("dormant")
        reasons.append(f"{principal} had been idle for {idle} days")
    if known and function[0] and not function[1]:
        new.append("function")
        reasons.append(f"first call by {principal} on {function[0]}")
    return Novelty(True, False, tuple(new), tuple(reasons), history, principal, roaming)


def build_baseline(view: CaseView) -> Baseline:
    """The baseline of every account in the case (empty when the case holds no trail)."""
    try:
        rows = view.index.execute(_SQL).fetchall()
    except Exception:  # an index without trail_events: no baseline
        rows = []
    return Baseline(_days(rows))


def _days(rows: Iterable[tuple[Any, ...]]) -> dict[tuple[str, ...], list[date]]:
    days: dict[tuple[str, ...], list[date]] = {}
    for day, hour, account, kind, arn, issuer, name, key, function, ip, agent, write in rows:
        account = str(account or "")
        ip, agent = str(ip or ""), str(agent or "")
        if is_service(str(kind or ""), str(issuer or "")):
            days.setdefault(("a", account), []).append(day)
            continue
        who = principal_of(
            str(kind or ""), str(arn or ""), str(issuer or ""), str(name or ""), str(key or "")
        )
        network = network_of(ip)
        facts = (("net", network), ("tool", tool_family(agent)), ("hour", str(hour)))
        for scope in (("a", account), ("p", account, who)):
            days.setdefault(scope, []).append(day)
            for label, value in facts:
                days.setdefault((*scope, label, value), []).append(day)
        if write:
            days.setdefault(("w", account, who), []).append(day)
            days.setdefault(("w", account, who, "net", network), []).append(day)
        if function:
            days.setdefault(("f", account, who, str(function)), []).append(day)
    return days


def is_write(operation: str) -> bool:
    """A change rather than a read or an invocation (`writes_sql`, in Python)."""
    return not operation.startswith(READ_PREFIXES)


def parse_time(stamp: str | None) -> datetime | None:
    """A trail or finding time (`…Z` ISO-8601) as a datetime; None when absent or unreadable."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def who_severity(default: Severity, novelty: Novelty) -> Severity:
    """Severity of a change that is suspicious only for *who* made it: INFO on an established
    path (a release), the novelty's severity when something was new, `default` without a
    baseline."""
    if novelty.established:
        return Severity.INFO
    return novelty.severity() or default


def act_severity(novelty: Novelty) -> Severity:
    """Severity of an act that is risky whoever does it (opening a URL, blinding the trail),
    judged by who did it: LOW on an established path, MEDIUM when one thing about the caller
    was new, HIGH for two or more or with no baseline to judge by."""
    if novelty.established:
        return Severity.LOW
    if novelty.judged and len(novelty.strong) < 2:
        return Severity.MEDIUM
    return Severity.HIGH
