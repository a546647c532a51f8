"""`lambda-ir timeline` and `report`: the story, for people and for tools."""

from __future__ import annotations

import click

from lambda_ir.cli.ui import NotBuilt, case_option


@click.command()
@case_option()
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
def timeline(**_: object) -> None:
    """Merge every evidence kind into one UTC timeline (Timesketch-ready JSON lines or CSV)."""
    raise NotBuilt("timeline", 7)


@click.command()
@case_option()
def report(**_: object) -> None:
    """Write report.html, report.md, findings.sarif and findings.ocsf.jsonl into the case."""
    raise NotBuilt("report", 7)
