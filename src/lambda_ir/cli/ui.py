"""How the CLI talks to a person: one-line errors, progress bars, `--quiet` and `--json`."""

from __future__ import annotations

import functools
import json
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
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

from lambda_ir import sanitize
from lambda_ir.evidence import Case, layout
from lambda_ir.evidence.case import refuse_other_folder
from lambda_ir.evidence.lock import case_lock

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
    console: Console = field(
        default_factory=lambda: Console(stderr=True, highlight=False, emoji=False)
    )

    def say(self, message: str) -> None:
        """A line for the person (stderr), unless --quiet. Interpolated values are escaped.

        Rich markup in `message` is ours (values go through `rich.markup.escape`); control
        characters from the evidence are made visible (`sanitize.text`), never sent raw. The
        line is never broken at the console's width (80 columns when stderr is a file or a
        pipe): a command it names stays one line to copy, and a log keeps one line a message.
        """
        if not self.quiet:
            self.console.print(sanitize.text(message), soft_wrap=True)

    def result(self, text: str, document: Any) -> None:
        """The command's result: `document` as JSON with --json, else `text`, on stdout.

        Neither carries a raw control character: the text goes through `sanitize.text`, the
        JSON through `sanitize.json_text` (C1 and bidi controls as `\\uXXXX`, the same JSON).
        """
        if self.json:
            try:
                encoded = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()
            except TypeError:
                # A file name that is not UTF-8 reaches us as lone surrogates, which orjson
                # refuses; the standard library writes them as \udcXX escapes instead.
                encoded = json.dumps(document, indent=2, default=str)
            sys.stdout.buffer.write(sanitize.json_text(encoded).encode() + b"\n")
            sys.stdout.flush()
        else:
            click.echo(sanitize.text(text))

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
            bar.add_task(escape(sanitize.field(description)), total=total)
            yield bar


def inert(value: object) -> str:
    """A value from the evidence for a `Ui.say` line: rich markup escaped, every control
    character (a line break too) made visible, so it cannot style, move or fake a line."""
    return escape(sanitize.field(value))


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


def open_or_new_case(case_dir: str, scope: dict[str, Any]) -> Case:
    """The case at `case_dir`, or a new one made there, said so: `contain --case Case` for
    `case` made a second case without a word, and the evidence saved before a change and the
    custody of the change went there, away from the investigation's."""
    root = Path(case_dir)
    if not (root / layout.CASE_FILE).exists():
        get_ui().say(
            f"new case {inert(str(root))}: no case was there (is it the case you meant? "
            "the plan, the evidence saved first and the custody of every change go into it)"
        )
    return Case.open_or_create(root, scope)


def writes_case(command: Callable[..., None]) -> Callable[..., None]:
    """Run a command that writes `--case DIR` holding the case's lock (evidence.lock).

    A second writer is refused naming the holder; a lock left by a killed process is taken
    over, and said so. A folder this command made but that never became a case (no
    credentials, a refused connection, bad input) is removed again, not left empty.
    """

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        case_dir = kwargs.get("case_dir")
        if not case_dir:
            command(*args, **kwargs)
            return
        root = Path(case_dir)
        refuse_other_folder(root)  # before the lock: nothing is planted in another folder
        existed = root.exists()
        line = " ".join(["lambda-ir", *(shlex.quote(a) for a in sys.argv[1:])])
        try:
            with case_lock(root, sanitize.field(line)) as acquired:
                if acquired.stale is not None:
                    get_ui().say(
                        f"taking over the case lock of {escape(acquired.stale.describe())},"
                        f" which is no longer running ({acquired.cleared} partial file(s)"
                        " it left in .tmp/ removed)"
                    )
                if acquired.planted:
                    get_ui().say(_planted(acquired.planted))
                command(*args, **kwargs)
        finally:
            if not existed:
                _remove_if_not_a_case(root)

    return run


def writes_existing_case(command: Callable[..., None]) -> Callable[..., None]:
    """`writes_case` for a command that works only on an existing case (analyze, index,
    timeline, report): a folder that is not one is refused before the lock is taken, so a
    typo (`analyze --case CASE/raw`) plants no `.lock` in the evidence for `verify` to call
    unlisted (a lock file is never deleted once made: see `evidence.lock`)."""
    locked = writes_case(command)

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        if case_dir := kwargs.get("case_dir"):
            Case.open(Path(case_dir))  # "not a lambda-ir case", as the command would say
        locked(*args, **kwargs)

    return run


def _planted(names: tuple[str, ...]) -> str:
    """The warning for files in `.tmp/` a taken-over lock's dead writer did not make."""
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return (
        f"warning: {len(names)} file(s) in .tmp/ not made by that writer, left in place for "
        f"`verify` to report: {inert(', '.join(names[:5]))}{more}"
    )


def _remove_if_not_a_case(root: Path) -> None:
    """Remove a folder holding nothing but our lock (and empty scratch space)."""
    if (root / layout.CASE_FILE).exists() or not root.is_dir():
        return
    leftovers = {p.name for p in root.iterdir()}
    if not leftovers <= {layout.LOCK, layout.TMP_DIR}:
        return
    tmp = root / layout.TMP_DIR
    if tmp.is_dir() and any(tmp.iterdir()):
        return
    (root / layout.LOCK).unlink(missing_ok=True)
    if tmp.is_dir():
        tmp.rmdir()
    root.rmdir()
