"""`report.md`: the report's story in Markdown, for tickets and hand-overs.

Every value from the case goes through `escape.markdown` or `escape.markdown_code`.
"""

from __future__ import annotations

from collections.abc import Iterator

from lambda_ir import sanitize
from lambda_ir.model import Finding, Severity
from lambda_ir.report import listing
from lambda_ir.report.capabilities import capabilities_markdown, capability_of
from lambda_ir.report.codediff import CodeDiff
from lambda_ir.report.escape import markdown as md
from lambda_ir.report.escape import markdown_code as code
from lambda_ir.report.facts import MAX_EVENTS, ReportFacts
from lambda_ir.report.functions import FunctionFacts
from lambda_ir.report.response import (
    at_risk,
    case_indicators,
    checklist,
    listed_steps,
    nothing_to_contain,
    ranked_functions,
    serious_incidents,
    steps_left_out,
    suspects,
)
from lambda_ir.report.sections import diff_command
from lambda_ir.report.summary import blast_lines, blast_scope, headline, key_actions
from lambda_ir.report.timeline_window import TimelineRows, hidden_note, timeline_rows

MAX_TIMELINE_ROWS = 200


def render_markdown(facts: ReportFacts) -> str:
    """The whole report as one Markdown document."""
    parts = [
        *_header(facts),
        *_now(facts),
        *_summary(facts),
        *_findings(facts),
        *_timeline(facts),
        *_functions(facts),
        *_gaps(facts),
    ]
    return "\n".join(parts).rstrip() + "\n"


def _header(facts: ReportFacts) -> Iterator[str]:
    yield f"# Incident report: case {code(facts.case_id)}"
    yield ""
    yield f"Generated {md(facts.generated)} by lambda-ir from a case created {md(facts.created)}."
    yield f"Scope: {md(facts.scope)}."
    yield ""


def _now(facts: ReportFacts) -> Iterator[str]:
    """The first screen: functions at risk, who, what to do (with commands), indicators."""
    yield "## At a glance: what to do now"
    yield ""
    if facts.analysis:  # before anything that could read as "all clear"
        yield f"**Not analyzed:** {md(facts.analysis)}"
        yield ""
    # incidents lead when analyze wrote them
    incidents, left_out = listing.head(serious_incidents(facts), listing.INCIDENTS)
    for incident in incidents:
        actors = "; ".join(
            f"{code(a.principal)} {listing.some(a.access_keys, ' ', code)} from "
            f"{md(listing.some(a.addresses) or '?')}"
            for a in incident.actors
        )
        yield (
            f"- incident **{incident.severity.value.upper()}** {code(incident.id)} "
            f"{md(incident.title)} ({md(listing.span(incident.first, incident.last))})"
            + (f": {actors}" if actors else "")
        )
    yield from _more(left_out, "incidents.json has them all")
    risky = at_risk(facts)
    if not risky:
        yield "No finding of medium severity or worse names a function."
        yield ""
    functions, left_out = listing.head(risky, listing.FUNCTIONS)
    for function in functions:
        since = f", since {md(function.first)}" if function.first else ""
        yield (
            f"- **{function.severity.value.upper()}** {md(function.state)}: "
            f"{md(function.label)} {code(function.arn)} "
            f"({listing.serious_count(len(function.findings))}{since})"
        )
    yield from _more(left_out, "findings.json names every one")
    people, left_out = listing.head(suspects(facts), listing.PRINCIPALS)
    for who in people:
        keys = listing.some(who.access_keys, " ", code) or "no key id"
        yield (
            f"- by {code(who.principal)} with {keys} from "
            f"{md(listing.some(who.addresses) or 'unknown addresses')}"
        )
    yield from _more(left_out, "findings.json and incidents.json name every one")
    yield ""
    steps, left_out = listed_steps(checklist(facts))
    if not steps:
        yield md(nothing_to_contain(facts))
    for number, step in enumerate(steps, start=1):
        why = f" ({md(step.why)})" if step.why else ""
        yield f"{number}. **{md(step.what)}**{why}"
        yield f"   {code(step.command) if step.command else 'no lambda-ir command: console or CLI'}"
    yield from _more(left_out, steps_left_out(facts))
    found = case_indicators(facts)
    if found:
        shown, left_out = listing.head(found, listing.INDICATORS)
        yield ""
        yield (
            f"Indicators ({len(found)}; also `indicators.txt`, `indicators.stix.json`): "
            + ", ".join(code(i.value) for i in shown)
            + (f", {md(listing.more(left_out, listing.ALL_INDICATORS))}" if left_out else "")
        )
    yield ""


def _more(left_out: int, where: str) -> Iterator[str]:
    """A list's closing line for the entries it left out (none when it left none out)."""
    if left_out:
        yield ""
        yield md(listing.more(left_out, where))
        yield ""


def _summary(facts: ReportFacts) -> Iterator[str]:
    yield "## Executive summary"
    yield ""
    yield f"- **What happened:** {md(headline(facts))}"
    yield f"- **Since:** {md(facts.since or 'no dated sign of compromise in the evidence')}"
    actions = key_actions(facts)
    if actions:
        yield "- **What the flagged actors changed** (CloudTrail):"
        for action in actions:
            yield f"  - {md(action)}"
    yield f"- **Blast radius** ({md(blast_scope(facts))}; an upper bound):"
    for line in blast_lines(facts):
        yield f"  - {md(line)}"
    yield f"- **Collection gaps:** {len(facts.missing)} (see the last section)"
    yield ""


def _findings(facts: ReportFacts) -> Iterator[str]:
    yield "## Findings"
    yield ""
    if not facts.findings:
        yield "No findings (has `lambda-ir analyze` run on this case?)."
        yield ""
        return
    counts = ", ".join(f"{facts.count(s)} {s.value}" for s in reversed(Severity) if facts.count(s))
    shown, left_out = listing.head(facts.findings, listing.FINDINGS)
    listed = f" The {len(shown)} most severe are listed here; " if left_out else ""
    yield (
        f"{listing.counted(len(facts.findings), 'finding')}: {counts}."
        + (f"{listed}`findings.json` has every one." if left_out else "")
    )
    yield ""
    yield "| Severity | Finding | Resource | ATT&CK | Time | Evidence |"
    yield "|---|---|---|---|---|---|"
    for finding in shown:
        yield _finding_row(finding)
    yield ""


def _finding_row(finding: Finding) -> str:
    evidence = "<br>".join(
        code(f"{ref.path}!{ref.member}" if ref.member else ref.path) for ref in finding.evidence
    )
    title = f"**{md(finding.title)}** ({code(finding.detector)}): {md(finding.summary)}"
    cells = (
        finding.severity.value.upper(),
        title,
        code(finding.resource),
        md(", ".join(finding.attack)),
        md(finding.time or ""),
        evidence,
    )
    return "| " + " | ".join(cells) + " |"


def _timeline(facts: ReportFacts) -> Iterator[str]:
    yield "## Timeline (UTC)"
    yield ""
    # A ticket wants the story, not every request: invocations stay in timeline.jsonl, and
    # the table opens where the page's "window: the incident" does.
    table = timeline_rows(facts, MAX_TIMELINE_ROWS)
    hidden = f" {md(hidden_note(facts))}" if facts.hidden else ""
    yield f"{facts.events_total} events in the case.{hidden}"
    yield ""
    full = sanitize.shell_command("lambda-ir", "timeline", "--case", facts.case_dir)
    yield f"{md(_window_note(facts, table))} Every event is in `timeline.jsonl` ({code(full)})."
    yield ""
    yield "| Time | Source | Kind | Resource | Actor | What |"
    yield "|---|---|---|---|---|---|"
    for event in table.rows:
        cells = (event.time, event.source, event.kind, event.resource, event.actor, event.summary)
        yield "| " + " | ".join(md(c) for c in cells) + " |"
    yield ""


def _window_note(facts: ReportFacts, table: TimelineRows) -> str:
    """Which events the table lists, how many it leaves out and why (plain text)."""
    whose = "its" if table.start else "the case's"
    count = len(table.rows)
    listed = f"the first {count} of {whose}" if count < table.in_window else whose
    if table.start is None:
        shown = (
            f"Listed: {listed} {table.in_window} events other than invocations (no dated sign "
            "of compromise to open the incident's window at)."
        )
    else:
        shown = (
            f"Listed: the incident window, from {table.start} (an hour before the first sign "
            f"of compromise, {facts.since}): {listed} {table.in_window} events other than "
            "invocations."
        )
    why = [
        f"{n} {what}"
        for n, what in (
            (table.before, "before the window"),
            (table.in_window - count, "later" + (" in the window" if table.start else "")),
            (table.invocations, "invocations"),
            (table.unread, f"beyond the {MAX_EVENTS} events the report carries"),
        )
        if n
    ]
    left = f" {table.left_out} events are not in this table ({', '.join(why)})." if why else ""
    return f"{shown}{left}"


def _functions(facts: ReportFacts) -> Iterator[str]:
    yield "## Functions"
    yield ""
    if not facts.functions:
        yield "No function configuration in the case (for example a CloudTrail-only case)."
        yield ""
    risky = {a.arn: a for a in at_risk(facts)}
    shown, left_out = listing.head(ranked_functions(facts, risky), listing.FUNCTIONS)
    for function in shown:
        yield from _function(facts, function)
    yield from _more(left_out, "the least at risk; every function's configuration is in the case")


def _function(facts: ReportFacts, function: FunctionFacts) -> Iterator[str]:
    yield f"### {md(function.name)} ({md(function.account)}, {md(function.region)})"
    yield ""
    if function.note:
        yield f"**{md(function.note)}**: shown as ListFunctions listed it; see its collection gap."
        yield ""
    yield f"- Role: {code(function.role)}"
    for label, values in (
        ("URLs", function.urls),
        ("Triggers", function.triggers),
        ("Aliases", function.aliases),
    ):
        yield f"- {label}: {md('; '.join(values)) if values else 'none'}"
    yield ""
    yield "| Version | Last modified | CodeSha256 | Changed from previous | Package |"
    yield "|---|---|---|---|---|"
    for row in function.versions:
        changed = (", ".join(row.changed) or "unchanged") if row.previous else "(first)"
        command = diff_command(facts, function, row)  # as the page's table gives it
        cells = (
            md(row.version),
            md(row.last_modified),
            code(row.code_sha256),
            md(changed) + (f"<br>{code(command)}" if command else ""),
            code(row.code_path or "not collected"),
        )
        yield "| " + " | ".join(cells) + " |"
    yield ""
    for row in function.versions:
        if row.diff is not None:
            yield from _diff(row.diff)
    yield from capabilities_markdown(capability_of(facts.capabilities, function.arn))
    for gap in facts.gaps_of(function):
        yield f"- not collected: {code(gap.what)}: {md(gap.why)}"
    yield ""
    yield "Configuration ($LATEST):"
    yield ""
    for key, value in function.configuration:
        yield f"- {md(key)}: {code(value)}"
    for key, value in function.environment:
        yield f"- env {md(key)}: {code(value)}"
    for policy in function.policies:
        yield f"- resource policy: {code(policy)}"
    yield ""


def _diff(diff: CodeDiff) -> Iterator[str]:
    yield f"Files changed in the package from version {md(diff.before)} to {md(diff.after)}:"
    yield ""
    if diff.uploaded_by:
        yield f"- code from {md(diff.uploaded_by)}"
    for change in diff.files:
        yield f"- {md(change.status)}: {code(change.name)}"
    if diff.truncated:
        yield "- (more files; the version table's `lambda-ir diff` command lists them all)"
    yield ""


def _gaps(facts: ReportFacts) -> Iterator[str]:
    yield "## What could not be collected, and why"
    yield ""
    if not facts.missing:
        yield "Every call the collector made succeeded or found nothing to collect."
    else:
        yield "| Call | Where | Why |"
        yield "|---|---|---|"
        for gap in facts.missing:
            yield f"| {code(gap.what)} | {md(gap.where)} | {md(gap.why)} |"
    if facts.absent:
        yield ""
        yield "Checked and absent (AWS answered that none exists):"
        yield ""
        for gap in facts.absent:
            yield f"- {code(gap.what)} ({md(gap.where)})"
    for warning in facts.warnings:
        yield f"- warning: {md(warning)}"
    yield ""
