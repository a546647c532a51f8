"""Which of the case's events a report's timeline opens on, and what it says it left out.

The page's "window: the incident" button and report.md's table start at the same moment,
`WINDOW_LEAD` before the first sign of compromise (`ReportFacts.since`), so a ticket's table
reaches the attack instead of stopping in the case's first, routine, weeks. Both count the
case's events without the collector's own CloudTrail calls and say so: the terminal's
`timeline` count, which includes them, is that many higher.
"""

from __future__ import annotations

from dataclasses import dataclass

from lambda_ir.model import TimelineEvent
from lambda_ir.report.facts import WINDOW_LEAD, ReportFacts, shift_time


def window_start(facts: ReportFacts) -> str | None:
    """When the incident window opens: `WINDOW_LEAD` before `since`; None without a sign."""
    return shift_time(facts.since, -WINDOW_LEAD) if facts.since else None


def hidden_note(facts: ReportFacts) -> str:
    """The sentence saying the collector's own calls are left out ("" when there were none)."""
    if not facts.hidden:
        return ""
    return f"The collector's own {facts.hidden} CloudTrail calls are left out."


@dataclass(frozen=True)
class TimelineRows:
    """The events a table lists (invocations left out) and where the others went."""

    start: str | None  # the incident window's start; None: from the first event
    rows: tuple[TimelineEvent, ...]
    in_window: int  # events other than invocations from `start` on, listed or not
    before: int  # events other than invocations before `start`
    invocations: int  # invocations the report read
    unread: int  # events the report does not carry (`facts.MAX_EVENTS`)

    @property
    def left_out(self) -> int:
        """Events of the case this table does not list."""
        return self.before + self.in_window - len(self.rows) + self.invocations + self.unread


def timeline_rows(facts: ReportFacts, limit: int) -> TimelineRows:
    """The first `limit` events other than invocations from the incident window's start."""
    start = window_start(facts)
    telling = [e for e in facts.events if e.kind != "invocation"]
    window = [e for e in telling if start is None or e.time >= start]
    return TimelineRows(
        start=start,
        rows=tuple(window[:limit]),
        in_window=len(window),
        before=len(telling) - len(window),
        invocations=len(facts.events) - len(telling),
        unread=max(0, facts.events_total - len(facts.events)),
    )
