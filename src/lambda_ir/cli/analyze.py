"""`lambda-ir analyze` and `diff`: detectors over a case, and version comparison."""

from __future__ import annotations

import click

from lambda_ir.cli.ui import NotBuilt, case_option


@click.command()
@case_option()
def analyze(**_: object) -> None:
    """Run every detector over the case, offline, and write findings.json."""
    raise NotBuilt("analyze", 6)


@click.command()
@case_option()
@click.argument("function")
@click.argument("a")
@click.argument("b")
def diff(**_: object) -> None:
    """Show what changed in FUNCTION's code and configuration between qualifiers A and B."""
    raise NotBuilt("diff", 6)
