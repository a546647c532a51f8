"""`hunt --undo PLAN [--apply]`: drop again what `hunt --create-table --apply` created.

The plan must be a file of this case listed in its manifest with the same SHA-256 (an edited
plan is refused), in the `lambda-ir-hunt-undo/1` format, and hold only
`DROP TABLE IF EXISTS db.table` / `DROP DATABASE IF EXISTS db` (RESTRICT: a database that
still holds a table is not dropped). It runs only in the account the plan was made in.

Before dropping anything, each table's `CreateTime` is read again and compared with the one
the plan recorded right after it was made: a table dropped and made again since (by someone
else, or after this undo ran once) is not ours, and the undo is refused (`TableUndoError`,
custody `hunt-table-undo-refused`) unless `force`. A table already gone is left out. Each
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
from lambda_ir.hunt.catalog import read_table
from lambda_ir.respond.hunt_table import UNDO_FORMAT, Outcome, Step, run_step, save_json
from lambda_ir.respond.undo import case_relative

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
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
    return TableUndo(
        relpath,
        str(document.get("account", "")),
        str(document.get("workgroup", "")),
        str(document.get("region", "")),
        tuple(statements),
        created,
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
    account, once every table to drop is the one the run made (or `force`)."""
    if not apply:
        case.log("hunt-table-undo-plan", {"undo_plan": undo.path})
        return ()
    sts = clients.client("sts", undo.region)
    account = str(call(sts, "GetCallerIdentity", {})["Account"])
    if account != undo.account:
        raise TableUndoError(f"the undo plan is for account {undo.account}, not {account}")
    athena = clients.client("athena", undo.region)
    gone, others = _tables_now(athena, undo)
    if others and not force:
        case.log("hunt-table-undo-refused", {"undo_plan": undo.path, "tables": others})
        raise TableUndoError(
            "not the table the run made: " + "; ".join(others) + " (--force drops it anyway)"
        )
    outcomes = []
    for sql in undo.statements:
        step = Step("undo", sql, "")
        if _table_of(sql) in gone:
            outcome = Outcome(step, "", "", skipped="already gone")
        else:
            outcome = run_step(athena, step, undo.workgroup)
        case.log(
            "hunt-table-undo-call",
            {"run": run, "sql": sql, "query_id": outcome.query_id, "error": outcome.error}
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


def _tables_now(athena: Any, undo: TableUndo) -> tuple[set[str], list[str]]:
    """The plan's tables the catalog no longer has, and why each other one is not ours."""
    gone: set[str] = set()
    others: list[str] = []
    for sql in undo.statements:
        if (table := _table_of(sql)) is None:
            continue
        try:
            found = read_table(athena, table)
        except (ClientError, BotoCoreError) as exc:
            others.append(f"{table}: its CreateTime could not be read ({exc})")
            continue
        if found is None:
            gone.add(table)
            continue
        made, recorded = found.created, (undo.created or {}).get(table)
        if made is None:
            others.append(f"{table}: the catalog gave it no CreateTime")
        elif undo.created is None:
            others.append(
                f"{table}: the plan is older than lambda-ir's record of what it made, so "
                f"this table (made {made.isoformat()}) cannot be told for the run's"
            )
        elif recorded is None:
            others.append(f"{table}: the run could not read what it made (now {made.isoformat()})")
        elif made != datetime.fromisoformat(recorded):
            others.append(f"{table}: made {made.isoformat()}, the run's was made {recorded}")
    return gone, others


def _table_of(sql: str) -> str | None:
    return sql.removeprefix("DROP TABLE IF EXISTS ") if sql.startswith("DROP TABLE") else None
