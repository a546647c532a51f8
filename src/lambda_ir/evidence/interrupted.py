"""Whether the case's last collection was cut short with no complete one since.

A `collect` run ends in custody with `collected` or `collect-interrupted`; a `collect
--org-role` run wraps one such run per account in `org-started` … `org-collected` or
`org-interrupted`. An interrupted run leaves the case holding only what it reached, so
`analyze` and `report` must say so; a later run that completes resumes it and fills the
gaps, so only the last run counts. A run whose start has no end after it was killed (a
SIGKILL, a closed laptop, the machine's end) or is still running: as cut short, it says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lambda_ir.evidence.custody import CustodyEntry, line_hash, read_entries
from lambda_ir.evidence.layout import CUSTODY


@dataclass(frozen=True)
class Interruption:
    """The custody entries recording the interruption, and what they say was left undone."""

    time: str  # when the run stopped (custody time of its last entry)
    lines: tuple[str, ...]  # SHA-256 of each custody line recording it, as custody hashes
    accounts: tuple[str, ...]  # the accounts whose collection stopped (or never started)
    regions: tuple[str, ...]
    not_done: dict[str, int] = field(default_factory=dict)  # queued calls dropped, by name
    ended: bool = True  # False: the run logged its start and never its end

    def describe(self) -> str:
        """One sentence for a report line or a finding's summary."""
        if not self.ended:
            return (
                f"The case's last collection, started at {self.time[:19]}Z, never recorded "
                "its end: it was killed (the process or the machine stopped) or is still "
                "running. Until a collection completes, the case may hold only part of what "
                "it was to collect, and functions and evidence it did not reach are missing "
                "from every finding and count; run the same `lambda-ir collect` again to "
                "resume (calls already in the case are not made again)."
            )
        dropped = sum(self.not_done.values())
        kinds = ", ".join(f"{name} {count}" for name, count in self.not_done.items())
        undone = (
            f"; {dropped} queued call(s) were never made ({kinds}), nor those they would "
            "have led to (later versions, packages, layers, roles)"
            if dropped
            else ""
        )
        return (
            f"The case's last collection was interrupted (Ctrl-C) at {self.time[:19]}Z and no "
            f"collection has completed since: the case holds only what it reached{undone}. "
            "Functions and evidence it did not reach are missing from every finding and "
            "count; run the same `lambda-ir collect` again to resume (calls already in the "
            "case are not made again)."
        )


_ENDS = {"collected", "collect-interrupted", "org-collected", "org-interrupted"}


def last_interruption(root: Path) -> Interruption | None:
    """The interruption of the case's last collection, or None when it completed (or none
    ran). Custody order decides: a later `collected` (outside an organisation run) or
    `org-collected` clears an earlier interruption. An organisation run's accounts start
    with `collect-started` marked `org`: an unmarked one is a plain run, so an organisation
    run that never logged its end (killed while its accounts' calls finished) does not hold
    every later run inside it."""
    run: list[tuple[CustodyEntry, str]] = []  # the end entries of the last run
    in_org = False
    started: tuple[CustodyEntry, str] | None = None  # the last run's start, until its end
    for _, raw, entry in read_entries(root / CUSTODY):
        if entry is None:
            continue
        if entry.action == "org-started":
            in_org, run, started = True, [], (entry, line_hash(raw))
        elif entry.action == "collect-started" and not (in_org and entry.details.get("org")):
            in_org, run, started = False, [], (entry, line_hash(raw))
        elif entry.action in _ENDS:
            if not in_org:
                run = []
            run.append((entry, line_hash(raw)))
            in_org = in_org and not entry.action.startswith("org-")
            started = started if in_org else None
    if any(e.action.endswith("interrupted") for e, _ in run):
        return _interruption(run)
    return None if started is None else _never_ended(*started)


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
