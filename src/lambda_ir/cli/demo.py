"""`lambda-ir demo`: investigate the bundled emulated account end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from rich.markup import escape

from lambda_ir.cli.collect import RegionProgress
from lambda_ir.cli.ui import CommandError, case_option, get_ui
from lambda_ir.evidence import verify_case


@click.command()
@case_option(required=False, help_text="Where to write the demo case (default: ./demo-case).")
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    metavar="NAME",
    help="Scenario to seed, repeatable, in order: estate, denonia, stratus, backdoors, "
    "pacu (default: estate + denonia).",
)
def demo(case_dir: str | None, scenarios: tuple[str, ...]) -> None:
    """Run a full investigation against the bundled emulated account and a seeded compromise.

    Starts the emulator on 127.0.0.1, seeds a benign estate and the Denonia-style incident
    (stolen CI keys replace a function's code with an inert cryptominer stand-in, open it to
    the internet and use its role), then runs `investigate` as a read-only IAM user holding
    exactly the collector's policy. Writes a new case folder (never over an existing one),
    verifies it, and prints where the report is. Nothing leaves this machine.
    """
    ui = get_ui()
    try:  # the emulator (moto) is the optional `emulator` extra; keep other commands fast
        from lambda_ir.demo import run_demo
        from lambda_ir.emulator.scenarios import UnknownScenario
    except ImportError as exc:
        raise CommandError(
            f"the demo needs the emulator extra ({exc.name} is missing): "
            "pip install 'lambda-ir[emulator]'"
        ) from exc
    target = _new_folder(Path(case_dir or "demo-case"))
    ui.say(f"Demo case: {escape(str(target))}")
    try:
        with RegionProgress(ui, ()) as progress:
            result = run_demo(
                target,
                scenarios,
                progress=progress,
                on_stage=lambda stage: ui.say(f"[bold]>[/] {escape(stage)}"),
            )
    except UnknownScenario as exc:
        raise click.BadParameter(str(exc), param_hint="--scenario") from exc
    investigation = result.investigation
    verified = verify_case(result.case)
    counts = investigation.analysis.counts()
    lines = [
        investigation.collected.line(),
        "findings: " + ", ".join(f"{n} {severity}" for severity, n in counts.items() if n),
        f"timeline: {investigation.timeline.events} events -> {investigation.timeline.path}",
        f"case: {result.case}",
        f"report: {investigation.report_html}",
        f"verify: {'intact' if verified.ok else 'NOT intact'} ({verified.files} files)",
    ]
    ui.result(
        "\n".join(lines),
        {
            "case": str(result.case),
            "report": str(investigation.report_html),
            "findings": counts,
            "timeline_events": investigation.timeline.events,
            "collected": investigation.collected.to_json(),
            "verified": verified.ok,
        },
    )
    if not verified.ok:
        raise SystemExit(1)


def _new_folder(wanted: Path) -> Path:
    """`wanted`, or a timestamped sibling when it already exists (a demo never overwrites)."""
    if not wanted.exists() or (wanted.is_dir() and not any(wanted.iterdir())):
        return wanted
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return wanted.with_name(f"{wanted.name}-{stamp}")
