"""`lambda-ir verify`: is the evidence intact?"""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from lambda_ir import sanitize
from lambda_ir.cli.ui import case_option, get_ui
from lambda_ir.evidence import Case, CaseError, verify_case


@click.command()
@case_option(help_text="The case folder to check.")
def verify(case_dir: str) -> None:
    """Recompute every artifact's SHA-256 and walk the chain of custody.

    Exit 0 when every listed file is present and unchanged, no file is unlisted and the
    custody chain is unbroken; exit 1 listing every problem otherwise. Reads only.
    """
    ui = get_ui()
    root = Path(case_dir)
    try:
        Case.open(root)
    except CaseError as exc:
        raise click.ClickException(str(exc)) from exc
    with ui.progress("Hashing evidence") as bar:
        report = verify_case(root, progress=lambda size: bar.advance(bar.task_ids[0], 1))
    summary = (
        f"{report.files} files, {report.bytes:,} bytes, {report.manifest_lines} manifest lines, "
        f"{report.custody_entries} custody entries"
    )
    document = {
        "ok": report.ok,
        "files": report.files,
        "bytes": report.bytes,
        "manifest_lines": report.manifest_lines,
        "custody_entries": report.custody_entries,
        "problems": [p.__dict__ for p in report.problems],
        "notes": report.notes,
    }
    for note in report.notes:  # e.g. a collect is writing the case right now
        ui.say(f"note: {escape(sanitize.field(note))}")
    if report.ok:
        ui.result(f"intact: {summary}", document)
        return
    lines = [f"NOT intact: {len(report.problems)} problem(s) in {summary}"]
    lines += [f"  {sanitize.field(problem)}" for problem in report.problems]
    ui.result("\n".join(lines), document)
    raise SystemExit(1)
