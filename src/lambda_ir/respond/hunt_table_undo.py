"""`hunt --undo PLAN [--apply]`: drop again what `hunt --create-table --apply` created.

The plan must be a file of this case listed in its manifest with the same SHA-256 (an edited
plan is refused), in the `lambda-ir-hunt-undo/1` format, and hold only
`DROP TABLE IF EXISTS db.table` / `DROP DATABASE IF EXISTS db` (RESTRICT: a database that
still holds a table is not dropped). It runs only in the account the plan was made in.

Before dropping anything, each table's `CreateTime` is read again and compared with the one
the plan recorded right after it was made, and each database must still carry the mark the
plan gave it (`hunt_table.PLAN_MARK` in its DBPROPERTIES; Athena's GetDatabase has no
CreateTime): a table or database dropped and made again since (by someone else, or after this
undo ran once) is not ours, and the undo is refused (`TableUndoError`, custody
`hunt-table-undo-refused`) unless `force`. One already gone is left out (`skipped`). Each
statement's AWS error is its outcome: the others still run, and the result is saved.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambda_ir.aws import ClientFactory, call
from lambda_ir.evidence import Case
from lambda_ir.hunt.catalog import read_database, read_table
from lambda_ir.respond.hunt_table import (
    PLAN_MARK,
    UNDO_FORMAT,
    Outcome,
    Step,
    run_step,
    save_json,
)
from lambda_ir.respond.undo import case_relative, undone_at

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
UNDO_CALL = "hunt-table-undo-call"  # custody: one per statement, its outcome
_UNDO_SQL = re.compile(rf"^DROP (TABLE IF EXISTS {_NAME}\.{_NAME}|DATABASE IF EXISTS {_NAME})$")


class TableUndoError(ValueError):
    """The undo plan is missing, edited, malformed, of another account, or not only DROPs."""


@dataclass(frozen=True)
class TableUndo:
    """A checked undo plan: where it is, and what to run where."""

    path: str
    account: str
    workgroup: str
    region: str
    statements: tuple[str, ...]
    # table -> its CreateTime after the run (None: unread); None: a plan from before they
    # were recorded
    created: dict[str, str | None] | None
    # database -> the mark the run gave it; None: a plan from before they were recorded
    databases: dict[str, str] | None = None


def load_table_undo(case: Case, path: str) -> TableUndo:
    """An undo plan of this case, unchanged since written, holding only our DROP statements."""
    relpath = case_relative(case, path, TableUndoError)
    entry = case.entry(relpath)
    if entry is None or entry.sha256 is None:
        raise TableUndoError(f"{relpath} is not an artifact of this case")
    if hashlib.sha256(case.path(relpath).read_bytes()).hexdigest() != entry.sha256:
        raise TableUndoError(f"{relpath} changed since it was written (SHA-256 differs)")
    document = case.read_json(relpath)
    if not isinstance(document, dict) or document.get("format") != UNDO_FORMAT:
        raise TableUndoError(f"{relpath} is not a lambda-ir hunt table undo plan")
    statements = document.get("statements")
    if not isinstance(statements, list) or not all(
        isinstance(s, str) and _UNDO_SQL.match(s) for s in statements
    ):
        raise TableUndoError(f"{relpath}: only DROP TABLE / DROP DATABASE IF EXISTS; refused")
    created = document.get("created", None)
    if created is not None and not isinstance(created, dict):
        raise TableUndoError(f"{relpath}: `created` is not a map of tables to times; refused")
    if created is not None and not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in created.items()
    ):
        raise TableUndoError(f"{relpath}: `created` is not a map of tables to times; refused")
    try:
        for made in (created or {}).values():
            if made is not None:
                datetime.fromisoformat(made)
    except ValueError as exc:
        raise TableUndoError(f"{relpath}: `created` holds no time ({exc}); refused") from exc
    databases = document.get("databases", None)
    if databases is not None and not (
        isinstance(databases, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in databases.items())
    ):
        raise TableUndoError(f"{relpath}: `databases` is not a map of names to marks; refused")
    return TableUndo(
        relpath,
        str(document.get("account", "")),
        str(document.get("workgroup", "")),
        str(document.get("region", "")),
        tuple(statements),
        created,
        databases,
    )


def run_table_undo(
    case: Case,
    clients: ClientFactory,
    undo: TableUndo,
    *,
    apply: bool,
    run: str,
    force: bool = False,
) -> tuple[Outcome, ...]:
    """Without `apply` only log that it was shown; with it run each DROP, in the plan's
    account, once every table and database to drop is the one the run made (or `force`)."""
    if not apply:
        case.log("hunt-table-undo-plan", {"undo_plan": undo.path})
        return ()
    sts = clients.client("sts", undo.region)
    account = str(call(sts, "GetCallerIdentity", {})["Account"])
    if account != undo.account:
        raise TableUndoError(f"the undo plan is for account {undo.account}, not {account}")
    athena = clients.client("athena", undo.region)
    gone, others = _catalog_now(athena, undo)
    if others and not force:
        case.log("hunt-table-undo-refused", {"undo_plan": undo.path, "tables": others})
        undone = undone_before(case, undo)
        raise TableUndoError(
            "not what the run made: "
            + "; ".join(others)
            + (f"; this plan's undo was applied at {undone}" if undone else "")
            + " (--force drops it anyway)"
        )
    outcomes = []
    for sql in undo.statements:
        step = Step("undo", sql, "")
        if _target(sql) in gone:
            outcome = Outcome(step, "", "", skipped="already gone")
        else:
            outcome = run_step(athena, step, undo.workgroup)
        case.log(
            UNDO_CALL,
            {"run": run, "undo_plan": undo.path, "sql": sql}
            | {"query_id": outcome.query_id, "error": outcome.error}
            | ({"skipped": outcome.skipped} if outcome.skipped else {})
            | ({"forced": others} if others else {}),
        )
        outcomes.append(outcome)
    save_json(
        case,
        f"{run}/undo-result.json",
        {"undo_plan": undo.path} | {"outcomes": [o.to_json() for o in outcomes]},
    )
    return tuple(outcomes)


def undone_before(case: Case, undo: TableUndo) -> str:
    """When this plan's undo last dropped something (custody), or "": an undo that finds
    everything gone says whether it was its own earlier run that dropped them."""
    return undone_at(case, undo.path, UNDO_CALL)


def _catalog_now(athena: Any, undo: TableUndo) -> tuple[set[str], list[str]]:
    """The plan's tables and databases the catalog no longer has, and why each other one is
    not the one the run made."""
    gone: set[str] = set()
    others: list[str] = []
    for sql in undo.statements:
        name = _target(sql)
        judge = _table_now if sql.startswith("DROP TABLE") else _database_now
        try:
            why = judge(athena, undo, name)
        except (ClientError, BotoCoreError) as exc:
            others.append(f"{name}: the catalog could not be read ({exc})")
            continue
        if why is None:
            gone.add(name)
        elif why:
            others.append(f"{name}: {why}")
    return gone, others


def _table_now(athena: Any, undo: TableUndo, table: str) -> str | None:
    """None when the table is gone, "" when it is the run's (the CreateTime the run
    recorded), otherwise why it is not."""
    found = read_table(athena, table)
    if found is None:
        return None
    made, recorded = found.created, (undo.created or {}).get(table)
    if made is None:
        return "the catalog gave it no CreateTime"
    if undo.created is None:
        return (
            "the plan is older than lambda-ir's record of what it made, so this table "
            f"(made {made.isoformat()}) cannot be told for the run's"
        )
    if recorded is None:
        return f"the run could not read what it made (now {made.isoformat()})"
    if made != datetime.fromisoformat(recorded):
        return f"made {made.isoformat()}, the run's was made {recorded}"
    return ""


def _database_now(athena: Any, undo: TableUndo, database: str) -> str | None:
    """None when the database is gone, "" when it is the run's (it still carries the mark
    the run gave it; Athena's GetDatabase has no CreateTime), otherwise why it is not."""
    parameters = read_database(athena, database)
    if parameters is None:
        return None
    if undo.databases is None:
        return (
            "the plan is older than lambda-ir's mark on the databases it makes, so this "
            "database cannot be told for the run's"
        )
    mark, found = undo.databases.get(database), parameters.get(PLAN_MARK)
    if mark is not None and found == mark:
        return ""
    return "made since, not by this run " + (
        f"({PLAN_MARK} is {found}, the run's was {mark})" if found else "(no mark)"
    )


def _target(sql: str) -> str:
    """The table or database a `DROP … IF EXISTS name` drops."""
    return sql.split(" IF EXISTS ", 1)[1]
