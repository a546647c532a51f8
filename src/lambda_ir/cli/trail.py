"""`lambda-ir import-trail`, `index` and `search`: CloudTrail and logs, offline."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from lambda_ir import sanitize
from lambda_ir.cli.ui import (
    CommandError,
    case_option,
    get_ui,
    inert,
    writes_case,
    writes_existing_case,
)
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import build_index, summarize
from lambda_ir.evidence.search import (
    TARGETS,
    SearchError,
    build_query,
    indicator_queries,
    search_all,
)
from lambda_ir.evidence.search_where import read_indicators
from lambda_ir.evidence.trail import import_trail as run_import
from lambda_ir.report.listing import counted


@click.command("import-trail")
@case_option(help_text="The case folder (created when it does not exist).")
@click.option("--workers", type=click.IntRange(1, 64), help="Processes (default: one per core).")
@click.option("--no-index", is_flag=True, help="Do not rebuild case.duckdb after importing.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@writes_case
def import_trail(
    case_dir: str, workers: int | None, no_index: bool, paths: tuple[Path, ...]
) -> None:
    """Import local CloudTrail files (Records JSON, .json.gz, JSON lines, arrays, folders).

    No AWS access is needed: each file's records are stored in the case as
    trail/import/<sha>/<name>.jsonl.zst, bad input (truncated gzip, invalid JSON, non-UTF-8,
    oversized documents) is skipped and recorded as a warning, then the index is rebuilt.
    CloudTrail digest files are ignored. Exit code 1 when not one record was imported: a
    run that read only bad files is not a case ready to analyze.
    """
    ui = get_ui()
    case = Case.open_or_create(Path(case_dir), {"source": "import-trail"})
    summary = run_import(case, paths, workers=workers)
    for result in summary.files:
        for problem in result.problems:
            ui.say(
                f"[yellow]warning[/] {escape(sanitize.field(result.source))}: "
                f"{escape(sanitize.field(problem))}"
            )
    events = None
    if not no_index:  # the skipped files' warnings go into the index's ingest_warnings too
        events = summarize(build_index(case)).rows["trail_events"]
    text = (
        f"imported {counted(summary.records, 'record')} from "
        f"{counted(len(summary.files), 'file')} ({summary.skipped} skipped, "
        f"{counted(summary.warnings, 'warning')}, "
        f"{len(summary.ignored)} digest/hidden files ignored)"
    )
    if not summary.records:
        # Before, this exited 0: a file of the wrong kind read as an import done, and
        # analyze then found nothing. The warnings above say why each file gave nothing.
        raise CommandError(f"nothing imported: {text.removeprefix('imported ')}")
    if events is not None:
        text += f"; {counted(events, 'unique event')} in {case.root / 'case.duckdb'}"
    ui.result(
        text,
        {
            "case": str(case.root),
            "files": len(summary.files),
            "records": summary.records,
            "skipped_files": summary.skipped,
            "warnings": summary.warnings,
            "ignored": list(summary.ignored),
            "unique_events": events,
            "problems": [
                {"source": r.source, "problem": p} for r in summary.files for p in r.problems
            ],
        },
    )


@click.command()
@case_option()
@click.option("--threads", type=click.IntRange(1, 256), help="DuckDB threads (default: cores).")
@writes_existing_case
def index(case_dir: str, threads: int | None) -> None:
    """Build case.duckdb, the queryable index, from the evidence files (rebuildable).

    Tables: trail_events, log_events, report_lines, functions, versions, aliases, policies,
    urls, event_sources, layers, roles, role_policies, code_files, manifest,
    ingest_warnings. Deleting case.duckdb and running this again gives the same tables.
    """
    ui = get_ui()
    case = Case.open(Path(case_dir))
    summary = summarize(build_index(case, threads=threads))
    lines = [f"{summary.path}"] + [
        f"  {name:<16} {count:>10}" for name, count in summary.rows.items() if name != "index_meta"
    ]
    ui.result("\n".join(lines), {"path": str(summary.path), "rows": summary.rows})


@click.command()
@case_option()
@click.argument("pattern", required=False)
@click.option(
    "--in",
    "targets",
    default=",".join(TARGETS),
    show_default=True,
    help="Where to look, comma-separated: logs, trail, config, code.",
)
@click.option(
    "--ioc",
    "iocs",
    multiple=True,
    metavar="FILE|VALUE",
    help="Indicators: a file (one a line, # comments, [.] refanged) or one value; repeatable. "
    "Matched as literals ignoring case; a SHA-256 also matches a package or a file in one.",
)
@click.option("-F", "--fixed-strings", is_flag=True, help="PATTERN is a literal, not a regex.")
@click.option("-i", "--ignore-case", is_flag=True, help="Match regardless of case.")
@click.option(
    "--limit",
    default=1000,
    show_default=True,
    type=click.IntRange(1),
    help="Stop after this many hits in each place searched (logs, trail, config, code).",
)
def search(
    case_dir: str,
    pattern: str | None,
    targets: str,
    iocs: tuple[str, ...],
    fixed_strings: bool,
    ignore_case: bool,
    limit: int,
) -> None:
    """Search logs, CloudTrail, configuration and code for a regex or literal.

    Logs and CloudTrail are searched in case.duckdb (built first if missing); code is read
    from the packages in blobs/ in memory, nested zips included, within one read budget a
    package (files it leaves unread are named in a warning). Each hit line is
    TARGET, WHERE, LOCATOR (time and event, or line), MATCHED (the pattern or indicator),
    and the matching text (secrets redacted). WHERE is the evidence file, or for code the
    function versions running the package (account/region/name:version) !file inside.
    The regex dialect is RE2 (no look-around or back-references).
    """
    ui = get_ui()
    chosen = [t.strip() for t in targets.split(",") if t.strip()]
    unknown = sorted(set(chosen) - set(TARGETS))
    if unknown:  # usage errors (exit 2), before the case is read
        raise click.BadParameter(
            f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}",
            param_hint="--in",
        )
    if pattern is None and not iocs:
        raise click.UsageError("give a PATTERN, an --ioc FILE|VALUE, or both")
    case = Case.open(Path(case_dir))
    try:
        queries = (
            [build_query([pattern], literal=fixed_strings, ignore_case=ignore_case)]
            if pattern
            else []
        )
        if iocs:
            notes: list[str] = []
            indicators = read_indicators(iocs, notes)
            for note in notes:  # a missing list searched as its name: said before the hits
                ui.say(f"[yellow]warning[/] {inert(note)}")
            queries += indicator_queries(indicators.values, indicators.hashes)
        found = search_all(case, queries, chosen, limit)
    except (SearchError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    hits = found.hits
    ui.result(
        "\n".join(h.line() for h in hits),
        {
            "hits": [h.to_json() for h in hits],
            "limit_reached": list(found.cut),
            "unread": list(found.unread),
        },
    )
    for note in found.unread:  # a package's read budget ran out: those files were not searched
        ui.say(f"[yellow]warning[/] not searched: {inert(note)}")
    cut = ", ".join(found.cut)
    ui.say(
        f"{len(hits)} hit(s)" + (f" (limit of {limit} reached in {cut}: raise --limit)" * bool(cut))
    )
