"""`hunt --create-table … [--apply]` and `hunt --undo PLAN [--apply]`: the table's plan, shown.

The write itself is `respond.hunt_table`'s; this prints the plan (database, table, location,
each statement and its undo), and what `--apply` did, as `contain` does.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError
from rich.markup import escape

from lambda_ir import sanitize
from lambda_ir.aws import ClientFactory, classify
from lambda_ir.cli.ui import CommandError, Ui
from lambda_ir.evidence import Case
from lambda_ir.respond import hunt_table, hunt_table_undo
from lambda_ir.respond.hunt_table import Outcome, TablePlan, TableRequest


def make_table(
    ui: Ui, case: Case, clients: ClientFactory, request: TableRequest, *, apply: bool
) -> tuple[bool, dict[str, Any]]:
    """Plan the table (and with `apply` create it); whether the hunt can go on, and the JSON."""
    try:
        plan = hunt_table.plan_table(clients, request)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--create-table") from exc
    except (ClientError, BotoCoreError) as exc:
        raise CommandError(f"cannot plan the table: {classify(exc).text}") from exc
    run = hunt_table.save_plan(case, plan, apply=apply, now=_now())
    document: dict[str, Any] = {"plan": plan.to_json(), "plan_path": f"{run}/plan.json"}
    for line in _plan_lines(plan):
        ui.say(escape(line))
    ui.say(escape(f"plan saved: {sanitize.field(str(case.root / run / 'plan.json'))}"))
    if plan.conflict:
        raise CommandError(_refusal(plan))
    if not plan.steps:
        ui.say(escape(f"{plan.request.table} is already in the catalog: nothing to create"))
        return True, document
    if not apply:
        text = (
            "dry run: nothing was created; run again with --apply to create the table "
            "(or give --trail-table of a table that exists)"
        )
        ui.result(text, document | {"applied": False})
        return False, document
    result = hunt_table.apply_table(case, clients, plan, run)
    document |= {"applied": True} | result.to_json()
    for outcome in result.outcomes:
        mark = "failed" if outcome.error else "applied"
        ui.say(
            escape(f"  [{mark}] {outcome.step.summary} (query {sanitize.field(outcome.query_id)})")
        )
        if outcome.error:
            ui.say(escape(f"      error: {sanitize.field(outcome.error)}"))
    undo_file = case.root / result.undo_path
    ui.say(escape(f"undo plan: {sanitize.field(str(undo_file))}"))
    command = ("lambda-ir", "hunt", "--case", case.root, "--undo", undo_file, "--apply")
    ui.say(escape(f"  to undo: {sanitize.shell_command(*command)}"))
    failed = next((o for o in result.outcomes if o.error), None)
    if failed is not None:
        raise CommandError(
            f"{sanitize.field(failed.step.summary)} failed: {sanitize.field(failed.error)}; "
            f"undo plan saved: {undo_file}"
        )
    if not result.in_place:
        raise CommandError(f"{plan.request.table} was not created; see {undo_file.parent}")
    return True, document


def undo_table(
    ui: Ui, case: Case, clients: ClientFactory, path: str, *, apply: bool, force: bool = False
) -> None:
    """Show, or with `apply` run, a table's undo plan (DROP statements only); `force` drops a
    table or database that is not the one the run made (made again since)."""
    try:
        undo = hunt_table_undo.load_table_undo(case, path)
    except (hunt_table_undo.TableUndoError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    run = f"respond/{_now()}-hunt-table-undo-{secrets.token_hex(4)}"
    try:
        outcomes = hunt_table_undo.run_table_undo(
            case, clients, undo, apply=apply, run=run, force=force
        )
    except hunt_table_undo.TableUndoError as exc:
        raise CommandError(str(exc)) from exc
    header = _undo_header(case, undo, outcomes, apply=apply)
    lines = [f"undo {undo.path}: {header}"]
    done = {o.step.sql: o for o in outcomes}
    for sql in undo.statements:
        outcome = done.get(sql)
        mark = "" if outcome is None else ("[failed] " if outcome.error else "[applied] ")
        if outcome is not None and outcome.skipped:
            mark = f"[skipped: {outcome.skipped}] "
        lines.append(f"  {mark}{sql}")
        if outcome is not None and outcome.error:
            lines.append(f"      Athena: {sanitize.field(outcome.error)}")
    if not undo.statements:
        lines.append("  nothing to undo (the table was there before)")
    ui.result(
        "\n".join(lines),
        {"undo_plan": undo.path, "applied": apply, "result": header}
        | {"outcomes": [o.to_json() for o in outcomes]},
    )
    if any(o.error for o in outcomes):
        raise SystemExit(1)


def _undo_header(
    case: Case, undo: hunt_table_undo.TableUndo, outcomes: tuple[Outcome, ...], *, apply: bool
) -> str:
    """What the undo did, in a word; when everything was gone already, whether this plan's
    own undo dropped it before (as `contain --undo` says when it was applied)."""
    if not apply:
        return "dry run: nothing was changed"
    if not outcomes or not all(o.skipped for o in outcomes):
        return "applied"
    undone = hunt_table_undo.undone_before(case, undo)
    return "nothing left to drop: " + (
        f"this plan's undo was applied at {undone}" if undone else "all of it was already gone"
    )


def _refusal(plan: TablePlan) -> str:
    """Why the table of that name is not reused, and the two ways on: a hunt in it would
    search another trail (or miss accounts) and look like an answer about this one."""
    table = plan.request.table
    return (
        f"{sanitize.field(plan.conflict)}; nothing was created and no hunt ran. Give another "
        f"--trail-table DB.TABLE to make a table over {sanitize.field(plan.logs_root)}, or drop "
        f"{table} (the undo plan of the run that made it, or DROP TABLE {table} in Athena) "
        "and run again"
    )


def _plan_lines(plan: TablePlan) -> list[str]:
    field = sanitize.field
    lines = [
        f"table plan: {field(plan.request.table)} in account {field(plan.account)}, "
        f"workgroup {field(plan.request.workgroup)}, {field(plan.request.region)}",
        f"  database: {field(plan.database)} "
        + ("(exists)" if plan.database_exists else "(to create)"),
        f"  location: {field(plan.logs_root)}",
        f"  accounts: {field(','.join(plan.accounts))}; regions: {field(','.join(plan.regions))}",
    ]
    for step in plan.steps:
        lines.append(f"  {field(step.summary)}:")
        lines.extend(f"      {field(line)}" for line in step.sql.splitlines())
        lines.append(f"      undo: {field(step.undo)}")
    return lines


def _now() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def case_of(case_dir: str) -> Case:
    """The existing case an undo plan belongs to."""
    return Case.open(Path(case_dir))
