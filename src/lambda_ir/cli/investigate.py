"""`lambda-ir investigate`: collect → index → analyze → timeline → report in one go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from lambda_ir.cli.analyze import analyze_options, incident_lines, prepare_analysis
from lambda_ir.cli.collect import RegionProgress, collect_options, prepare_collection
from lambda_ir.cli.ui import CommandError, case_option, get_ui, writes_case
from lambda_ir.cli.window import window_lines
from lambda_ir.investigate import InvestigationStopped
from lambda_ir.investigate import investigate as run_investigation


@click.command()
@case_option(help_text="The case folder to create or resume.")
@collect_options
@analyze_options
@writes_case
def investigate(
    case_dir: str,
    yara_dirs: tuple[Path, ...],
    sigma_dirs: tuple[Path, ...],
    ioc_files: tuple[Path, ...],
    allow_file: Path | None,
    **chosen: Any,
) -> None:
    """Collect, index, analyze, build the timeline and write the report, in one go.

    Takes every `collect` and `analyze` option. Collection is read-only and resumable (run
    it again on the same case to fill gaps); everything after it is offline. Logs and
    CloudTrail are read over --since/--until, by default the last 14 days (--no-logs: no
    logs). Prints the report's path.
    """
    ui = get_ui()
    analysis = prepare_analysis(ui, yara_dirs, sigma_dirs, ioc_files, allow_file)
    case, session, scope, options = prepare_collection(case_dir, **chosen)
    regions = escape(", ".join(scope.regions))  # named: a region taken from the profile too
    ui.say(
        f"Investigating {len(scope.regions)} region(s) ({regions}) into {escape(str(case.root))}"
    )
    for line in window_lines(scope):
        ui.say(escape(line))
    try:
        with RegionProgress(ui, scope.regions) as progress:
            result = run_investigation(
                case,
                session,
                scope,
                options,
                analysis,
                progress,
                on_stage=lambda stage: ui.say(f"[bold]>[/] {escape(stage)}"),
            )
    except InvestigationStopped as exc:
        raise CommandError(str(exc)) from exc
    counts = result.analysis.counts()
    found = ", ".join(f"{n} {severity}" for severity, n in counts.items() if n) or "none"
    lines = [
        result.collected.line(),
        *incident_lines(result.analysis, case.root),
        f"findings: {found}",
        f"timeline: {result.timeline.events} events -> {result.timeline.path}",
        f"report: {result.report_html}",
        *(f"advice: {advice}" for advice in result.collected.advice),
    ]
    ui.result(
        "\n".join(lines),
        {
            "case": str(case.root),
            "report": str(result.report_html),
            "findings": counts,
            "incidents": [i.to_json() for i in result.analysis.incidents],
            "timeline_events": result.timeline.events,
            "collected": result.collected.to_json(),
        },
    )
