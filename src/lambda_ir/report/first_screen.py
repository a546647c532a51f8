"""The report page's first screen as HTML: incidents or functions at risk, who, what to do.

Every value goes through `escape.html`; commands are shown as text to copy, never links.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir.report import listing
from lambda_ir.report.escape import html as esc
from lambda_ir.report.facts import ReportFacts
from lambda_ir.report.response import (
    at_risk,
    case_indicators,
    checklist,
    listed_steps,
    nothing_to_contain,
    serious_incidents,
    steps_left_out,
    suspects,
)
from lambda_ir.report.risk import AtRisk

SECTIONS = (
    ("now", "At a glance: what to do now"),
    ("summary", "Executive summary"),
    ("findings-section", "Findings"),
    ("timeline", "Timeline"),
    ("functions", "Functions"),
    ("gaps", "Not collected"),
)


def table_of_contents() -> Iterator[str]:
    """Links to every section of the page."""
    yield '<nav id="toc" aria-label="contents"><b>Contents</b><ol>'
    yield from (f'<li><a href="#{anchor}">{esc(title)}</a></li>' for anchor, title in SECTIONS)
    yield "</ol></nav>"


def badge(severity: str) -> str:
    """A severity badge (the page's CSS colours `sev-<severity>`)."""
    return f'<span class="sev sev-{esc(severity)}">{esc(severity)}</span>'


def first_screen(facts: ReportFacts) -> Iterator[str]:
    """Incidents (or functions at risk), the principals, the checklist and the indicators."""
    risky = at_risk(facts)
    yield '<section id="now" class="now"><h2>At a glance: what to do now</h2>'
    if facts.analysis:  # before anything that could read as "all clear"
        yield f'<p class="stale" id="analysis"><b>Not analyzed:</b> {esc(facts.analysis)}</p>'
    # Incidents lead when analyze wrote them (DESIGN.md); without them, findings are grouped
    # by function, which the functions list below does either way.
    if facts.incidents:
        yield from _incidents(facts)
    elif facts.incidents is None and risky:
        yield "<p>No <code>incidents.json</code> in the case: findings grouped by function.</p>"
    yield from _functions(risky)
    yield from _who(facts)
    yield from _steps(facts)
    yield from _indicators(facts)
    yield "</section>"


def function_anchor(arn: str) -> str:
    """The id of a function's section (ARN characters made safe for an id)."""
    return "fn-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in arn)


def _incidents(facts: ReportFacts) -> Iterator[str]:
    incidents = facts.incidents or ()
    serious = serious_incidents(facts)
    yield "<h3>Incidents</h3>"
    if len(serious) < len(incidents):
        yield (
            f"<p>{len(serious)} of {len(incidents)} incidents shown: those of medium severity "
            "or worse, not only the collector's own calls; the others are in "
            "<code>incidents.json</code>.</p>"
        )
    yield '<table id="incidents"><thead><tr><th>Severity</th>'
    yield "<th>Incident</th><th>Functions</th><th>Actors</th><th>First – last</th></tr>"
    yield "</thead><tbody>"
    shown, left_out = listing.head(serious, listing.INCIDENTS)
    for incident in shown:
        actors = "<br>".join(
            f"<code>{esc(a.principal)}</code> {esc(listing.some(a.access_keys, ' '))} "
            f"from {esc(listing.some(a.addresses) or '?')}"
            for a in incident.actors
        )
        functions = listing.some(incident.functions, "<br>", lambda f: esc(facts.label(f)))
        count = listing.counted(len(incident.findings), "finding")
        yield (
            f"<tr><td>{badge(incident.severity.value)}</td><td><b>{esc(incident.title)}</b> "
            f"<code>{esc(incident.id)}</code> ({count})</td>"
            f"<td>{functions}</td><td>{actors or 'no principal'}</td>"
            f"<td>{esc(listing.span(incident.first, incident.last))}</td></tr>"
        )
    yield "</tbody></table>"
    if left_out:
        yield f"<p>{esc(listing.more(left_out, 'incidents.json has them all'))}</p>"


def _functions(risky: list[AtRisk]) -> Iterator[str]:
    yield "<h3>Functions compromised or exposed</h3>"
    if not risky:
        yield "<p>No finding of medium severity or worse names a function.</p>"
        return
    shown, left_out = listing.head(risky, listing.FUNCTIONS)
    yield '<ul id="at-risk">'
    for function in shown:
        since = f", since {esc(function.first)}" if function.first else ""
        yield (
            f"<li>{badge(function.severity.value)} <b>{esc(function.state)}</b>: "
            f'<a href="#{function_anchor(function.arn)}">{esc(function.label)}</a> '
            f"<code>{esc(function.arn)}</code> "
            f"({listing.serious_count(len(function.findings))}{since})</li>"
        )
    yield "</ul>"
    if left_out:
        yield f"<p>{esc(listing.more(left_out, 'findings.json names every one'))}</p>"


def _who(facts: ReportFacts) -> Iterator[str]:
    people = suspects(facts)
    yield "<h3>Who, from where, since when</h3>"
    if not people:
        yield "<p>No finding names a principal.</p>"
        return
    yield '<table id="who"><thead><tr><th>Principal</th><th>Access key ids</th>'
    yield "<th>Session</th><th>From (source addresses)</th><th>First seen</th></tr></thead><tbody>"
    shown, left_out = listing.head(people, listing.PRINCIPALS)
    for who in shown:
        yield (
            f"<tr><td><code>{esc(who.principal)}</code></td>"
            f"<td><code>{esc(listing.some(who.access_keys, ' '))}</code></td>"
            f"<td>{esc(listing.some(who.sessions, ' '))}</td>"
            f"<td>{esc(listing.some(who.addresses))}</td>"
            f"<td>{esc(who.first or 'no dated finding')}</td></tr>"
        )
    yield "</tbody></table>"
    if left_out:
        where = "findings.json and incidents.json name every one"
        yield f"<p>{esc(listing.more(left_out, where))}</p>"
    yield f"<p>Since: <b>{esc(facts.since or 'no dated sign of compromise')}</b>.</p>"


def _steps(facts: ReportFacts) -> Iterator[str]:
    steps = checklist(facts)
    yield "<h3>What to do now</h3>"
    if not steps:
        yield f"<p>{esc(nothing_to_contain(facts))}</p>"
        return
    yield (
        "<p>Each <code>lambda-ir contain</code> command only plans and saves the change; add "
        "<code>--apply</code> to make it (evidence is preserved first, an undo is recorded).</p>"
    )
    shown, left_out = listed_steps(steps)
    yield '<ol id="checklist">'
    for step in shown:
        why = f' <span class="why">({esc(step.why)})</span>' if step.why else ""
        command = (
            f'<br><code class="cmd">{esc(step.command)}</code>'
            if step.command
            else "<br><i>no lambda-ir command does this; do it in the console or CLI</i>"
        )
        yield f"<li><b>{esc(step.what)}</b>{why}{command}</li>"
    yield "</ol>"
    if left_out:
        yield f"<p>{esc(listing.more(left_out, steps_left_out(facts)))}</p>"


def _indicators(facts: ReportFacts) -> Iterator[str]:
    found = case_indicators(facts)
    yield "<h3>Indicators</h3>"
    if not found:
        yield "<p>No indicators in the findings.</p>"
        return
    yield (
        f"<p>{len(found)} indicators, also in <code>indicators.txt</code> (one per line) and "
        "<code>indicators.stix.json</code> (STIX 2.1 bundle) in the case.</p>"
    )
    yield '<table id="indicators"><thead><tr><th>Kind</th><th>Value</th><th>Why</th></tr>'
    yield "</thead><tbody>"
    shown, left_out = listing.head(found, listing.INDICATORS)
    for indicator in shown:
        yield (
            f"<tr><td>{esc(indicator.kind)}</td><td><code>{esc(indicator.value)}</code></td>"
            f"<td>{esc(indicator.why)}</td></tr>"
        )
    yield "</tbody></table>"
    if left_out:
        yield f"<p>{esc(listing.more(left_out, listing.ALL_INDICATORS))}</p>"
