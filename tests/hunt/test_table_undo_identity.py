"""`hunt --undo` drops only the table and database its run made; a run drops nothing it did
not make.

Found by review, each reproduced on the emulator before the fix: the undo dropped a table
someone had dropped and made again since (and, applied twice, a later one); a table made by
someone else between the plan and `--apply` was adopted (`IF NOT EXISTS`) and then dropped
by the undo; Ctrl-C while Athena ran the CREATE left the table with no undo; an AWS error on
one DROP stopped the undo with nothing logged. The emulator's Athena also overwrote an
existing table on `CREATE … IF NOT EXISTS`, where Athena keeps it. Later review: an undo run
again dropped a database made since by someone else (databases had no such check), and one
already gone was reported `[applied]`.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lambda_ir.aws import ClientFactory, RetryPolicy
from lambda_ir.emulator.client import session_for
from lambda_ir.emulator.quotas import FaultSpec
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.evidence.custody import read_entries
from lambda_ir.evidence.layout import CUSTODY
from lambda_ir.hunt.athena import QueryFailed, run_query
from lambda_ir.respond import hunt_table, hunt_table_undo
from lambda_ir.respond.hunt_table import TablePlan, TableRequest, TableResult
from lambda_ir.respond.hunt_table_undo import TableUndoError
from tests.hunt.conftest import hunt_cli
from tests.hunt.trail_files import REGION, result_workgroup, trail_bucket

# Someone else's CloudTrail table of the same name, over another bucket.
THEIRS = (
    "CREATE EXTERNAL TABLE {table} (eventid string) "
    "PARTITIONED BY (account string, region string, timestamp string) "
    "LOCATION 's3://someone-elses-bucket/AWSLogs/' TBLPROPERTIES ('projection.enabled'='true', "
    "'projection.account.values'='999988887777', 'projection.region.values'='eu-west-1', "
    "'storage.location.template'="
    "'s3://someone-elses-bucket/AWSLogs/${{account}}/CloudTrail/${{region}}/${{timestamp}}')"
)


@pytest.fixture(scope="module")
def trail(aws: Emulator, admin: boto3.Session) -> dict[str, Any]:
    bucket, _ = trail_bucket(admin, aws.endpoint_url, "org-trail")
    return {"bucket": bucket, "workgroup": result_workgroup(admin, aws.endpoint_url, bucket)}


class Setting:
    """One test's database in the emulator, the case and the clients."""

    def __init__(self, aws: Emulator, admin: boto3.Session, trail: dict[str, Any], root: Path):
        self.db = f"t_{uuid.uuid4().hex[:8]}"
        self.workgroup = trail["workgroup"]
        self.case = Case.create(root / "case", {"test": True})
        self.clients = ClientFactory(admin, endpoint_url=aws.endpoint_url)
        self.athena = admin.client("athena", endpoint_url=aws.endpoint_url)
        self.request = TableRequest(
            f"{self.db}.trail", f"s3://{trail['bucket']}/cloudtrail", self.workgroup, REGION
        )

    def plan(self) -> TablePlan:
        return hunt_table.plan_table(self.clients, self.request)

    def apply(
        self, plan: TablePlan | None = None, clients: ClientFactory | None = None
    ) -> TableResult:
        plan = plan or self.plan()
        run = hunt_table.save_plan(self.case, plan, apply=True, now="20261207T000000Z")
        return hunt_table.apply_table(self.case, clients or self.clients, plan, run)

    def undo(self, path: str, **options: Any) -> tuple[hunt_table.Outcome, ...]:
        plan = hunt_table_undo.load_table_undo(self.case, path)
        run = f"respond/undo-{uuid.uuid4().hex[:6]}"
        return hunt_table_undo.run_table_undo(
            self.case, options.pop("clients", self.clients), plan, apply=True, run=run, **options
        )

    def theirs(self) -> None:
        run_query(self.athena, THEIRS.format(table=f"{self.db}.trail"), self.workgroup)

    def location(self) -> str | None:
        try:
            found = self.athena.get_table_metadata(
                CatalogName="AwsDataCatalog", DatabaseName=self.db, TableName="trail"
            )
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "MetadataException"
            return None
        return str(found["TableMetadata"]["Parameters"]["storage.location.template"])


@pytest.fixture
def setting(aws: Emulator, admin: boto3.Session, trail: dict[str, Any], tmp_path: Path) -> Setting:
    return Setting(aws, admin, trail, tmp_path)


def test_a_table_made_again_since_is_not_dropped_without_force(setting: Setting) -> None:
    result = setting.apply()
    run_query(setting.athena, f"DROP TABLE {setting.db}.trail", setting.workgroup)
    setting.theirs()
    with pytest.raises(TableUndoError, match="not what the run made"):
        setting.undo(result.undo_path)
    assert "someone-elses-bucket" in (setting.location() or "")
    logged = [e.action for _, _, e in read_entries(setting.case.root / CUSTODY) if e]
    assert logged[-1] == "hunt-table-undo-refused"
    outcomes = setting.undo(result.undo_path, force=True)
    assert [o.error for o in outcomes] == ["", ""] and setting.location() is None


def test_an_undo_applied_twice_leaves_a_later_table_alone(setting: Setting) -> None:
    result = setting.apply()
    assert [o.skipped for o in setting.undo(result.undo_path)] == ["", ""]
    run_query(setting.athena, f"CREATE DATABASE {setting.db}", setting.workgroup)
    setting.theirs()
    with pytest.raises(TableUndoError):
        setting.undo(result.undo_path)
    assert "someone-elses-bucket" in (setting.location() or "")


def test_a_table_made_between_the_plan_and_apply_is_neither_changed_nor_undone(
    setting: Setting,
) -> None:
    plan = setting.plan()
    run_query(setting.athena, f"CREATE DATABASE {setting.db}", setting.workgroup)
    setting.theirs()
    result = setting.apply(plan)
    assert "AlreadyExistsException" in result.outcomes[0].error  # the database, theirs
    assert "someone-elses-bucket" in (setting.location() or "")
    undo = json.loads((setting.case.root / result.undo_path).read_text())
    assert undo["statements"] == [] and undo["created"] == {}


def _interrupted(aws: Emulator) -> ClientFactory:
    """Clients of a session whose person presses Ctrl-C once a query was sent, while its
    answer is awaited (AWS answers nothing different: the interrupt is raised in the client's
    own hook). A session of its own: clients keep the hooks they were made with."""
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )

    def ctrl_c(**_: Any) -> None:
        raise KeyboardInterrupt

    session.events.register("before-call.athena.GetQueryExecution", ctrl_c)
    return ClientFactory(session, endpoint_url=aws.endpoint_url)


def _undo_plan(setting: Setting) -> tuple[Path, dict[str, Any]]:
    (run,) = [p for p in (setting.case.root / "respond").iterdir() if p.is_dir()]
    return run / "undo.json", json.loads((run / "undo.json").read_text())


def test_ctrl_c_while_athena_makes_the_database_keeps_its_undo(
    setting: Setting, aws: Emulator
) -> None:
    with pytest.raises(KeyboardInterrupt):
        setting.apply(setting.plan(), _interrupted(aws))
    _, undo = _undo_plan(setting)
    assert undo["statements"] == [f"DROP DATABASE IF EXISTS {setting.db}"]
    assert setting.location() is None  # the run stopped before the table's step


def test_ctrl_c_while_athena_makes_the_table_keeps_its_undo(
    setting: Setting, aws: Emulator
) -> None:
    run_query(setting.athena, f"CREATE DATABASE {setting.db}", setting.workgroup)
    with pytest.raises(KeyboardInterrupt):
        setting.apply(setting.plan(), _interrupted(aws))
    assert setting.location() is not None  # Athena made it
    path, undo = _undo_plan(setting)
    assert undo["statements"] == [f"DROP TABLE IF EXISTS {setting.db}.trail"]
    assert set(undo["created"]) == {f"{setting.db}.trail"}
    setting.undo(str(path))
    assert setting.location() is None


def test_a_table_someone_made_before_an_interrupted_create_is_not_taken_for_ours(
    setting: Setting, aws: Emulator
) -> None:
    """Ctrl-C while Athena answers our CREATE: a table there now is ours only when it is over
    our trail and made since the run began; theirs (made between the plan and the run) made
    our CREATE fail, and its undo must not drop it."""
    run_query(setting.athena, f"CREATE DATABASE {setting.db}", setting.workgroup)
    plan = setting.plan()
    setting.theirs()  # another bucket's
    with pytest.raises(KeyboardInterrupt):
        setting.apply(plan, _interrupted(aws))
    _, undo = _undo_plan(setting)
    assert undo["statements"] == [] and undo["created"] == {}
    assert "someone-elses-bucket" in (setting.location() or "")


def test_a_table_over_our_trail_made_an_hour_before_the_run_is_not_taken_for_ours(
    setting: Setting, aws: Emulator
) -> None:
    run_query(setting.athena, f"CREATE DATABASE {setting.db}", setting.workgroup)
    plan = setting.plan()
    earlier = session_for(
        aws, "testing", "testing", region=REGION, event_time=datetime.now(UTC) - timedelta(hours=1)
    ).client("athena")
    run_query(earlier, plan.steps[-1].sql, setting.workgroup)  # the same DDL, an hour ago
    with pytest.raises(KeyboardInterrupt):
        setting.apply(plan, _interrupted(aws))
    _, undo = _undo_plan(setting)
    assert undo["statements"] == [] and undo["created"] == {}
    assert setting.location() is not None


def test_an_aws_error_on_one_drop_is_its_outcome_and_the_result_is_saved(
    setting: Setting, aws: Emulator, admin: boto3.Session
) -> None:
    result = setting.apply()
    once = ClientFactory(admin, RetryPolicy(max_attempts=1), endpoint_url=aws.endpoint_url)

    def fail_from_now(**_: Any) -> None:
        aws.set_limits(faults=FaultSpec(rate=1.0, kinds=("500",)))

    event = "before-call.athena.StartQueryExecution"
    admin.events.register(event, fail_from_now)
    try:
        outcomes = setting.undo(result.undo_path, clients=once)
    finally:
        admin.events.unregister(event, fail_from_now)
        aws.set_limits()
    assert len(outcomes) == 2 and all("AWS call failed" in o.error for o in outcomes)
    logged = [e.action for _, _, e in read_entries(setting.case.root / CUSTODY) if e]
    assert logged[-2:] == ["hunt-table-undo-call", "hunt-table-undo-call"]
    assert list((setting.case.root / "respond").glob("undo-*/undo-result.json"))


def test_the_emulators_athena_keeps_what_the_catalog_has(setting: Setting) -> None:
    """As Athena: `IF NOT EXISTS` leaves an existing table untouched, a CREATE without it
    fails with Hive's AlreadyExistsException, and GetTableMetadata gives its CreateTime."""
    ours = setting.plan().steps[-1].sql  # CREATE EXTERNAL TABLE db.trail (…
    run_query(setting.athena, f"CREATE DATABASE {setting.db}", setting.workgroup)
    setting.theirs()
    made = setting.athena.get_table_metadata(
        CatalogName="AwsDataCatalog", DatabaseName=setting.db, TableName="trail"
    )["TableMetadata"]["CreateTime"]
    quiet = ours.replace("CREATE EXTERNAL TABLE", "CREATE EXTERNAL TABLE IF NOT EXISTS", 1)
    run_query(setting.athena, quiet, setting.workgroup)
    assert "someone-elses-bucket" in (setting.location() or "")
    with pytest.raises(QueryFailed, match="AlreadyExistsException"):
        run_query(setting.athena, ours, setting.workgroup)
    with pytest.raises(QueryFailed, match="AlreadyExistsException"):
        run_query(setting.athena, f"CREATE DATABASE {setting.db}", setting.workgroup)
    run_query(setting.athena, f"CREATE DATABASE IF NOT EXISTS {setting.db}", setting.workgroup)
    again = setting.athena.get_table_metadata(
        CatalogName="AwsDataCatalog", DatabaseName=setting.db, TableName="trail"
    )["TableMetadata"]["CreateTime"]
    assert again == made and "someone-elses-bucket" in (setting.location() or "")


def test_an_undo_plan_older_than_the_record_of_what_was_made_says_so(setting: Setting) -> None:
    result = setting.apply()
    plan = json.loads((setting.case.root / result.undo_path).read_text())
    del plan["created"]  # as undo plans were written before it was recorded
    older = hunt_table.save_json(setting.case, "respond/older/undo.json", plan)
    with pytest.raises(TableUndoError, match="the plan is older than lambda-ir's record"):
        setting.undo(older)
    assert setting.location() is not None
    assert [o.error for o in setting.undo(older, force=True)] == ["", ""]


def test_an_undo_run_again_skips_what_is_gone_and_says_it_was_applied(
    setting: Setting, aws: Emulator
) -> None:
    result = setting.apply()
    undo = str(setting.case.root / result.undo_path)
    where = ["--case", str(setting.case.root), "--undo", undo, "--apply"]
    first = hunt_cli(aws, *where)
    assert first.returncode == 0, first.stderr
    assert [o.get("skipped", "") for o in json.loads(first.stdout)["outcomes"]] == ["", ""]
    again = hunt_cli(aws, *where)
    assert again.returncode == 0, again.stderr
    shown = json.loads(again.stdout)
    assert [o.get("skipped") for o in shown["outcomes"]] == ["already gone", "already gone"]
    assert [o["query_id"] for o in shown["outcomes"]] == ["", ""]  # nothing sent to Athena
    assert shown["result"].startswith("nothing left to drop: this plan's undo was applied at 20")


def test_a_database_made_again_since_is_not_dropped_without_force(setting: Setting) -> None:
    result = setting.apply()
    database = setting.athena.get_database(CatalogName="AwsDataCatalog", DatabaseName=setting.db)
    setting.undo(result.undo_path)
    run_query(setting.athena, f"CREATE DATABASE {setting.db}", setting.workgroup)  # theirs
    with pytest.raises(TableUndoError, match=rf"{setting.db}: made since, not by this run") as no:
        setting.undo(result.undo_path)
    assert "this plan's undo was applied at" in str(no.value)
    assert setting.athena.get_database(CatalogName="AwsDataCatalog", DatabaseName=setting.db)
    outcomes = setting.undo(result.undo_path, force=True)
    assert [(o.skipped, o.error) for o in outcomes] == [("already gone", ""), ("", "")]
    with pytest.raises(ClientError, match="MetadataException"):
        setting.athena.get_database(CatalogName="AwsDataCatalog", DatabaseName=setting.db)
    # What told them apart: the mark the run gave its database, recorded in the undo plan.
    undo = json.loads((setting.case.root / result.undo_path).read_text())
    assert database["Database"]["Parameters"] == {"lambda_ir.plan": undo["databases"][setting.db]}
