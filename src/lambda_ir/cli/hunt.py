"""`lambda-ir hunt`: the CloudTrail rules pushed down to Amazon Athena, matches into the case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from lambda_ir.aws import ClientFactory, build_session
from lambda_ir.aws.clock import check_clock
from lambda_ir.cli.hunt_sources import SOURCES, SourceRequest, hunt_source
from lambda_ir.cli.hunt_table import case_of, make_table, undo_table
from lambda_ir.cli.preflight import check_access, closed_window
from lambda_ir.cli.ui import CommandError, Ui, case_option, get_ui, inert, writes_case
from lambda_ir.evidence import Case
from lambda_ir.hunt.athena import QueryFailed
from lambda_ir.hunt.catalog import NotInCatalog
from lambda_ir.hunt.query import check_table
from lambda_ir.hunt.rules import LAMBDA_RULES, sigma_rules
from lambda_ir.hunt.run import HuntOptions, HuntSummary
from lambda_ir.hunt.run import hunt as run_hunt
from lambda_ir.respond.hunt_table import TableRequest

DEFAULT_TABLE = "lambda_ir.cloudtrail"


@click.command()
@case_option(help_text="The case folder to create or add the matching events to.")
@click.option(
    "--athena-workgroup",
    "workgroup",
    metavar="WG",
    help="Athena workgroup (required, except with --source cloudtrail-lake).",
)
@click.option(
    "--trail-table",
    metavar="DB.TABLE",
    help="The CloudTrail table to query (with --create-table: the table to create; "
    f"default {DEFAULT_TABLE}).",
)
@click.option(
    "--create-table",
    "create_location",
    metavar="S3URL",
    help="Plan the standard CloudTrail table (partition projection) over the trail at "
    "s3://bucket[/prefix]; it is created, before the hunt, only with --apply.",
)
@click.option(
    "--apply",
    is_flag=True,
    help="Create the table --create-table plans (plan and undo saved in the case); "
    "with --undo, drop it again.",
)
@click.option(
    "--undo",
    "undo_plan",
    metavar="PLAN",
    help="Show (with --apply: run) a table's undo plan, respond/<run>/undo.json.",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --undo --apply: drop the table and database even when they are not the ones "
    "the run made (dropped and made again since, by someone else).",
)
@click.option("--since", default="7d", show_default=True, metavar="WHEN", help="Window start.")
@click.option("--until", metavar="WHEN", help="Window end (default: now).")
@click.option(
    "--sigma",
    "sigma_dirs",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    multiple=True,
    metavar="DIR",
    help="Also push down the Sigma CloudTrail rules in this folder; repeatable.",
)
@click.option("--region", metavar="R", help="Athena's region (default: the session's).")
@click.option(
    "--source",
    type=click.Choice(SOURCES),
    default="athena",
    show_default=True,
    help="Where the CloudTrail is: a trail bucket's Athena table, Amazon Security Lake's OCSF "
    "table (through Athena), or a CloudTrail Lake event data store.",
)
@click.option(
    "--event-data-store",
    metavar="ARN|ID",
    help="With --source cloudtrail-lake: the event data store to query.",
)
@writes_case
def hunt(
    case_dir: str,
    workgroup: str,
    trail_table: str | None,
    create_location: str | None,
    since: str,
    until: str | None,
    sigma_dirs: tuple[Path, ...],
    region: str | None,
    apply: bool,
    undo_plan: str | None,
    force: bool = False,
    source: str = "athena",
    event_data_store: str | None = None,
) -> None:
    """Push the Lambda CloudTrail detectors' selections and the Sigma rules down to Athena.

    One query runs every rule over the trail table (several when the text would pass Athena's
    262,144-byte limit), pruned to the window's days (partition projection), and only the
    matching events come into the case (trail/<account>/athena/), where `index`, `analyze`
    and `timeline` use them like any CloudTrail. Prints the bytes Athena scanned and the cost
    estimate ($5 per TB, 10 MB minimum). Needs
    athena:StartQueryExecution, GetQueryExecution, GetQueryResults, GetDatabase,
    GetTableMetadata (a table not in the catalog is named before any query), Glue catalog read
    (and write with --create-table --apply), s3:ListBucket/GetObject on the trail and the
    workgroup's result bucket.

    Writes to AWS: only --create-table --apply (CREATE DATABASE / CREATE EXTERNAL TABLE in the
    Glue catalog; the plan and its undo, DROP TABLE, are saved under respond/ in the case;
    `--undo PLAN --apply` drops it). Without --apply the plan is printed and saved, nothing is
    created and no query runs. Athena writes each query's result file to the workgroup's S3
    output location: Athena's own bookkeeping, not a change to the resources investigated.

    --source security-lake runs the same rules over Amazon Security Lake's OCSF CloudTrail
    table through Athena (default table: Security Lake's own name in the region); --source
    cloudtrail-lake --event-data-store ARN|ID runs them as CloudTrail Lake SQL
    (cloudtrail:StartQuery, DescribeQuery, GetQueryResults; $0.005 per GB scanned). Matches
    go to trail/<account>/security-lake/ or cloudtrail-lake/; neither source writes to AWS.
    """
    ui = get_ui()
    if undo_plan:
        session = build_session(region=region)
        clients = ClientFactory(session)
        undo_table(ui, case_of(case_dir), clients, undo_plan, apply=apply, force=force)
        return
    if force:
        raise click.UsageError("--force goes with --undo PLAN --apply")
    if apply and not create_location:
        raise click.UsageError("--apply creates the table --create-table plans (or runs --undo)")
    if source != "athena":
        asked = SourceRequest(
            case_dir,
            source,
            workgroup,
            trail_table,
            event_data_store,
            *closed_window(since, until),
            sigma_dirs,
            region,
            create_location,
        )
        summary, titles = hunt_source(ui, asked)
        _show(ui, summary, titles, None)
        return
    if not workgroup:
        raise click.UsageError("Missing option '--athena-workgroup'.")
    if not trail_table and not create_location:
        raise click.UsageError("give --trail-table DB.TABLE or --create-table s3://bucket/prefix")
    if create_location and (not create_location.startswith("s3://") or len(create_location) <= 5):
        raise click.BadParameter(
            f"{create_location!r} is not s3://bucket[/prefix]", param_hint="--create-table"
        )
    table = trail_table or DEFAULT_TABLE
    try:
        check_table(table)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    start, end = closed_window(since, until)
    session = build_session(region=region)
    where = region or session.region_name
    if not where:
        raise click.UsageError("no region: pass --region R or set AWS_REGION")
    check_access(session, where)  # no credentials or no network: one line saying what to fix
    check_clock(session, where)  # a clock AWS refuses: one line, before the case is made
    sigma, unsupported = sigma_rules(sigma_dirs) if sigma_dirs else ([], [])
    options = HuntOptions(
        workgroup=workgroup,
        table=table,
        since=start,
        until=end,
        rules=(*LAMBDA_RULES, *sigma),
        region=where,
        unsupported=tuple(unsupported),
    )
    case = Case.open_or_create(Path(case_dir), {"hunt": {"table": table, "since": since}})
    made: dict[str, Any] | None = None
    if create_location:
        request = TableRequest(table, create_location, workgroup, where)
        go_on, made = make_table(ui, case, ClientFactory(session), request, apply=apply)
        if not go_on:
            return
    ui.say(
        f"Hunting {len(options.rules)} rules in {escape(table)} "
        f"from {start:%Y-%m-%d} to {end:%Y-%m-%d}"
    )
    try:
        summary = run_hunt(case, session, options)
    except NotInCatalog as exc:
        raise CommandError(
            f"{exc} (Athena's catalog in {where}); make it with --create-table "
            "s3://BUCKET[/prefix], the trail's bucket (the plan is shown; --apply creates it), "
            "or check --trail-table and --region"
        ) from exc
    except QueryFailed as exc:
        raise CommandError(str(exc)) from exc
    _show(ui, summary, {rule.id: rule.title for rule in options.rules}, made)


def _show(
    ui: Ui, summary: HuntSummary, titles: dict[str, str], table_plan: dict[str, Any] | None
) -> None:
    if not (ui.quiet or ui.json):
        table = Table(title="hunt", show_edge=False)
        table.add_column("rule")
        table.add_column("title")
        table.add_column("events", justify="right")
        for rule, count in summary.ingested.by_rule.items():
            short = rule if len(rule) <= 24 else rule[:23] + "…"
            # Rule ids and titles are text from files (Sigma rules): every control visible.
            table.add_row(inert(short), inert(titles.get(rule, "")), f"{count:,}")
        ui.console.print(table)
        for skipped in summary.unsupported:
            ui.say(
                f"not pushed down: {inert(skipped.title or skipped.id)}: {inert(skipped.reason)}"
            )
    document = summary.to_json() | ({"table_plan": table_plan} if table_plan else {})
    ui.result(summary.line(), document)
