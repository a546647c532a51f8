"""The report page's sections as HTML; every value goes through `escape.html` (`esc`)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator

from lambda_ir.analyze import commands
from lambda_ir.model import Finding, FunctionRef, Severity
from lambda_ir.report import listing
from lambda_ir.report.capabilities import capabilities_html, capability_of
from lambda_ir.report.codediff import CodeDiff
from lambda_ir.report.escape import html as esc
from lambda_ir.report.excerpts import Excerpt
from lambda_ir.report.facts import ReportFacts
from lambda_ir.report.first_screen import badge, first_screen, function_anchor, table_of_contents
from lambda_ir.report.functions import FunctionFacts, VersionRow
from lambda_ir.report.highlight import highlight
from lambda_ir.report.response import at_risk, ranked_functions
from lambda_ir.report.risk import AtRisk
from lambda_ir.report.summary import blast_lines, blast_scope, headline, key_actions
from lambda_ir.report.timeline_section import timeline_section

# A case-relative artifact path as the manifest writes them: no scheme, no `..`, no root.
_CASE_PATH = re.compile(r"[A-Za-z0-9._%=+@,-]+(?:/[A-Za-z0-9._%=+@,-]+)*")


def evidence_link(path: str) -> str:
    """An evidence path as a link relative to the report (report.html sits in the case).

    Only a plain case-relative path to a JSON document (an API response a browser shows)
    becomes a link, percent-encoded so a `%2F` in a file name stays part of the name;
    compressed trail and log files and package blobs are shown as text (their content
    opens in place, under each finding).
    """
    if not _CASE_PATH.fullmatch(path) or ".." in path.split("/") or not path.endswith(".json"):
        return f"<code>{esc(path)}</code>"
    href = urllib.parse.quote(path, safe="/")
    return f'<a href="{esc(href)}"><code>{esc(path)}</code></a>'


def body(facts: ReportFacts) -> str:
    """The page body: summary, findings, timeline, functions, gaps."""
    parts = [
        *_header(facts),
        *table_of_contents(),
        *first_screen(facts),
        *_summary(facts),
        *_findings(facts),
        *timeline_section(facts),
        *_functions(facts),
        *_gaps(facts),
    ]
    return "\n".join(parts)


def _header(facts: ReportFacts) -> Iterator[str]:
    yield f"<h1>Incident report: case <code>{esc(facts.case_id)}</code></h1>"
    yield (
        f'<p class="meta">Generated {esc(facts.generated)} by lambda-ir from a case created '
        f"{esc(facts.created)}. Scope: {esc(facts.scope)}.</p>"
    )


def _summary(facts: ReportFacts) -> Iterator[str]:
    yield '<section id="summary" class="summary"><h2>Executive summary</h2><ul>'
    yield f"<li><b>What happened:</b> {esc(headline(facts))}</li>"
    since = facts.since or "no dated sign of compromise in the evidence"
    yield f"<li><b>Since:</b> {esc(since)}</li>"
    actions = key_actions(facts)
    if actions:
        yield "<li><b>What the flagged actors changed</b> (CloudTrail):<ul>"
        yield from (f"<li>{esc(action)}</li>" for action in actions)
        yield "</ul></li>"
    yield f"<li><b>Blast radius</b> ({esc(blast_scope(facts))}; an upper bound):<ul>"
    for line in blast_lines(facts):
        css = ' class="danger"' if line.startswith("DANGEROUS") else ""
        yield f"<li{css}>{esc(line)}</li>"
    yield "</ul></li>"
    gaps = len(facts.missing)
    yield f'<li><b>Collection gaps:</b> <a href="#gaps">{gaps}</a></li></ul></section>'


def _findings(facts: ReportFacts) -> Iterator[str]:
    yield '<section id="findings-section"><h2>Findings by severity</h2>'
    yield '<div class="filters">'
    for severity in reversed(Severity):
        yield (
            f'<label><input type="checkbox" data-severity-filter value="{severity.value}" '
            f'checked> <span class="sev sev-{severity.value}">{severity.value}</span> '
            f"({facts.count(severity)})</label>"
        )
    yield (
        '<input type="search" id="finding-search" placeholder="filter by text" '
        'aria-label="filter findings by text"> <span id="findings-shown"></span></div>'
    )
    shown, left_out = listing.head(facts.findings, listing.FINDINGS)
    if left_out:
        yield (
            f"<p>The {len(shown)} most severe of {len(facts.findings)} findings are listed "
            "here (the counts above are of all); <code>findings.json</code> in the case has "
            "every one.</p>"
        )
    sections = {function_anchor(f.arn) for f in _listed_functions(facts)}
    yield (
        '<table id="findings" data-total="'
        f'{len(facts.findings)}"><thead><tr><th>Severity</th><th>Finding</th><th>Resource</th>'
    )
    yield "<th>ATT&amp;CK</th><th>Time</th><th>Evidence</th></tr></thead><tbody>"
    for finding in shown:
        yield _finding_row(finding, facts.excerpts.get(finding.id, ()), facts, sections)
    yield "</tbody></table>"
    if not facts.findings:
        yield "<p>No findings (has <code>lambda-ir analyze</code> run on this case?).</p>"
    yield "</section>"


def _excerpts(excerpts: tuple[Excerpt, ...]) -> str:
    """The cited evidence, closed until opened: titles and `<pre>` text, all escaped."""
    if not excerpts:
        return ""
    kinds = ", ".join(dict.fromkeys(e.kind for e in excerpts))
    parts = [f'<details class="evidence"><summary>evidence ({esc(kinds)})</summary>']
    for excerpt in excerpts:
        parts.append(
            f'<div class="excerpt"><div class="excerpt-title">{esc(excerpt.title)}</div>'
            f'<pre class="ev ev-{esc(excerpt.kind)}">{_text_of(excerpt)}</pre></div>'
        )
    parts.append("</details>")
    return "".join(parts)


def _text_of(excerpt: Excerpt) -> str:
    """An excerpt's text as HTML: code lightly coloured, everything escaped."""
    return highlight(excerpt.text) if excerpt.kind == "code" else esc(excerpt.text)


def _diff_link(finding: Finding, facts: ReportFacts, sections: set[str]) -> str:
    """A link to the rendered package diff when the finding is about a version change; the
    `lambda-ir diff` command instead when the function's section is not on the page."""
    before, after = finding.details.get("from"), finding.details.get("to")
    try:
        ref = FunctionRef.from_arn(finding.resource)
    except ValueError:
        return ""
    if not (before and after):
        return ""
    anchor = function_anchor(FunctionRef(ref.account, ref.region, ref.name).arn)
    if anchor not in sections:
        command = commands.diff_command(facts.case_dir, ref, str(before), str(after))
        return f' <span class="difflink">diff of the versions: <code>{esc(command)}</code></span>'
    return (
        f' <a class="difflink" href="#{anchor}">diff of versions {esc(before)} → {esc(after)} '
        "in the function's section</a>"
    )


def _finding_row(
    finding: Finding, excerpts: tuple[Excerpt, ...], facts: ReportFacts, sections: set[str]
) -> str:
    severity = finding.severity.value
    evidence = "<br>".join(
        evidence_link(ref.path) + (f" → <code>{esc(ref.member)}</code>" if ref.member else "")
        for ref in finding.evidence
    )
    return (
        f'<tr data-severity="{severity}">'
        f'<td><span class="sev sev-{severity}">{severity}</span></td>'
        f"<td><b>{esc(finding.title)}</b> <code>{esc(finding.detector)}</code><br>"
        f"{esc(finding.summary)}{_diff_link(finding, facts, sections)}{_excerpts(excerpts)}</td>"
        f"<td><code>{esc(finding.resource)}</code></td>"
        f"<td>{esc(', '.join(finding.attack))}</td><td>{esc(finding.time or '')}</td>"
        f"<td>{evidence}</td></tr>"
    )


def _functions(facts: ReportFacts) -> Iterator[str]:
    yield '<section id="functions"><h2>Functions</h2>'
    if not facts.functions:
        yield "<p>No function configuration in the case (for example a CloudTrail-only case).</p>"
    risky = {a.arn: a for a in at_risk(facts)}
    shown = _listed_functions(facts, risky)
    left_out = len(facts.functions) - len(shown)
    for number, function in enumerate(shown):
        yield from _function(facts, number, function, risky.get(function.arn))
    if left_out:
        where = "the least at risk; every function's configuration is in the case"
        yield f"<p>{esc(listing.more(left_out, where))}</p>"
    yield "</section>"


def _listed_functions(
    facts: ReportFacts, risky: dict[str, AtRisk] | None = None
) -> list[FunctionFacts]:
    """The functions given a section: the `listing.FUNCTIONS` most at risk."""
    if risky is None:
        risky = {a.arn: a for a in at_risk(facts)}
    return ranked_functions(facts, risky)[: listing.FUNCTIONS]


def _function(
    facts: ReportFacts, number: int, function: FunctionFacts, risk: AtRisk | None
) -> Iterator[str]:
    state = (
        f" {badge(risk.severity.value)} <small>{esc(risk.state)}, "
        f"{listing.counted(len(risk.findings), 'finding')}</small>"
        if risk
        else ""
    )
    yield (
        f'<div class="fn" id="{function_anchor(function.arn)}"><h3>{esc(function.name)}{state}</h3>'
    )
    yield (
        f'<p class="meta">{esc(function.account)} · {esc(function.region)} · '
        f"<code>{esc(function.arn)}</code></p><ul>"
    )
    if function.note:
        yield (
            f"<li><b>{esc(function.note)}</b>: shown as ListFunctions listed it; "
            "see its collection gap.</li>"
        )
    yield f"<li>Role: <code>{esc(function.role)}</code></li>"
    for label, values in (
        ("URLs", function.urls),
        ("Triggers", function.triggers),
        ("Aliases", function.aliases),
    ):
        yield f"<li>{label}: {esc('; '.join(values)) if values else 'none'}</li>"
    yield "</ul><table><thead><tr><th>Version</th><th>Last modified</th><th>CodeSha256</th>"
    yield "<th>Changed from previous</th><th>Package</th></tr></thead><tbody>"
    for position, row in enumerate(function.versions):
        yield _version_row(f"diff-{number}-{position}", diff_command(facts, function, row), row)
    yield "</tbody></table>"
    for position, row in enumerate(function.versions):
        if row.diff is not None:
            yield from _diff(f"diff-{number}-{position}", row.diff)
    yield from capabilities_html(capability_of(facts.capabilities, function.arn))
    gaps = facts.gaps_of(function)
    if gaps:
        yield "<h4>Not collected for this function</h4><ul>"
        for gap in gaps:
            yield f"<li><code>{esc(gap.what)}</code>: {esc(gap.why)}</li>"
        yield "</ul>"
    yield "<h4>Configuration ($LATEST)</h4><table><tbody>"
    for key, value in function.configuration:
        yield f"<tr><th>{esc(key)}</th><td><code>{esc(value)}</code></td></tr>"
    for key, value in function.environment:
        yield f"<tr><th>env {esc(key)}</th><td><code>{esc(value)}</code></td></tr>"
    yield "</tbody></table><h4>Resource policies</h4>"
    for policy in function.policies or ("none collected",):
        yield f"<p><code>{esc(policy)}</code></p>"
    yield "</div>"


def diff_command(facts: ReportFacts, function: FunctionFacts, row: VersionRow) -> str:
    """The complete `lambda-ir diff` of a version against the one before ("" for the first)."""
    if not (row.previous and row.changed):
        return ""
    ref = FunctionRef(function.account, function.region, function.name)
    return commands.diff_command(facts.case_dir, ref, row.previous, row.version)


def _version_row(anchor: str, command: str, row: VersionRow) -> str:
    changed = (", ".join(row.changed) or "unchanged") if row.previous else "(first)"
    package = evidence_link(row.code_path) if row.code_path else "not collected"
    extra = ""
    if row.diff is not None:
        extra = f'<br><a href="#{anchor}">{esc(row.diff.label)}</a>'
    if command:
        extra += f'<br><code class="cmd">{esc(command)}</code>'

    return (
        f"<tr><td>{esc(row.version)}</td><td>{esc(row.last_modified)}</td>"
        f"<td><code>{esc(row.code_sha256)}</code></td><td>{esc(changed)}{extra}</td>"
        f"<td>{package}</td></tr>"
    )


_SIGNS = {"added": "+", "removed": "−", "changed": "~"}


def _diff(anchor: str, diff: CodeDiff) -> Iterator[str]:
    yield (
        f'<details open id="{anchor}"><summary>Files changed in the package from version '
        f"{esc(diff.before)} to {esc(diff.after)}: {esc(diff.label)}</summary>"
    )
    if diff.uploaded_by:
        yield f"<p>Code from {esc(diff.uploaded_by)}.</p>"
    yield "<ul>"
    for change in diff.files:
        yield (
            f'<li class="{esc(change.status)}">{_SIGNS.get(change.status, "?")} '
            f"<code>{esc(change.name)}</code>"
        )
        if change.text:
            # A redacted unified diff of attacker-written code: text, escaped, never markup.
            yield f'<details><summary>diff</summary><pre class="diff">{esc(change.text)}</pre>'
            yield "</details>"
        yield "</li>"
    if diff.truncated:
        yield (
            "<li>… more files; the version table's <code>lambda-ir diff</code> command lists "
            "them all</li>"
        )
    yield "</ul></details>"


def _gaps(facts: ReportFacts) -> Iterator[str]:
    yield '<section id="gaps"><h2>What could not be collected, and why</h2>'
    if not facts.missing:
        yield "<p>Every call the collector made succeeded or found nothing to collect.</p>"
    else:
        yield "<table><thead><tr><th>Call</th><th>Where</th><th>Why</th></tr></thead><tbody>"
        for gap in facts.missing:
            yield (
                f"<tr><td><code>{esc(gap.what)}</code></td><td>{esc(gap.where)}</td>"
                f"<td>{esc(gap.why)}</td></tr>"
            )
        yield "</tbody></table>"
    if facts.absent:
        yield "<p>Checked and absent (AWS answered that none exists):</p><ul>"
        for gap in facts.absent:
            yield f"<li><code>{esc(gap.what)}</code> ({esc(gap.where)})</li>"
        yield "</ul>"
    for warning in facts.warnings:
        yield f"<p>warning: {esc(warning)}</p>"
    yield "</section>"
