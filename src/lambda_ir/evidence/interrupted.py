"""Whether a collection of the case was cut short with no complete one covering it since.

A `collect` run ends in custody with `collected` or `collect-interrupted`; a `collect
--org-role` run wraps one such run per account in `org-started` … `org-collected` or
`org-interrupted`. An interrupted run leaves the case holding only what it reached, so
`analyze` and `report` must say so, until a later run that covers it (its accounts, regions
and functions) completes: it resumes the cut run and fills its gaps. A run whose start has
no end after it was killed (a SIGKILL, a closed laptop, the machine's end) or is still
running: as cut short, it says so."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from lambda_ir.evidence.custody import CustodyEntry, line_hash, read_entries
from lambda_ir.evidence.layout import CUSTODY
from lambda_ir.model import FunctionRef


@dataclass(frozen=True)
class Interruption:
    """The custody entries recording the interruption, and what they say was left undone."""

    time: str  # when the run stopped (custody time of its last entry)
    lines: tuple[str, ...]  # SHA-256 of each custody line recording it, as custody hashes
    accounts: tuple[str, ...]  # the accounts whose collection stopped (or never started)
    regions: tuple[str, ...]
    not_done: dict[str, int] = field(default_factory=dict)  # queued calls dropped, by name
    ended: bool = True  # False: the run logged its start and never its end

    # Every run merged into this one, in custody order: (when it stopped, whether it logged
    # its end). One run cut short has just itself.
    runs: tuple[tuple[str, bool], ...] = ()

    @property
    def stops(self) -> str:
        """How the runs cut short stopped: "interrupted", "never ended", or both."""
        kinds = {ended for _, ended in self.runs or ((self.time, self.ended),)}
        return "; ".join(("interrupted",) * (True in kinds) + ("never ended",) * (False in kinds))

    def describe(self) -> str:
        """One sentence for a report line or a finding's summary: each run cut short, by how
        it stopped (several merged runs of both kinds each named, not only the last one's)."""
        runs = self.runs or ((self.time, self.ended),)
        dropped = sum(self.not_done.values())
        kinds = ", ".join(f"{name} {count}" for name, count in self.not_done.items())
        undone = (
            f"; {dropped} queued call(s) were never made ({kinds}), nor those they would "
            "have led to (later versions, packages, layers, roles)"
            if dropped
            else ""
        )
        if len(runs) > 1:
            stops = "; ".join(_stopped(time, ended) for time, ended in runs)
            opening = (
                f"{len(runs)} collections of this case were cut short ({stops}) and no later "
                "collection covering their accounts, regions and functions has completed: "
                f"the case holds only what they reached{undone}. Functions and evidence they"
            )
        elif not runs[0][1]:
            opening = (
                f"A collection of this case, started at {runs[0][0][:19]}Z, never recorded its "
                "end: it was killed (the process or the machine stopped) or is still running, "
                "and no later collection covering its accounts, regions and functions has "
                "completed. The case may hold only part of what it was to collect"
                f"{undone}: functions and evidence it"
            )
        else:
            opening = (
                f"A collection of this case was interrupted (Ctrl-C) at {runs[0][0][:19]}Z and "
                "no later collection covering its accounts, regions and functions has "
                f"completed: the case holds only what it reached{undone}. Functions and "
                "evidence it"
            )
        return (
            f"{opening} did not reach are missing from every finding and count; run the same "
            "`lambda-ir collect` again to resume (calls already in the case are not made "
            "again)."
        )


def _stopped(time: str, ended: bool) -> str:
    """How one merged run stopped, for `Interruption.describe`."""
    if ended:
        return f"interrupted (Ctrl-C) at {time[:19]}Z"
    return f"started at {time[:19]}Z, never recorded its end (killed, or still running)"


_ENDS = {"collected", "collect-interrupted", "org-collected", "org-interrupted"}


def last_interruption(root: Path) -> Interruption | None:
    """The case's collections cut short that no later complete run covers, told as one
    (`_merged`), or None when none is left (or none ran). Custody order decides: a run cut
    short (Ctrl-C, or a start with no end) stands until a later run completes that covers
    its scope (`_Run.covers`): the same accounts, regions and functions or more. A
    one-function run (`collect --function`, or `contain`'s evidence preservation) does not
    clear a whole account's collection killed before it. An organisation run's accounts
    start with `collect-started` marked `org`: an unmarked one is a plain run, so an
    organisation run that never logged its end does not hold every later run inside it."""
    outstanding: list[_Run] = []
    for run in _runs(root):
        if run.cut_short:
            outstanding.append(run)
        else:
            outstanding = [cut for cut in outstanding if not run.covers(cut)]
    found = [_told(cut) for cut in outstanding]
    return _merged([told for told in found if told is not None])


def _told(cut: _Run) -> Interruption | None:
    if any(entry.action.endswith("interrupted") for entry, _ in cut.ends):
        return _interruption(cut.ends)
    return _never_ended(*cut.start) if cut.start else None


def _merged(found: list[Interruption]) -> Interruption | None:
    """Every run cut short and not covered since, as one: the last one's time and kind,
    every run's custody lines, accounts, regions and dropped calls."""
    if not found:
        return None
    not_done: Counter[str] = Counter()
    for told in found:
        not_done.update(told.not_done)
    return Interruption(
        time=found[-1].time,
        lines=tuple(line for told in found for line in told.lines),
        accounts=tuple(dict.fromkeys(a for told in found for a in told.accounts)),
        regions=tuple(dict.fromkeys(r for told in found for r in told.regions)),
        not_done=dict(sorted(not_done.items())),
        ended=found[-1].ended,
        runs=tuple(run for told in found for run in (told.runs or ((told.time, told.ended),))),
    )


@dataclass
class _Run:
    """One collect run in custody: its start (None when custody holds only its end), its
    accounts' `collect-started` entries (one for a plain run), the ends logged inside it,
    and whether it logged its own end."""

    start: tuple[CustodyEntry, str] | None
    org: bool
    starts: list[CustodyEntry] = field(default_factory=list)
    ends: list[tuple[CustodyEntry, str]] = field(default_factory=list)
    ended: bool = False

    @property
    def cut_short(self) -> bool:
        return not self.ended or any(e.action.endswith("interrupted") for e, _ in self.ends)

    def covers(self, cut: _Run) -> bool:
        """Whether this run, complete, collected at least what `cut` was to collect: the
        accounts it completed, its regions and functions. What a run does not say (an old or
        hand-written custody line) constrains nothing; no function filter is every one."""
        mine, theirs = self._completed(), cut._accounts()
        if mine is not None and theirs is not None and not theirs <= mine:
            return False
        mine, theirs = self._regions(), cut._regions()
        if mine is not None and theirs is not None and not theirs <= mine:
            return False
        ours, wanted = self._functions(), cut._functions()
        if ours is None:
            return True
        return wanted is not None and all(_within(place, ours) for place in wanted)

    def _accounts(self) -> set[str] | None:
        """The accounts it was to collect (an organisation run's `targets`, else the accounts
        its entries name); None: unknown."""
        targets = self.start[0].details.get("targets") if self.start else None
        if self.org and isinstance(targets, list):
            return {str(account) for account in targets}
        found = {str(e.details["account"]) for e in self.starts if e.details.get("account")}
        found |= {str(e.details["account"]) for e, _ in self.ends if e.details.get("account")}
        return found or None

    def _completed(self) -> set[str] | None:
        """The accounts it collected whole: an organisation run's accounts that logged
        `collected` (one whose role could not be assumed never started); a plain run's."""
        if not self.org:
            return self._accounts()
        return {
            str(e.details["account"])
            for e, _ in self.ends
            if e.action == "collected" and e.details.get("account")
        }

    def _scopes(self) -> list[dict[str, Any]]:
        """The scopes its starts logged (an organisation run's start and each account's)."""
        starts = [self.start[0]] if self.org and self.start else []
        found = [entry.details.get("scope") for entry in [*starts, *self.starts]]
        return [scope for scope in found if isinstance(scope, dict)]

    def _regions(self) -> set[str] | None:
        """Its scope's regions; None: unsaid. Regions an end names count too."""
        found = {str(region) for scope in self._scopes() for region in scope.get("regions") or ()}
        for entry, _ in self.ends:
            found |= {str(region) for region in entry.details.get("regions") or ()}
        return found or None

    def _functions(self) -> set[tuple[str, str]] | None:
        """The (region, name) of each function its scope asked for, as collect reads the
        scope: a name in each of the scope's regions ("*" when it names none), an ARN in its
        own region only (`inventory.wanted_names`); None: every function (a start without
        `--function`) or unsaid."""
        found: set[tuple[str, str]] = set()
        for scope in self._scopes():
            listed = scope.get("functions")
            if not listed:
                return None  # a start without a function filter: all of them
            regions = [str(region) for region in scope.get("regions") or ()] or ["*"]
            for value in listed:
                found |= _places(str(value), regions)
        return found or None


def _places(function: str, regions: list[str]) -> set[tuple[str, str]]:
    """Where a scope's function is read: an ARN (`contain` preserves evidence naming the
    function so, a qualifier with it) in its region, a name in each of `regions`."""
    if function.startswith("arn:"):
        try:
            ref = FunctionRef.from_arn(function)
        except ValueError:
            pass
        else:
            return {(ref.region, ref.name)}
    return {(region, function) for region in regions}


def _within(place: tuple[str, str], ours: set[tuple[str, str]]) -> bool:
    """Whether a run that read the functions `ours` read the function at `place` (a region
    "*" is one a scope did not say, which constrains nothing)."""
    region, name = place
    if place in ours or ("*", name) in ours:
        return True
    return region == "*" and any(known == name for _, known in ours)


def _runs(root: Path) -> Iterator[_Run]:
    """The collect runs custody records, in order."""
    run: _Run | None = None
    for _, raw, entry in read_entries(root / CUSTODY):
        if entry is None:
            continue
        if entry.action == "org-started":
            if run is not None:
                yield run
            run = _Run((entry, line_hash(raw)), org=True)
        elif entry.action == "collect-started" and entry.details.get("org") and _open_org(run):
            run.starts.append(entry)
        elif entry.action == "collect-started":
            if run is not None:
                yield run
            run = _Run((entry, line_hash(raw)), org=False, starts=[entry])
        elif entry.action in _ENDS:
            if run is None or run.ended:  # an end whose start custody does not hold
                if run is not None:
                    yield run
                run = _Run(None, org=entry.action.startswith("org-"))
            run.ends.append((entry, line_hash(raw)))
            run.ended = not run.org or entry.action.startswith("org-")
    if run is not None:
        yield run


def _open_org(run: _Run | None) -> TypeGuard[_Run]:
    """Whether `run` is an organisation run that has not logged its end."""
    return run is not None and run.org and not run.ended


def _never_ended(entry: CustodyEntry, line: str) -> Interruption:
    """The run `entry` started, which logged no end."""
    details = entry.details
    scope = details.get("scope")
    regions = scope.get("regions") if isinstance(scope, dict) else None
    accounts = [details.get("account")] if details.get("account") else details.get("targets")
    return Interruption(
        time=entry.time,
        lines=(line,),
        accounts=tuple(str(a) for a in accounts if a) if isinstance(accounts, list) else (),
        regions=tuple(str(r) for r in regions) if isinstance(regions, list) else (),
        ended=False,
    )


def _interruption(run: list[tuple[CustodyEntry, str]]) -> Interruption:
    not_done: Counter[str] = Counter()
    accounts: dict[str, None] = {}
    regions: dict[str, None] = {}
    for entry, _ in run:
        details = entry.details
        if entry.action == "collect-interrupted":
            accounts[str(details.get("account") or "")] = None
            regions.update(dict.fromkeys(str(r) for r in details.get("regions") or ()))
            not_done.update({str(k): int(v) for k, v in (details.get("not_done") or {}).items()})
        elif entry.action == "org-interrupted":
            accounts.update(dict.fromkeys(str(a) for a in details.get("not_started") or ()))
    recorded = [(e, h) for e, h in run if e.action.endswith("interrupted")]
    return Interruption(
        time=run[-1][0].time,
        lines=tuple(h for _, h in recorded),
        accounts=tuple(a for a in accounts if a),
        regions=tuple(regions),
        not_done=dict(sorted(not_done.items())),
    )
