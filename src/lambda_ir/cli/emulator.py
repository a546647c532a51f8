"""`lambda-ir emulator` and `demo`: the embedded AWS account and the guided investigation."""

from __future__ import annotations

import click

from lambda_ir.cli.ui import NotBuilt, case_option


@click.group()
def emulator() -> None:
    """The embedded, emulated AWS account (moto server plus what moto lacks)."""


@emulator.command()
@click.option("--port", type=int, default=4566, show_default=True)
@click.option("--scenario", "scenarios", multiple=True, metavar="NAME")
@click.option("--latency-ms", type=int, default=0, show_default=True)
@click.option("--quotas", is_flag=True, help="Enforce Lambda, CloudTrail and Logs API quotas.")
def serve(**_: object) -> None:
    """Serve the emulated account on 127.0.0.1 for boto3 and the AWS CLI (AWS_ENDPOINT_URL)."""
    raise NotBuilt("emulator serve", 3)


@click.command()
@case_option(required=False, help_text="Where to write the demo case (default: ./demo-case).")
def demo(**_: object) -> None:
    """Run a full investigation against the bundled emulated account and a seeded compromise."""
    raise NotBuilt("demo", 3)
