"""`lambda-ir collect --org-role ROLE`: the options and output of an organisation-wide run."""

from __future__ import annotations

import re
from typing import Any

import boto3
import click
from rich.markup import escape
from rich.table import Table

from lambda_ir.acquire import CollectOptions, Scope
from lambda_ir.acquire.org import OrgSummary, collect_org
from lambda_ir.acquire.org_accounts import OrgTarget
from lambda_ir.cli.ui import FC, CommandError, Ui, inert
from lambda_ir.evidence import Case

_ACCOUNT = re.compile(r"^\d{12}$")

ORG_OPTIONS = (
    click.option(
        "--org-role",
        metavar="ROLE",
        help="Fan out over an AWS Organization: assume this role name in each account.",
    ),
    click.option(
        "--accounts",
        metavar="ID,...",
        help="With --org-role: these account ids (comma-separated) instead of listing them.",
    ),
    click.option(
        "--all-accounts",
        is_flag=True,
        help="With --org-role: every ACTIVE account (organizations:ListAccounts).",
    ),
    click.option(
        "--external-id", metavar="X", help="With --org-role: the ExternalId the role's trust asks."
    ),
    click.option(
        "--account-workers",
        type=click.IntRange(1, 64),
        default=16,
        show_default=True,
        help="With --org-role: accounts collected at once (each has its own quotas).",
    ),
)


def org_options(command: FC) -> FC:
    """Apply the organisation options to `collect`."""
    for option in reversed(ORG_OPTIONS):
        command = option(command)
    return command


def org_target(chosen: dict[str, Any]) -> OrgTarget | None:
    """Pop the org options from `chosen`; the target, or None when --org-role was not given."""
    role = chosen.pop("org_role", None)
    accounts_text = chosen.pop("accounts", None)
    all_accounts = chosen.pop("all_accounts", False)
    external_id = chosen.pop("external_id", None)
    account_workers = chosen.pop("account_workers", 16)
    if role is None:
        if accounts_text or all_accounts or external_id:
            raise click.UsageError("--accounts, --all-accounts and --external-id need --org-role")
        return None
    if bool(accounts_text) == all_accounts:
        raise click.UsageError("--org-role needs either --accounts ID,... or --all-accounts")
    accounts = tuple(a.strip() for a in (accounts_text or "").split(",") if a.strip())
    bad = [a for a in accounts if not _ACCOUNT.fullmatch(a)]
    if bad:
        raise click.BadParameter(
            f"not 12-digit account ids: {', '.join(bad)}", param_hint="--accounts"
        )
    if not re.fullmatch(r"[\w+=,.@/-]{1,512}", role):
        raise click.BadParameter(f"{role!r} is not an IAM role name", param_hint="--org-role")
    return OrgTarget(
        role_name=role.strip("/"),
        accounts=tuple(dict.fromkeys(accounts)),
        external_id=external_id,
        account_workers=account_workers,
    )


def collect_organisation(
    ui: Ui,
    case: Case,
    session: boto3.Session,
    org: OrgTarget,
    scope: Scope,
    options: CollectOptions,
) -> None:
    """Run `collect_org` with progress bars per account-region, show the table, set the exit."""
    from lambda_ir.cli.collect import RegionProgress  # the one progress display of collect

    org = OrgTarget(
        org.role_name,
        org.accounts,
        org.external_id,
        f"lambda-ir-{case.id[:8]}",
        org.account_workers,
    )
    who = f"{len(org.accounts)} account(s)" if org.accounts else "every account of the organisation"
    ui.say(
        f"Collecting {escape(who)} × {len(scope.regions)} region(s) into {escape(str(case.root))}"
    )
    with RegionProgress(ui, ()) as progress:
        summary = collect_org(case, session, org, scope, options, progress)
    _show(ui, summary)
    if summary.interrupted:
        raise SystemExit(130)
    if not summary.ok or summary.crashed:  # a crashed account is a failed run, not only a gap
        raise SystemExit(1)
    entered = summary.collected
    if entered and all(run.asked_none_found for run in entered):  # as a single account's run
        missing = sorted({name for run in entered for name in run.missing_functions()})
        raise CommandError(
            "no function --function named exists in any account entered: "
            f"{', '.join(missing)} (a typo, or deleted?)"
        )


def _show(ui: Ui, summary: OrgSummary) -> None:
    if not (ui.quiet or ui.json):
        table = Table(title="collect --org-role", show_edge=False)
        for column in ("account", "regions", "functions", "artifacts", "failed calls", "seconds"):
            table.add_column(column, justify="left" if column == "account" else "right")
        for run in summary.runs:
            if run.summary is None:
                table.add_row(run.account, "-", "-", "-", f"gap: {inert(run.gap)}", "-")
                continue
            done = run.summary
            table.add_row(
                run.account,
                str(len(done.regions)),
                f"{done.functions:,}",
                f"{done.artifacts:,}",
                f"{len(done.errors):,}",
                f"{done.seconds:.1f}",
            )
        ui.console.print(table)
    ui.result(summary.line(), summary.to_json())
