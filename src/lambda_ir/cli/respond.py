"""`lambda-ir contain`, `runtime` and `hunt`: the parts that act, or reach further."""

from __future__ import annotations

import click

from lambda_ir.cli.ui import NotBuilt, case_option


@click.command()
@case_option()
@click.option("--function", "functions", multiple=True, metavar="NAME|ARN", required=True)
@click.option("--apply", is_flag=True, help="Make the changes; without it only the plan is shown.")
def contain(**_: object) -> None:
    """Contain a function: preserve evidence, plan reversible changes, make them with --apply."""
    raise NotBuilt("contain")


@click.command()
@case_option()
def runtime(**_: object) -> None:
    """Build and fetch the in-function runtime collector (/tmp, processes, connections)."""
    raise NotBuilt("runtime")


@click.command()
@case_option()
def hunt(**_: object) -> None:
    """Push CloudTrail rules down to Amazon Athena over an organisation's trail bucket."""
    raise NotBuilt("hunt")
