"""`hunt --undo PLAN [--apply]`: drop again what `hunt --create-table --apply` created.

The plan must be a file of this case listed in its manifest with the same SHA-256 (an edited
plan is refused), in the `lambda-ir-hunt-undo/1` format, and hold only
`DROP TABLE IF EXISTS db.table` / `DROP DATABASE IF EXISTS db` (RESTRICT: a database that
still holds a table is not dropped). It runs only in the account the plan was made in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from lambda_ir.aws import ClientFactory, call
from lambda_ir.evidence import Case
from lambda_ir.hunt.athena import QueryFailed, run_query
from lambda_ir.respond.hunt_table import UNDO_FORMAT, Outcome, Step, save_json
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
    return TableUndo(
        relpath,
        str(document.get("account", "")),
        str(document.get("workgroup", "")),
        str(document.get("region", "")),
        tuple(statements),
    )


def run_table_undo(
    case: Case, clients: ClientFactory, undo: TableUndo, *, apply: bool, run: str
) -> tuple[Outcome, ...]:
    """Without `apply` only log that it was shown; with it run each DROP, in the plan's account."""
    if not apply:
        case.log("hunt-table-undo-plan", {"undo_plan": undo.path})
        return ()
    sts = clients.client("sts", undo.region)
    account = str(call(sts, "GetCallerIdentity", {})["Account"])
    if account != undo.account:
        raise TableUndoError(f"the undo plan is for account {undo.account}, not {account}")
    athena = clients.client("athena", undo.region)
    outcomes = []
    for sql in undo.statements:
        step = Step("undo", sql, "")
        try:
            outcome = Outcome(step, run_query(athena, sql, undo.workgroup).query_id)
        except QueryFailed as exc:
            outcome = Outcome(step, exc.query_id, exc.reason)
        case.log(
            "hunt-table-undo-call",
            {"run": run, "sql": sql, "query_id": outcome.query_id, "error": outcome.error},
        )
        outcomes.append(outcome)
    save_json(
        case,
        f"{run}/undo-result.json",
        {"undo_plan": undo.path} | {"outcomes": [o.to_json() for o in outcomes]},
    )
    return tuple(outcomes)
