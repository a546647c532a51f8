"""`lambda-ir import-trail`, `index` and `search`: CloudTrail and logs, offline."""

from __future__ import annotations

import click

from lambda_ir.cli.ui import NotBuilt, case_option


@click.command("import-trail")
@case_option(help_text="The case folder (created when it does not exist).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def import_trail(**_: object) -> None:
    """Import local CloudTrail files (Records JSON, .json.gz, JSON lines, arrays, folders)."""
    raise NotBuilt("import-trail", 5)


@click.command()
@case_option()
def index(**_: object) -> None:
    """Build case.duckdb, the queryable index, from the evidence files (rebuildable)."""
    raise NotBuilt("index", 5)


@click.command()
@case_option()
@click.argument("pattern")
def search(**_: object) -> None:
    """Search logs, CloudTrail, configuration and code for a regex or literal."""
    raise NotBuilt("search", 5)
