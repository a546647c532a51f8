"""The `lambda-ir` command: global options, error handling, and the list of commands."""

from __future__ import annotations

import importlib
import sys

import click

from lambda_ir import __version__, sanitize
from lambda_ir.aws.clock import ClockSkewError
from lambda_ir.cli.ui import Ui
from lambda_ir.evidence import CaseError

# Every command, by name, with where it lives ("module:attribute"). A command's module is
# imported only when that command runs (or --help lists it): `lambda-ir import-trail` should
# not pay ~0.4 s for boto3, the detectors and the Sigma rules it never uses.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("collect", "lambda_ir.cli.collect:collect"),
    ("import-trail", "lambda_ir.cli.trail:import_trail"),
    ("index", "lambda_ir.cli.trail:index"),
    ("analyze", "lambda_ir.cli.analyze:analyze"),
    ("timeline", "lambda_ir.cli.report:timeline"),
    ("report", "lambda_ir.cli.report:report"),
    ("investigate", "lambda_ir.cli.investigate:investigate"),
    ("verify", "lambda_ir.cli.verify:verify"),
    ("search", "lambda_ir.cli.trail:search"),
    ("diff", "lambda_ir.cli.analyze:diff"),
    ("contain", "lambda_ir.cli.respond:contain"),
    ("runtime", "lambda_ir.cli.runtime:runtime"),
    ("hunt", "lambda_ir.cli.hunt:hunt"),
    ("emulator", "lambda_ir.cli.emulator:emulator"),
    ("demo", "lambda_ir.cli.demo:demo"),
)


def load_command(name: str) -> click.Command | None:
    """The click command called `name`, importing its module now; None if there is none."""
    target = dict(COMMANDS).get(name)
    if target is None:
        return None
    module, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    assert isinstance(command, click.Command), target
    return command


class _Commands(click.Group):
    """A group that finds its commands in COMMANDS, loading each on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, _ in COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name)


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="lambda-ir")
@click.option("--quiet", "-q", is_flag=True, help="Only results and errors; no progress.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable results on stdout.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, as_json: bool, debug: bool) -> None:
    """Incident response for AWS Lambda: collect, verify, analyze, timeline, report, contain.

    Credentials and endpoints come from the standard boto3 chain (AWS_PROFILE, SSO,
    AWS_ENDPOINT_URL). Every command below is built. Collection is read-only; AWS is changed
    only by `contain --apply` and `runtime attach|detach --apply` (plan, evidence first,
    undo), `collect --log-export-bucket` (one log export task) and `hunt` (Athena queries;
    a Glue table with --create-table). Shell completion (bash, zsh, fish):
    eval "$(_LAMBDA_IR_COMPLETE=bash_source lambda-ir)".
    """
    ctx.obj = Ui(quiet=quiet, json=as_json, debug=debug)


def main() -> None:
    """Entry point: one clear line per error, a traceback only with --debug."""
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort as exc:
        click.echo("interrupted", err=True)
        _say_notes(exc)
        sys.exit(130)
    except click.ClickException as exc:
        if debug:
            raise
        click.echo(f"lambda-ir: {sanitize.field(exc.format_message())}", err=True)
        _say_notes(exc)
        sys.exit(exc.exit_code)
    except (CaseError, ClockSkewError) as exc:  # the message says what to do
        if debug:
            raise
        click.echo(f"lambda-ir: {sanitize.field(exc)}", err=True)
        sys.exit(1)
    except Exception as exc:
        if debug:
            raise
        click.echo(
            f"lambda-ir: {type(exc).__name__}: {sanitize.field(exc)} "
            "(run with --debug for details)",
            err=True,
        )
        _say_notes(exc)
        sys.exit(1)


def _say_notes(exc: BaseException) -> None:
    """What the error's chain noted for the user (`add_note`), one line each: a `contain
    --apply` stopped between two calls says how to put back what it changed."""
    seen: set[int] = set()
    found: BaseException | None = exc
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        for note in getattr(found, "__notes__", ()):
            click.echo(f"lambda-ir: {sanitize.field(note)}", err=True)
        found = found.__cause__ or found.__context__
