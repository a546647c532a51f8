"""How the CLI talks to a person: one-line errors, progress bars, `--quiet` and `--json`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click
import orjson
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

FC = TypeVar("FC", bound=Callable[..., Any] | click.Command)


class CommandError(click.ClickException):
    """A failure the user can act on: printed as one line, exit code 1."""

    exit_code = 1


class NotBuilt(click.ClickException):
    """A command whose capability does not exist yet: says so plainly, exit code 3."""

    exit_code = 3

    def __init__(self, command: str, issue: int | None = None) -> None:
        tracked = f"tracked in issue #{issue}" if issue else "no issue filed yet"
        super().__init__(f"`lambda-ir {command}` is not built yet ({tracked}); nothing was done")


@dataclass
class Ui:
    """Output settings chosen by the global options, passed down through click's context."""

    quiet: bool = False
    json: bool = False
    debug: bool = False
    console: Console = field(default_factory=lambda: Console(stderr=True, highlight=False))

    def say(self, message: str) -> None:
        """A line for the person (stderr), unless --quiet. Interpolated values are escaped."""
        if not self.quiet:
            self.console.print(message)

    def result(self, text: str, document: Any) -> None:
        """The command's result: `document` as JSON with --json, else `text`, on stdout."""
        if self.json:
            sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
            sys.stdout.flush()
        else:
            click.echo(text)

    @contextmanager
    def progress(self, description: str, total: float | None = None) -> Iterator[Progress]:
        """A rich progress bar on stderr; silent with --quiet, --json or when not a terminal."""
        bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            disable=self.quiet or self.json,
            transient=True,
        )
        with bar:
            bar.add_task(escape(description), total=total)
            yield bar


def get_ui() -> Ui:
    ctx = click.get_current_context()
    ui = ctx.find_object(Ui)
    return ui if ui is not None else Ui()


def case_option(required: bool = True, help_text: str = "The case folder.") -> Callable[[FC], FC]:
    """The `--case DIR` option every case command takes."""
    return click.option(
        "--case",
        "case_dir",
        type=click.Path(file_okay=False, path_type=str),
        required=required,
        metavar="DIR",
        help=help_text,
    )
