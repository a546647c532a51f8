"""`hunt --create-table`: the Athena table `hunt` needs, planned, and made only with `--apply`.

    plan_table(clients, TableRequest(...)) -> TablePlan          (reads only)
    save_plan(case, plan, apply=...) -> run folder               (respond/<run>/plan.json)
    apply_table(case, clients, plan, run) -> TableResult         (writes, then undo.json)
    hunt_table_undo.load_table_undo(case, path) / run_table_undo(case, clients, undo, ...)

The plan is made from reads: the trail bucket's folders (s3:ListObjectsV2 with a delimiter:
the accounts under `AWSLogs/[o-org/]`, the regions under each account's `CloudTrail/`) and
whether the database and the table are already in the catalog (athena:GetDatabase,
athena:GetTableMetadata). Its steps are `CREATE DATABASE` when the database is missing and
`CREATE EXTERNAL TABLE` (`hunt.table.create_table_sql`) when the table is, neither with `IF NOT
EXISTS`: one made by someone else between the plan and the statement fails it, and is never
taken for ours. The database carries the plan's random mark (`WITH DBPROPERTIES
('lambda_ir.plan'='…')`, the Glue database's Parameters): its undo drops it only while it
carries that mark, not a database of that name made since by someone else. Each step's
undo is `DROP TABLE` / `DROP DATABASE` (RESTRICT: refused while the database holds a table).
Both change only the Glue Data Catalog: an external table's DROP never deletes the trail's
files. A table already there is left as it is, with nothing to undo, when it reads the same
trail (its location template) and projects every account and region the plan found;
otherwise the plan carries why it is not the table asked for (`conflict`), and nothing is
made and no hunt runs: a hunt in it would search another trail, or miss accounts.

The undo plan records the table's `CreateTime` as the catalog gave it right after the run
(`created`): `hunt --undo` drops only that table, not one dropped and made again since by
someone else (nor, applied twice, a later one), unless `--force`. A step whose answer was
lost (an AWS error with no query id, or Ctrl-C while Athena ran it) may have run: its table
counts as ours only when the catalog has one made since the run began (less CLOCK_SKEW).

Each statement runs as an Athena query (athena:StartQueryExecution), logged in custody. Like
every Athena query, it writes a result object to the workgroup's S3 output location: Athena's
own bookkeeping, not a change to the resources under investigation.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lambda_ir.aws import ClientFactory, call, classify, pages
from lambda_ir.evidence import Case
from lambda_ir.hunt.athena import QueryFailed, run_query
from lambda_ir.hunt.catalog import CatalogTable, exists, read_table
from lambda_ir.hunt.query import check_table
from lambda_ir.hunt.table import create_table_sql, location_template
from lambda_ir.model import Kind

UNDO_FORMAT = "lambda-ir-hunt-undo/1"
# The database property that tells the database a plan made from one of the same name made
# since: Athena's GetDatabase gives no CreateTime, but gives back the DBPROPERTIES.
PLAN_MARK = "lambda_ir.plan"
FIRST_DAY = date(2013, 11, 1)  # CloudTrail's launch: the projection's first day


@dataclass(frozen=True)
class TableRequest:
    """The table to make: its name (DB.TABLE), the trail's s3://bucket[/prefix], where."""

    table: str
    location: str
    workgroup: str
    region: str
    regions: tuple[str, ...] = ()  # projected regions; default: those found in the bucket


@dataclass(frozen=True)
class Step:
    """One statement the plan runs, and the statement that takes it back."""

    summary: str
    sql: str
    undo: str

    def to_json(self) -> dict[str, str]:
        return {"summary": self.summary, "sql": self.sql, "undo": self.undo}


@dataclass(frozen=True)
class TablePlan:
    """What creating the table takes, from live reads; no steps when it is there already."""

    request: TableRequest
    account: str
    logs_root: str
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    database_exists: bool
    table_exists: bool
    steps: tuple[Step, ...]
    conflict: str = ""  # why the table already in the catalog is not the one asked for
    mark: str = ""  # PLAN_MARK's value on the database the plan creates

    @property
    def database(self) -> str:
        return self.request.table.split(".")[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.request.table,
            "database": self.database,
            "location": self.logs_root,
            "workgroup": self.request.workgroup,
            "region": self.request.region,
            "account": self.account,
            "accounts": list(self.accounts),
            "regions": list(self.regions),
            "database_exists": self.database_exists,
            "table_exists": self.table_exists,
            "steps": [step.to_json() for step in self.steps],
            "mark": self.mark,
        } | ({"conflict": self.conflict} if self.conflict else {})


@dataclass(frozen=True)
class Outcome:
    """One step and what Athena did with it: its query id, and the error when it failed."""

    step: Step
    query_id: str
    error: str = ""
    skipped: str = ""  # why an undo statement was not run ("already gone")

    def to_json(self) -> dict[str, str]:
        out = self.step.to_json() | {"query_id": self.query_id, "error": self.error}
        return out | ({"skipped": self.skipped} if self.skipped else {})


@dataclass(frozen=True)
class TableResult:
    """The plan, what each step did, the undo plan's path and whether the table is there."""

    plan: TablePlan
    run: str
    outcomes: tuple[Outcome, ...]
    undo_path: str
    in_place: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "outcomes": [outcome.to_json() for outcome in self.outcomes],
            "undo_path": self.undo_path,
            "in_place": self.in_place,
        }


def plan_table(clients: ClientFactory, request: TableRequest) -> TablePlan:
    """Read the bucket and the catalog, and plan the statements still needed."""
    check_table(request.table)
    database = request.table.split(".")[0]
    sts = clients.client("sts", request.region)
    account = str(call(sts, "GetCallerIdentity", {})["Account"])
    bucket, _, prefix = request.location.removeprefix("s3://").rstrip("/").partition("/")
    s3 = clients.client("s3", request.region)
    logs_root, accounts = trail_accounts(s3, bucket, prefix)
    regions = request.regions or trail_regions(s3, logs_root, accounts)
    athena = clients.client("athena", request.region)
    has_db = exists(athena, "GetDatabase", {"DatabaseName": database})
    existing = read_table(athena, request.table) if has_db else None
    has_table = existing is not None
    steps: list[Step] = []
    mark = "" if has_db else secrets.token_hex(8)
    if not has_db:
        steps.append(
            Step(
                f"create the database {database}",
                f"CREATE DATABASE {database} WITH DBPROPERTIES ('{PLAN_MARK}'='{mark}')",
                f"DROP DATABASE IF EXISTS {database}",
            )
        )
    if not has_table:
        ddl = create_table_sql(request.table, logs_root, accounts, regions, FIRST_DAY)
        steps.append(
            Step(
                f"create the table {request.table} over {logs_root}",
                ddl,
                f"DROP TABLE IF EXISTS {request.table}",
            )
        )
    conflict = (
        "" if existing is None else _conflict(request.table, existing, logs_root, accounts, regions)
    )
    return TablePlan(
        request,
        account,
        logs_root,
        tuple(accounts),
        regions,
        has_db,
        has_table,
        tuple(steps),
        conflict,
        mark,
    )


def _conflict(
    table: str, found: CatalogTable, logs_root: str, accounts: list[str], regions: tuple[str, ...]
) -> str:
    """Why the table the catalog has cannot stand in for the one planned, or "": over another
    location it reads another trail (other buckets, other accounts); a projection without
    some of the trail's accounts or regions never reads their files."""
    wanted = location_template(logs_root)
    projects = (
        f"accounts {','.join(found.accounts) or '?'}, regions {','.join(found.regions) or '?'}"
    )
    if found.location.rstrip("/") != wanted:
        # shown as a trail's root (s3://bucket/AWSLogs), as the plan shows its own location
        where = found.location.removesuffix(wanted.removeprefix(logs_root)) or "no location"
        return (
            f"{table} is already in the catalog over {where} ({projects}), "
            f"not over {logs_root} as asked"
        )
    unread = [a for a in accounts if found.accounts and a not in found.accounts]
    unread += [r for r in regions if found.regions and r not in found.regions]
    if unread:
        return (
            f"{table} is already in the catalog over {logs_root}, but projects {projects}: "
            f"the trail also holds {','.join(unread)}, which a hunt in it would not read"
        )
    return ""


def save_plan(case: Case, plan: TablePlan, *, apply: bool, now: str) -> str:
    """`respond/<now>-hunt-table-<random>/plan.json`; returns the run folder."""
    run = f"respond/{now}-hunt-table-{secrets.token_hex(4)}"
    path = save_json(case, f"{run}/plan.json", plan.to_json() | {"apply": apply})
    case.log("hunt-table-plan", {"run": run, "plan": path, "steps": len(plan.steps)})
    return run


def apply_table(case: Case, clients: ClientFactory, plan: TablePlan, run: str) -> TableResult:
    """Run each step in order (stop at the first failure), save the undo, check the table.

    A step fails on Athena's FAILED state or on an AWS error (throttling, a dropped
    connection); either way the undo of what was done is saved (`finally`, Ctrl-C too). A
    step cut off before Athena answered with a query id may have run: its undo is kept for
    the database (RESTRICT), and for the table when the catalog holds one made since the run
    began. The table's `CreateTime` goes into the undo plan: its undo drops that table only.
    """
    athena = clients.client("athena", plan.request.region)
    began = datetime.now(UTC)
    outcomes: list[Outcome] = []
    maybe_ran: list[Step] = []
    try:
        for step in plan.steps:
            try:
                outcome = run_step(athena, step, plan.request.workgroup)
            except BaseException:  # Ctrl-C while Athena ran it: it may have run
                maybe_ran.append(step)
                raise
            outcomes.append(outcome)
            if outcome.error and not outcome.query_id:
                maybe_ran.append(step)
            case.log(
                "hunt-table-call",
                {"run": run, "sql": step.sql, "query_id": outcome.query_id, "error": outcome.error},
            )
            if outcome.error:
                break
    finally:
        undo_path = _save_undo(case, athena, plan, run, (outcomes, maybe_ran), began)
    in_place = _in_place(athena, plan.request.table)
    result = TableResult(plan, run, tuple(outcomes), undo_path, in_place)
    save_json(case, f"{run}/result.json", result.to_json())
    case.log("hunt-table-done", {"run": run, "undo": undo_path, "in_place": in_place})
    return result


def run_step(athena: Any, step: Step, workgroup: str) -> Outcome:
    """One statement; Athena's FAILED (with its query id) or an AWS error becomes the error."""
    try:
        return Outcome(step, run_query(athena, step.sql, workgroup).query_id)
    except QueryFailed as exc:
        return Outcome(step, exc.query_id, exc.reason)
    except (ClientError, BotoCoreError) as exc:
        return Outcome(step, "", f"AWS call failed: {classify(exc).text}")


# How far AWS's clock may be behind ours when a step whose answer was lost is judged by its
# table's CreateTime: SigV4 refuses a request signed more than five minutes off AWS's clock.
CLOCK_SKEW = timedelta(minutes=5)


def _save_undo(
    case: Case,
    athena: Any,
    plan: TablePlan,
    run: str,
    done: tuple[list[Outcome], list[Step]],
    began: datetime,
) -> str:
    outcomes, maybe_ran = done
    ran = {o.step for o in outcomes if not o.error}
    created: dict[str, str | None] = {}
    table = plan.request.table
    for step in plan.steps:
        if step.undo != f"DROP TABLE IF EXISTS {table}" or step not in {*ran, *maybe_ran}:
            continue
        try:
            found = read_table(athena, table)
        except (ClientError, BotoCoreError):
            found = CatalogTable(None, "", (), ())  # cannot tell: kept; its undo refuses
        # A step whose answer was lost made the table if one over our trail is there, made
        # since the run began: not one someone made before it (our CREATE then failed).
        if found is not None and (
            step in ran
            or found.created is None
            or (
                found.location == location_template(plan.logs_root)
                and found.created >= began - CLOCK_SKEW
            )
        ):
            created[table] = None if found.created is None else found.created.isoformat()
            ran.add(step)
        else:
            ran.discard(step)
    ran |= {s for s in maybe_ran if s.undo.startswith("DROP DATABASE")}
    made_db = any(s.undo.startswith("DROP DATABASE") for s in ran)
    undo = {
        "format": UNDO_FORMAT,
        "run": run,
        "account": plan.account,
        "workgroup": plan.request.workgroup,
        "region": plan.request.region,
        "table": table,
        "statements": [s.undo for s in reversed(plan.steps) if s in ran],
        "created": created,  # each table's CreateTime right after the run (None: unread)
        "databases": {plan.database: plan.mark} if made_db else {},  # database -> its mark
    }
    return save_json(case, f"{run}/undo.json", undo)


def _in_place(athena: Any, table: str) -> bool:
    """Whether the table is in the catalog; False when the check itself fails (unknown)."""
    database, name = table.split(".")
    try:
        return exists(athena, "GetTableMetadata", {"DatabaseName": database, "TableName": name})
    except (ClientError, BotoCoreError):
        return False


def trail_accounts(s3: Any, bucket: str, prefix: str) -> tuple[str, list[str]]:
    """`s3://bucket/prefix/AWSLogs[/o-org]` and its accounts, from the folder's listing."""
    root = f"{prefix.strip('/')}/AWSLogs/" if prefix.strip("/") else "AWSLogs/"
    found = _folders(s3, bucket, root)
    organisation = [f for f in found if f.startswith("o-")]
    if organisation:  # an organisation trail: AWSLogs/o-xxxx/<account>/
        root = f"{root}{organisation[0]}/"
        found = _folders(s3, bucket, root)
    accounts = sorted(f for f in found if f.isdigit() and len(f) == 12)
    if not accounts:
        raise ValueError(f"no CloudTrail account folders under s3://{bucket}/{root}")
    return f"s3://{bucket}/{root.rstrip('/')}", accounts


def trail_regions(s3: Any, logs_root: str, accounts: list[str]) -> tuple[str, ...]:
    """The regions the trail's accounts log to: the folders under each one's `CloudTrail/`."""
    bucket, _, root = logs_root.removeprefix("s3://").partition("/")
    found = {r for a in accounts for r in _folders(s3, bucket, f"{root}/{a}/CloudTrail/")}
    return tuple(sorted(r for r in found if re.fullmatch(r"[a-z0-9-]{1,40}", r)))  # from a bucket


def _folders(s3: Any, bucket: str, prefix: str) -> list[str]:
    names: list[str] = []
    for page in pages(s3, "ListObjectsV2", {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}):
        for common in page.get("CommonPrefixes") or []:
            names.append(str(common["Prefix"])[len(prefix) :].strip("/"))
    return names


def save_json(case: Case, relpath: str, document: dict[str, Any]) -> str:
    return case.put_json(relpath, document, kind=Kind.RESPONSE.value, composed=True).path or relpath
