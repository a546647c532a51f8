"""The `lambda-ir` command: global options, error handling, and the list of commands."""

from __future__ import annotations

import sys

import click

from lambda_ir import __version__
from lambda_ir.cli.analyze import analyze, diff
from lambda_ir.cli.collect import collect
from lambda_ir.cli.demo import demo
from lambda_ir.cli.emulator import emulator
from lambda_ir.cli.investigate import investigate
from lambda_ir.cli.report import report, timeline
from lambda_ir.cli.respond import contain, hunt, runtime
from lambda_ir.cli.trail import import_trail, index, search
from lambda_ir.cli.ui import Ui
from lambda_ir.cli.verify import verify
from lambda_ir.evidence import CaseError

COMMANDS: tuple[click.Command, ...] = (
    collect,
    import_trail,
    index,
    analyze,
    timeline,
    report,
    investigate,
    verify,
    search,
    diff,
    contain,
    runtime,
    hunt,
    emulator,
    demo,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="lambda-ir")
@click.option("--quiet", "-q", is_flag=True, help="Only results and errors; no progress.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable results on stdout.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, as_json: bool, debug: bool) -> None:
    """Incident response for AWS Lambda: collect, verify, analyze, timeline, report, contain.

    Credentials and endpoints come from the standard boto3 chain (AWS_PROFILE, SSO,
    AWS_ENDPOINT_URL). Collection is read-only; only `contain --apply` changes anything.
    """
    ctx.obj = Ui(quiet=quiet, json=as_json, debug=debug)


for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    """Entry point: one clear line per error, a traceback only with --debug."""
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        if debug:
            raise
        click.echo(f"lambda-ir: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except CaseError as exc:
        if debug:
            raise
        click.echo(f"lambda-ir: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:
        if debug:
            raise
        click.echo(
            f"lambda-ir: {type(exc).__name__}: {exc} (run with --debug for details)", err=True
        )
        sys.exit(1)
