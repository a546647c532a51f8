"""`lambda-ir hunt --source security-lake|cloudtrail-lake`: the same rules, elsewhere.

`hunt_source` checks the options a source needs (Security Lake: `--athena-workgroup`, the
table defaulting to Security Lake's own name in the region; CloudTrail Lake:
`--event-data-store`), opens the case and runs `hunt.security_lake` or `hunt.cloudtrail_lake`.
Both only read: neither creates a table, and CloudTrail Lake needs no workgroup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click
from botocore.exceptions import ClientError
from rich.markup import escape

from lambda_ir.aws import build_session
from lambda_ir.aws.clock import check_clock
from lambda_ir.cli.ui import CommandError, Ui
from lambda_ir.evidence import Case
from lambda_ir.hunt.athena import QueryFailed
from lambda_ir.hunt.cloudtrail_lake import LakeQueryOptions, hunt_cloudtrail_lake, store_id
from lambda_ir.hunt.query import check_table
from lambda_ir.hunt.rules import LAMBDA_RULES, sigma_rules
from lambda_ir.hunt.run import HuntOptions, HuntSummary
from lambda_ir.hunt.security_lake import default_table, hunt_security_lake

SOURCES = ("athena", "security-lake", "cloudtrail-lake")


@dataclass(frozen=True)
class SourceRequest:
    """What the command line asked of a non-Athena-table source."""

    case_dir: str
    source: str
    workgroup: str | None
    table: str | None
    event_data_store: str | None
    since: datetime
    until: datetime
    sigma_dirs: tuple[Path, ...]
    region: str | None
    create_location: str | None


def hunt_source(ui: Ui, request: SourceRequest) -> tuple[HuntSummary, dict[str, str]]:
    """Run the hunt on Security Lake or CloudTrail Lake; the summary and the rules' titles."""
    if request.create_location:
        raise click.UsageError("--create-table is for --source athena only")
    if request.source == "security-lake" and not request.workgroup:
        raise click.UsageError("--source security-lake needs --athena-workgroup")
    if request.source == "cloudtrail-lake" and not request.event_data_store:
        raise click.UsageError("--source cloudtrail-lake needs --event-data-store ARN|ID")
    session = build_session(region=request.region)
    where = request.region or session.region_name
    if not where:
        raise click.UsageError("no region: pass --region R or set AWS_REGION")
    try:
        table = check_table(request.table or default_table(where))
        store = store_id(request.event_data_store) if request.event_data_store else ""
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    check_clock(session, where)
    sigma, unsupported = sigma_rules(request.sigma_dirs) if request.sigma_dirs else ([], [])
    rules = (*LAMBDA_RULES, *sigma)
    titles = {rule.id: rule.title for rule in rules}
    where_from = table if request.source == "security-lake" else f"event data store {store}"
    case = Case.open_or_create(
        Path(request.case_dir), {"hunt": {"source": request.source, "from": where_from}}
    )
    ui.say(
        f"Hunting {len(rules)} rules in {escape(where_from)} "
        f"from {request.since:%Y-%m-%d} to {request.until:%Y-%m-%d}"
    )
    try:
        if request.source == "security-lake":
            options = HuntOptions(
                str(request.workgroup),
                table,
                request.since,
                request.until,
                rules,
                where,
                tuple(unsupported),
            )
            return hunt_security_lake(case, session, options), titles
        lake = LakeQueryOptions(
            str(request.event_data_store),
            request.since,
            request.until,
            rules,
            where,
            tuple(unsupported),
        )
        return hunt_cloudtrail_lake(case, session, lake), titles
    except QueryFailed as exc:
        raise CommandError(str(exc)) from exc
    except ClientError as exc:  # StartQuery refusing the statement, an unknown store…
        error = exc.response.get("Error", {})
        raise CommandError(f"{error.get('Code')}: {error.get('Message')}") from exc
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
