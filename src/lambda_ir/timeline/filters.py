"""Which timeline events to keep: a time window, functions, actors and sources.

`lambda-ir timeline --since/--until/--function/--actor/--source` builds one `EventFilter`;
the merged stream is filtered as it is written, so a narrow window of a big case stays
cheap in memory. A function given by ARN matches only that account and region (a same-named
function elsewhere is another function); a bare name matches it everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lambda_ir.model import FunctionRef, TimelineEvent
from lambda_ir.timeline.clock import utc_iso

SOURCES = ("cloudtrail", "lambda", "logs", "runtime", "finding")


class FilterError(ValueError):
    """A filter value that cannot be used (a date that is not one, an unknown source)."""


@dataclass(frozen=True)
class EventFilter:
    """Keep events inside [since, until] (UTC, inclusive) that match every given list."""

    since: str | None = None
    until: str | None = None
    functions: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """True when anything is filtered at all."""
        return any((self.since, self.until, self.functions, self.actors, self.sources))

    def matches(self, event: TimelineEvent) -> bool:
        """True when the event passes every filter given."""
        if self.since and event.time < self.since:
            return False
        if self.until and event.time > self.until:
            return False
        if self.sources and event.source not in self.sources:
            return False
        if self.functions and not any(is_function(event, f) for f in self.functions):
            return False
        return not self.actors or any(_is_actor(event, a) for a in self.actors)

    def apply(self, events: Iterable[TimelineEvent]) -> Iterator[TimelineEvent]:
        """The events that match, in the order given."""
        return (event for event in events if self.matches(event))


def make_filter(
    since: str | None = None,
    until: str | None = None,
    functions: Iterable[str] = (),
    actors: Iterable[str] = (),
    sources: Iterable[str] = (),
) -> EventFilter:
    """An `EventFilter` from command-line text; dates in any ISO-8601 form, as UTC."""
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise FilterError(f"unknown source {', '.join(unknown)}; choose from {', '.join(SOURCES)}")
    start, end = _time(since, "since"), _time(until, "until", end=True)
    if start and end and start > end:
        raise FilterError(f"--since {since} is after --until {until}")
    return EventFilter(start, end, tuple(functions), tuple(actors), tuple(sources))


def _time(text: str | None, name: str, *, end: bool = False) -> str | None:
    if not text:
        return None
    value = text.strip()
    if len(value) == 10:  # a date alone: the whole day
        value += "T23:59:59.999Z" if end else "T00:00:00Z"
    stamp = utc_iso(value)
    if stamp is None:
        raise FilterError(f"--{name} {text!r} is not an ISO-8601 date or time")
    return stamp


def is_function(event: TimelineEvent, wanted: str) -> bool:
    """Whether the event is about the function `wanted` names (an ARN: that account, region
    and, qualified, version; a name: that name anywhere)."""
    if wanted.startswith("arn:"):
        try:
            ref = FunctionRef.from_arn(wanted)
        except ValueError:
            return False
        same = (event.account, event.region, event.function) == (ref.account, ref.region, ref.name)
        return same and (ref.qualifier is None or event.version == ref.qualifier)
    return wanted in (event.function, event.resource.split(":", 1)[0])


def _is_actor(event: TimelineEvent, wanted: str) -> bool:
    """An actor by ARN, by part of it (a user or role name) or by access key id."""
    return bool(
        (event.actor and wanted in event.actor)
        or (event.access_key_id and wanted == event.access_key_id)
    )
