"""The report page's timeline: a chart with swimlanes and a table that pages, both filtered.

The table's rows are drawn by `assets/report.js` from the page's JSON data (text only, never
HTML), so the chart and the table always show the same events: the same text filter, source
choice and time window. Nothing is silently capped: the page says how many events the case
has, how many it carries, and how many the filters keep.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.report.escape import html as esc
from lambda_ir.report.facts import ReportFacts
from lambda_ir.report.timeline_window import hidden_note

PAGE_SIZE = 200
LANE_CHOICES = (("source", "source"), ("function", "function"), ("actor", "actor"))


def timeline_section(facts: ReportFacts) -> Iterator[str]:
    """Chart, controls and the (script-filled) event table."""
    yield '<section id="timeline"><h2>Timeline (UTC)</h2>'
    carried = len(facts.events)
    where = "the incident's window first" if facts.since else "the earliest"
    note = (
        f"all {carried}"
        if carried == facts.events_total
        else f"{carried} of them ({where}, calls and changes before invocations; every event "
        "is in timeline.jsonl)"
    )
    hidden = f" {hidden_note(facts)}" if facts.hidden else ""
    yield (
        f'<p id="events-total">{facts.events_total} events in the case; this page carries '
        f"{esc(note)}.{esc(hidden)} The chart and the table show the same events: filter by "
        "text, source or time window, group the chart by source, function or actor, and click "
        "a point to find it in the table.</p>"
    )
    yield '<div class="filters timeline-controls">'
    yield (
        '<input type="search" id="event-search" placeholder="filter events by text" '
        'aria-label="filter events by text">'
    )
    yield '<label>lanes <select id="tl-lanes" aria-label="chart lanes">'
    yield from (f'<option value="{v}">{esc(label)}</option>' for v, label in LANE_CHOICES)
    yield "</select></label>"
    yield '<label>source <select id="tl-source" aria-label="source"><option value="">all</option>'
    yield from (
        f'<option value="{s}">{s}</option>'
        for s in ("finding", "cloudtrail", "lambda", "logs", "runtime")
    )
    yield "</select></label>"
    yield (
        '<label>from <input type="text" id="tl-from" size="17" placeholder="YYYY-MM-DDTHH:MM" '
        'aria-label="window start, UTC"></label><label>to <input type="text" id="tl-to" '
        'size="17" placeholder="YYYY-MM-DDTHH:MM" aria-label="window end, UTC"></label>'
    )
    yield '<button type="button" id="tl-incident">window: the incident</button>'
    yield '<button type="button" id="tl-reset">show all</button>'
    yield (
        '<label>order <select id="tl-order" aria-label="table order">'
        '<option value="asc">oldest first</option><option value="desc">newest first</option>'
        "</select></label>"
    )
    yield '<span id="events-shown"></span></div>'
    yield '<div class="chart-box"><canvas id="timeline-chart" role="img" '
    yield 'aria-label="timeline of the case\'s events"></canvas></div>'
    yield (
        '<div class="pager"><button type="button" id="tl-prev">previous</button> '
        '<span id="tl-page"></span> <button type="button" id="tl-next">next</button></div>'
    )
    yield '<div class="table-box"><table id="events"><thead><tr>'
    yield "<th>Time</th><th>Source</th><th>Kind</th><th>Where</th>"
    yield "<th>Resource</th><th>Actor</th><th>What</th><th>Evidence</th></tr></thead>"
    yield f'<tbody data-page-size="{PAGE_SIZE}"></tbody></table></div></section>'
