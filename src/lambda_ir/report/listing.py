"""How much of a long list the reports for people (report.html, report.md) show.

A case of a million CloudTrail events held 159k findings, 3,600 functions at risk and 355k
indicators: listed whole, the page was 636 MB and no browser opened it. Each list shows its
first entries, most important first, then says how many more there are and where they all
are; the machine outputs (findings.json, findings.csv, .sarif, .ocsf.jsonl, incidents.json,
indicators.txt, indicators.stix.json, timeline.jsonl) keep every one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

FINDINGS = 1000  # findings listed in full, most severe first
INCIDENTS = 50  # incidents of medium severity or worse
FUNCTIONS = 100  # functions at risk, and functions given a section
PRINCIPALS = 50  # principals behind the findings
CREDENTIAL_STEPS = 20  # checklist steps on keys and sessions (the evidence and indicator
FUNCTION_STEPS = 30  # steps are always listed) and on functions, most at risk first
INDICATORS = 200  # indicators in the page's table and the Markdown's line
VALUES = 10  # an incident's functions, a principal's addresses, keys or sessions
# Where every indicator is (a reduced `report --format` may not have written them).
ALL_INDICATORS = "indicators.txt and indicators.stix.json, from report --format txt,stix"


def head(items: Sequence[T], limit: int) -> tuple[Sequence[T], int]:
    """The first `limit` items and how many are left out."""
    return items[:limit], max(0, len(items) - limit)


def more(left_out: int, where: str) -> str:
    """What a list says of the entries it left out ("" when none): plain text, for the
    renderer to escape."""
    return f"… and {left_out} more ({where})" if left_out else ""


def some(values: Sequence[str], separator: str = ", ", render: Callable[[str], str] = str) -> str:
    """Up to VALUES values, each through `render` (the renderer's escape), joined, then how
    many more (words and digits: the same in HTML and Markdown)."""
    shown, left_out = head(values, VALUES)
    return separator.join(map(render, shown)) + (
        f"{separator}… {left_out} more" if left_out else ""
    )


def span(first: str | None, last: str | None) -> str:
    """An incident's times as a list shows them: "first – last", one time when they are
    equal or only one is known, "no time" without either (plain text, for the renderer)."""
    if first and last and first != last:
        return f"{first} – {last}"
    return first or last or "no time"


def counted(count: int, noun: str) -> str:
    """A count and its noun, singular for one ("1 finding", "3 findings"): an incident of
    one finding read "(1 findings)"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def serious_count(count: int) -> str:
    """How many of a function's findings a list counts: those of medium severity or worse
    (the at-risk list holds no others)."""
    return f"{counted(count, 'finding')} of medium or worse"
