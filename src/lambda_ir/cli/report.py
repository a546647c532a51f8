"""`lambda-ir timeline` and `report`: the story, for people and for tools."""

from __future__ import annotations

from pathlib import Path

import click

from lambda_ir.acquire.window import is_relative, parse_when
from lambda_ir.cli.ui import case_option, get_ui, inert, writes_existing_case
from lambda_ir.evidence import Case
from lambda_ir.evidence.custody import utc_now
from lambda_ir.evidence.index import open_index
from lambda_ir.heap import collector_paused
from lambda_ir.report import listing, write_report
from lambda_ir.report.write import FORMATS as REPORT_FORMATS
from lambda_ir.timeline import write_timeline
from lambda_ir.timeline.filters import SOURCES, FilterError, make_filter
from lambda_ir.timeline.write import FORMATS

# DuckDB's share of a report or timeline: sorting a million trail events for the page took
# 740 MB at once; within this it spills to the case's scratch folder.
INDEX_MEMORY = "256MB"


@click.command()
@case_option()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl: Timesketch-importable JSON lines; csv: one row per event.",
)
@click.option(
    "--since",
    metavar="TIME",
    help="Only events at or after TIME (ISO-8601, UTC; or 7d, 36h, 30m ago).",
)
@click.option(
    "--until",
    metavar="TIME",
    help="Only events at or before TIME (a date: that day; or 7d, 36h, 30m ago).",
)
@click.option(
    "--function",
    "functions",
    multiple=True,
    metavar="NAME|ARN",
    help="Only events about this function (repeatable); an ARN keeps its account and region.",
)
@click.option(
    "--actor",
    "actors",
    multiple=True,
    metavar="ARN|NAME|KEY",
    help="Only events by this principal: its ARN, part of it, or an access key id (repeatable).",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Choice(SOURCES),
    help="Only events from this source (repeatable).",
)
@writes_existing_case
def timeline(
    case_dir: str,
    fmt: str,
    since: str | None,
    until: str | None,
    functions: tuple[str, ...],
    actors: tuple[str, ...],
    sources: tuple[str, ...],
) -> None:
    """Merge every evidence kind into one UTC timeline (Timesketch-ready JSON lines or CSV).

    Events: CloudTrail calls, version and configuration changes (LastModified, code-hash
    changes between versions), alias state, invocations summarised per request, log errors
    and timeouts, runtime snapshots and dated findings. Each carries source, kind, resource,
    actor, a one-line redacted message, its evidence path, and fields to pivot on: account,
    region, function, version, source_ip, access_key_id, event_id. The filters narrow the
    file to a window, functions, actors or sources. Builds the case index first if it is
    missing or stale; writes timeline.jsonl or timeline.csv into the case.
    """
    ui = get_ui()
    try:
        only = make_filter(_ago(since), _ago(until), functions, actors, sources)
    except FilterError as exc:
        raise click.BadParameter(str(exc)) from exc
    case = Case.open(Path(case_dir))
    # the collector off, then what is alive frozen: the command ends with it (`heap`)
    with open_index(case, memory_limit=INDEX_MEMORY) as index, collector_paused(freeze=True):
        result = write_timeline(case, index, fmt, only)
    for warning in result.warnings:
        ui.say(f"[yellow]warning[/] {inert(warning)}")
    kept = f" (of {result.total})" if only.active else ""
    ui.result(
        f"{result.events} events{kept} -> {result.path}",
        {
            "path": str(result.path),
            "events": result.events,
            "total": result.total,
            "sha256": result.sha256,
            "warnings": list(result.warnings),
        },
    )


def _ago(text: str | None) -> str | None:
    """A time ago (`7d`, as `collect --since` takes it) as the UTC time it names, by this
    machine's clock; a date or time as given (`make_filter` reads it)."""
    return parse_when(text) if text and is_relative(text) else text


@click.command()
@case_option()
@click.option(
    "--format",
    "formats",
    default=",".join(REPORT_FORMATS),
    show_default=True,
    metavar="LIST",
    help="Comma-separated outputs: html (report.html), md (report.md), sarif (findings.sarif), "
    "ocsf (findings.ocsf.jsonl), csv (findings.csv), stix (indicators.stix.json), "
    "txt (indicators.txt).",
)
@writes_existing_case
def report(case_dir: str, formats: str) -> None:
    """Write the report and its exports into the case (by default every format).

    report.html is one self-contained page (Chart.js bundled, no network, a strict
    Content-Security-Policy). Its first screen says which functions are compromised or
    exposed, by whom (principal, access key id, session), from which addresses, since when,
    and what to do now: a checklist whose steps carry the complete `lambda-ir contain`
    command (a plan until --apply), and the indicators (also exported as indicators.txt and
    a STIX 2.1 bundle). Then the executive summary, findings with filters, an interactive
    timeline (the collector's own API calls left out), every function's versions, code
    diffs, configuration, policies, URL, triggers and role, most at risk first, and what
    could not be collected. Reads findings.json and incidents.json (run `analyze` first)
    and the index; secret values are redacted in every output.
    """
    ui = get_ui()
    chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
    unknown = [f for f in chosen if f not in REPORT_FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown format {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(REPORT_FORMATS)}",
            param_hint="--format",
        )
    case = Case.open(Path(case_dir))
    # the collector off, then what is alive frozen: the command ends with it (`heap`)
    with open_index(case, memory_limit=INDEX_MEMORY) as index, collector_paused(freeze=True):
        result = write_report(case, index, utc_now(), chosen)
    for warning in result.warnings:
        ui.say(f"[yellow]warning[/] {inert(warning)}")
    lines = [f"{path}  sha256 {result.outputs[path.name]}" for path in result.paths]
    facts = result.facts
    lines.append(
        f"{listing.counted(len(facts.findings), 'finding')}, "
        f"{listing.counted(facts.events_total, 'timeline event')} "
        f"({facts.hidden} of the collector's own calls left out of the report), "
        f"{listing.counted(len(facts.functions), 'function')}, "
        f"{listing.counted(len(facts.missing), 'collection gap')}"
    )
    ui.result(
        "\n".join(lines),
        {
            "outputs": {str(p): result.outputs[p.name] for p in result.paths},
            "findings": len(facts.findings),
            "events": facts.events_total,
            "hidden": facts.hidden,
            "functions": len(facts.functions),
            "gaps": len(facts.missing),
            "absent": len(facts.absent),
            "warnings": list(result.warnings),
        },
    )
