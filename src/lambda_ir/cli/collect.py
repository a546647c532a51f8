"""`lambda-ir collect`: acquire evidence from AWS into a case (its options serve `investigate`)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import click
import orjson
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lambda_ir.acquire import CollectOptions, CollectSummary, Scope, iam_policy
from lambda_ir.acquire import collect as collect_case
from lambda_ir.acquire.context import DEFAULT_SINCE
from lambda_ir.acquire.inventory import enabled_regions, regions_of
from lambda_ir.acquire.window import parse_when
from lambda_ir.aws import build_session
from lambda_ir.cli import preflight
from lambda_ir.cli.collect_org import collect_organisation, org_options, org_target
from lambda_ir.cli.ui import FC, CommandError, Ui, case_option, get_ui, writes_case
from lambda_ir.cli.window import default_window, window_lines
from lambda_ir.evidence import Case

# The options `collect` and `investigate` share: scope, window, pacing, buckets.
COLLECT_OPTIONS = (
    click.option(
        "--region", "regions", multiple=True, metavar="R", help="Region to collect (repeatable)."
    ),
    click.option("--all-regions", is_flag=True, help="Every region enabled for the account."),
    click.option(
        "--function",
        "functions",
        multiple=True,
        metavar="NAME|ARN",
        help="Limit to these functions.",
    ),
    click.option(
        "--since",
        metavar="WHEN",
        help="Start of the logs/CloudTrail window (7d, 2026-11-20). Without --since and "
        f"--until: the last {DEFAULT_SINCE} (a resumed case: its first window).",
    ),
    click.option(
        "--no-logs",
        is_flag=True,
        help="Do not collect the functions' CloudWatch logs (CloudTrail is still read).",
    ),
    click.option(
        "--until", metavar="WHEN", help="End of the logs/CloudTrail window (default: now)."
    ),
    click.option(
        "--baseline",
        metavar="WHEN",
        help="Also read the Lambda CloudTrail history from WHEN (90d: LookupEvents' limit) up "
        "to --since, so analysis learns the account's usual principals, networks, tools and "
        "hours (read-only).",
    ),
    click.option(
        "--workers",
        type=click.IntRange(1, 256),
        default=16,
        show_default=True,
        help="Concurrent calls per region and quota class at most; all regions together "
        f"use at most {CollectOptions.max_threads} threads (1: one call at a time).",
    ),
    click.option(
        "--max-package-mb",
        type=click.FloatRange(0),
        default=512.0,
        show_default=True,
        help="Skip (and record) code or layer packages larger than this.",
    ),
    click.option(
        "--with-images",
        is_flag=True,
        help="Also download container images' config and layer blobs from ECR "
        "(ecr:GetDownloadUrlForLayer), each checked against its digest and capped by "
        "--max-package-mb; never unpacked.",
    ),
    click.option(
        "--no-pacing",
        is_flag=True,
        help="Do not pace calls at Lambda's quotas (rely on retries alone).",
    ),
    click.option(
        "--trail-bucket",
        metavar="S3URL",
        callback=lambda _ctx, _param, value: _s3_url(value),
        help="Also read the trail's files from s3://bucket[/prefix] for the window (faster than "
        "LookupEvents for long windows).",
    ),
    click.option(
        "--log-export-bucket",
        metavar="S3URL",
        callback=lambda _ctx, _param, value: _s3_url(value),
        help="Export each function's log group over the window to s3://bucket[/prefix] "
        "(logs:CreateExportTask, the one call that creates something) and read it back.",
    ),
    click.option(
        "--runtime-bucket",
        metavar="S3URL",
        callback=lambda _ctx, _param, value: _s3_url(value),
        help="Also read the runtime collector's snapshots from s3://bucket[/prefix] "
        "(see `runtime attach`), each checked against its manifest's SHA-256.",
    ),
)


def collect_options(command: FC) -> FC:
    """Apply every collect option to a command (used by `collect` and `investigate`)."""
    for option in reversed(COLLECT_OPTIONS):
        command = option(command)
    return command


@click.command()
@case_option(required=False, help_text="The case folder to create or resume.")
@collect_options
@click.option(
    "--print-iam-policy",
    is_flag=True,
    help="Print the least-privilege IAM policy the collector needs, and exit.",
)
@org_options
@writes_case
def collect(case_dir: str | None, print_iam_policy: bool, **chosen: Any) -> None:
    """Collect every piece of Lambda evidence, read-only, into the case.

    Functions, every version's configuration and code, layers, aliases, policies per
    qualifier, URLs, triggers and the execution role; and over a window (--since/--until;
    without them the last 14 days, said in the output and in custody) each function's logs
    (unless --no-logs) and CloudTrail (LookupEvents, or --trail-bucket); a resumed case
    keeps the window of its first collection unless given one. Credentials come
    from the standard boto3 chain (AWS_PROFILE, SSO, AWS_ENDPOINT_URL). Running it again on
    the same case fills the gaps. Exit 0 when the run finished (failed calls are recorded in
    the manifest), 1 when nothing could be collected, 130 when interrupted.

    With --org-role ROLE it fans out over an AWS Organization: every listed (--accounts) or
    every active account (--all-accounts, organizations:ListAccounts) is entered with
    sts:AssumeRole and collected at once into this one case; an account that cannot be
    entered is recorded as an evidence gap.
    """
    ui = get_ui()
    if print_iam_policy:
        click.echo(orjson.dumps(iam_policy(), option=orjson.OPT_INDENT_2).decode())
        return
    if not case_dir:
        raise click.UsageError("Missing option '--case'.")
    org = org_target(chosen)  # pops the org options; None without --org-role
    case, session, scope, options = prepare_collection(case_dir, **chosen)
    for line in window_lines(scope):
        ui.say(escape(line))
    if org is not None:
        collect_organisation(ui, case, session, org, scope, options)
        return
    regions = escape(", ".join(scope.regions))  # named: a region taken from the profile too
    ui.say(f"Collecting {len(scope.regions)} region(s) ({regions}) into {escape(str(case.root))}")
    with RegionProgress(ui, scope.regions) as progress:
        summary = collect_case(case, session, scope, options, progress)
    _show(ui, summary)
    if summary.interrupted:
        raise SystemExit(130)
    if not summary.ok:
        raise SystemExit(1)
    if summary.asked_none_found:
        raise CommandError(
            "no function --function named exists: "
            f"{', '.join(summary.missing_functions())} (a typo, or deleted?)"
        )


def prepare_collection(
    case_dir: str,
    *,
    regions: tuple[str, ...],
    all_regions: bool,
    functions: tuple[str, ...],
    since: str | None,
    until: str | None,
    workers: int,
    max_package_mb: float,
    with_images: bool,
    no_pacing: bool,
    trail_bucket: str | None,
    log_export_bucket: str | None,
    runtime_bucket: str | None = None,
    baseline: str | None = None,
    no_logs: bool = False,
) -> tuple[Case, boto3.Session, Scope, CollectOptions]:
    """Build the session (boto3 chain), the scope and the options; open or create the case.

    Bad input (a region that is no region, an impossible or inverted window, no or refused
    credentials, an unreachable endpoint) is refused first, before the case is touched.
    """
    session = build_session()
    named = preflight.check_regions((*regions, *regions_of(functions)))
    since, until, since_default = default_window(Path(case_dir), since, until)
    now = datetime.now(UTC)  # one reading for every relative time of the run (and 90 days)
    start, end = preflight.window(since, until, now)
    preflight.check_access(session, (*named, session.region_name or "us-east-1")[0])
    scope = Scope(
        regions=_regions(session, regions, all_regions, functions),
        functions=functions,
        since=start,
        until=end,
        baseline=preflight.when(baseline, "--baseline", now),
        logs=not no_logs,
        since_default=since_default,
        resolved_at=parse_when("0s", now),
    )
    case = Case.open_or_create(Path(case_dir), scope.to_json())
    options = CollectOptions(
        workers=workers,
        max_package_mb=max_package_mb,
        quotas=not no_pacing,
        trail_bucket=trail_bucket,
        log_export_bucket=log_export_bucket,
        runtime_bucket=runtime_bucket,
        with_images=with_images,
    )
    return case, session, scope, options


def _regions(
    session: object, regions: tuple[str, ...], all_regions: bool, functions: tuple[str, ...]
) -> tuple[str, ...]:
    chosen = list(dict.fromkeys((*regions, *regions_of(functions))))
    if all_regions:
        chosen += [r for r in enabled_regions(session) if r not in chosen]
    if not chosen:
        default = getattr(session, "region_name", None)
        if not default:
            raise click.UsageError("no region: pass --region R, --all-regions or set AWS_REGION")
        chosen = [default]
    return tuple(chosen)


def _s3_url(value: str | None) -> str | None:
    if value is not None and (not value.startswith("s3://") or len(value) <= 5):
        raise click.BadParameter(f"{value!r} is not s3://bucket[/prefix]")
    return value


class RegionProgress:
    """One progress bar per region (calls done of calls known so far), on stderr."""

    def __init__(self, ui: Ui, regions: tuple[str, ...]) -> None:
        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=ui.console,
            disable=ui.quiet or ui.json,
            transient=True,
        )
        self._lock = threading.Lock()
        self._regions = regions
        self._tasks: dict[str, object] = {}

    def __enter__(self) -> RegionProgress:
        self._bar.__enter__()
        for region in self._regions:
            self._tasks[region] = self._bar.add_task(escape(region), total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)

    def update(self, region: str, done: int, total: int) -> None:
        """Called by the collector's worker threads as calls finish."""
        with self._lock:
            task = self._tasks.get(region)
            if task is None:
                task = self._tasks[region] = self._bar.add_task(escape(region), total=None)
        self._bar.update(task, completed=done, total=total)  # type: ignore[arg-type]


def _show(ui: Ui, summary: CollectSummary) -> None:
    if not (ui.quiet or ui.json):
        table = Table(title="collect", show_edge=False)
        table.add_column("what")
        table.add_column("count", justify="right")
        for kind, count in sorted(summary.by_kind.items()):
            table.add_row(f"artifacts: {kind}", f"{count:,}")
        for error_class, count in sorted(summary.error_counts().items()):
            table.add_row(f"failed calls: {error_class.value}", f"{count:,}")
        for quota, count in sorted(summary.meter.by_class().items()):
            table.add_row(f"requests: {quota.value}", f"{count:,}")
        table.add_row("throttled responses (retried)", f"{summary.meter.throttled:,}")
        table.add_row("package bytes downloaded", f"{summary.downloaded_bytes:,}")
        table.add_row("seconds", f"{summary.seconds:.1f}")
        ui.console.print(table)
        for advice in summary.advice:  # e.g. LookupEvents so long the trail bucket is faster
            ui.console.print(f"advice: {escape(advice)}", soft_wrap=True)  # one line, as say
    ui.result(summary.line(), summary.to_json())
