"""`lambda-ir timeline` and `report`: the story, for people and for tools."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from lambda_ir.cli.ui import case_option, get_ui, writes_case
from lambda_ir.evidence import Case
from lambda_ir.evidence.custody import utc_now
from lambda_ir.evidence.index import open_index
from lambda_ir.report import write_report
from lambda_ir.timeline import write_timeline
from lambda_ir.timeline.write import FORMATS


@click.command()
@case_option()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl: Timesketch-importable JSON lines; csv: one row per event.",
)
@writes_case
def timeline(case_dir: str, fmt: str) -> None:
    """Merge every evidence kind into one UTC timeline (Timesketch-ready JSON lines or CSV).

    Events: CloudTrail calls, version and configuration changes (LastModified, code-hash
    changes between versions), alias state, invocations summarised per request, log errors
    and timeouts, runtime snapshots and dated findings. Each carries source, kind, resource,
    actor, a one-line redacted message and its evidence path. Builds the case index first
    if it is missing or stale; writes timeline.jsonl or timeline.csv into the case.
    """
    ui = get_ui()
    case = Case.open(Path(case_dir))
    with open_index(case) as index:
        result = write_timeline(case, index, fmt)
    for warning in result.warnings:
        ui.say(f"[yellow]warning[/] {escape(warning)}")
    ui.result(
        f"{result.events} events -> {result.path}",
        {
            "path": str(result.path),
            "events": result.events,
            "sha256": result.sha256,
            "warnings": list(result.warnings),
        },
    )


@click.command()
@case_option()
@writes_case
def report(case_dir: str) -> None:
    """Write report.html, report.md, findings.sarif and findings.ocsf.jsonl into the case.

    report.html is one self-contained page (Chart.js bundled, no network, a strict
    Content-Security-Policy): executive summary, findings with filters, an interactive
    timeline, every function's versions, configuration, policies, URL, triggers and role,
    and what could not be collected. Reads findings.json (run `analyze` first) and the
    index; secret values are redacted in every output.
    """
    ui = get_ui()
    case = Case.open(Path(case_dir))
    with open_index(case) as index:
        result = write_report(case, index, utc_now())
    for warning in result.warnings:
        ui.say(f"[yellow]warning[/] {escape(warning)}")
    lines = [f"{path}  sha256 {result.outputs[path.name]}" for path in result.paths]
    facts = result.facts
    lines.append(
        f"{len(facts.findings)} findings, {facts.events_total} timeline events, "
        f"{len(facts.functions)} functions, {len(facts.missing)} collection gaps"
    )
    ui.result(
        "\n".join(lines),
        {
            "outputs": {str(p): result.outputs[p.name] for p in result.paths},
            "findings": len(facts.findings),
            "events": facts.events_total,
            "functions": len(facts.functions),
            "gaps": len(facts.missing),
            "absent": len(facts.absent),
            "warnings": list(result.warnings),
        },
    )
