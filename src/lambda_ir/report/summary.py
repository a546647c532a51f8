"""The executive summary's sentences, shared by the HTML and Markdown reports."""

from __future__ import annotations

from lambda_ir.model import Severity
from lambda_ir.report import listing
from lambda_ir.report.blast import broad_managed_policy
from lambda_ir.report.facts import ReportFacts

TOP_FINDINGS = 3
MAX_GRANTS = 8
MAX_ACTIONS = 8
# CloudTrail calls that only read; the story is what the actor changed.
_READS = ("Get", "List", "Describe", "Lookup", "Head")


def headline(facts: ReportFacts) -> str:
    """One sentence: how many findings, the worst ones, and on what."""
    if not facts.findings:
        return "no findings; the evidence below is what was collected."
    worst = facts.findings[:TOP_FINDINGS]
    described = "; ".join(f"{f.title} ({f.severity.value}) on {f.resource}" for f in worst)
    serious = facts.count(Severity.CRITICAL) + facts.count(Severity.HIGH)
    count = listing.counted(len(facts.findings), "finding")
    return f"{count}, {serious} critical or high: {described}."


def blast_scope(facts: ReportFacts) -> str:
    """Whose roles the blast radius covers: the functions findings name, or all of them."""
    if facts.affected:
        names = ", ".join(facts.label(arn) for arn in facts.affected)
        return f"what the execution roles of {names} may do"
    return "what the functions' execution roles may do; no finding names a function"


def blast_lines(facts: ReportFacts) -> list[str]:
    """One line per role grant, the dangerous ones first; what a stolen role could do."""
    if not facts.roles:
        return ["no execution role policies were collected, so the reach is unknown"]
    lines = []
    for role in facts.roles:
        grants = sorted(role.grants, key=lambda g: not g.dangerous)
        if not grants:
            lines.append(f"{role.name}: no Allow statements collected")
        for grant in grants[:MAX_GRANTS]:
            flag = "DANGEROUS " if grant.dangerous else ""
            condition = " (with conditions)" if grant.conditional else ""
            lines.append(
                f"{flag}{role.name} via {grant.policy}: {', '.join(grant.actions)} on "
                f"{', '.join(grant.resources)}{condition}"
            )
        if len(grants) > MAX_GRANTS:
            lines.append(f"{role.name}: {len(grants) - MAX_GRANTS} more statements")
        lines.extend(
            f"{'DANGEROUS ' if broad_managed_policy(arn) else ''}{role.name}: attached {arn}"
            for arn in role.attached
        )
    return lines


def key_actions(facts: ReportFacts) -> list[str]:
    """What the actors named in findings changed since the incident began, in order.

    The incident told by CloudTrail: only calls that change something, from the first sign
    of compromise on (`facts.since`), so a stolen key's legitimate history stays out.
    """
    actors = {f.actor.key for f in facts.findings if f.actor and f.actor.key}
    start = facts.since or ""
    actions = [
        f"{event.time} {event.summary}"
        for event in facts.events
        if event.source == "cloudtrail"
        and event.actor in actors
        and event.time >= start
        and not event.kind.startswith(_READS)
    ]
    if len(actions) > MAX_ACTIONS:
        more = len(actions) - MAX_ACTIONS
        actions = [*actions[:MAX_ACTIONS], f"… and {more} more changes (see the timeline)"]
    return actions
