"""`lambda-ir collect` and `investigate`: acquire evidence from AWS into a case."""

from __future__ import annotations

import click

from lambda_ir.cli.ui import NotBuilt, case_option


@click.command()
@case_option(help_text="The case folder to create or resume.")
@click.option(
    "--region", "regions", multiple=True, metavar="R", help="Region to collect (repeatable)."
)
@click.option("--all-regions", is_flag=True, help="Every region Lambda is enabled in.")
@click.option(
    "--function", "functions", multiple=True, metavar="NAME|ARN", help="Limit to these functions."
)
@click.option("--since", metavar="WHEN", help="Start of the window for logs and CloudTrail.")
@click.option("--until", metavar="WHEN", help="End of the window for logs and CloudTrail.")
@click.option("--workers", type=int, default=16, show_default=True, help="Concurrent API calls.")
def collect(**_: object) -> None:
    """Collect every piece of Lambda evidence, read-only, into the case.

    Functions, every version's configuration and code, layers, aliases, policies per
    qualifier, URLs, triggers, the execution role, logs and CloudTrail. Credentials come
    from the standard boto3 chain (AWS_PROFILE, SSO, AWS_ENDPOINT_URL).
    """
    raise NotBuilt("collect", 4)


@click.command()
@case_option(help_text="The case folder to create or resume.")
def investigate(**_: object) -> None:
    """Collect, index, analyze, build the timeline and write the report, in one go."""
    raise NotBuilt("investigate", 7)
