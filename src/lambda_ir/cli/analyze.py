"""`lambda-ir analyze` and `diff`: detectors over a case, and version comparison."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import click
import yara_x
from rich.markup import escape

from lambda_ir import sanitize
from lambda_ir.analyze.caseview import AnalyzeOptions, CaseView
from lambda_ir.analyze.detectors import ALL
from lambda_ir.analyze.diff import DiffError, diff_document, diff_versions, render_diff
from lambda_ir.analyze.engine import AnalysisResult, analyze_case
from lambda_ir.analyze.incidents import INCIDENTS_FILE
from lambda_ir.analyze.options import build_options
from lambda_ir.analyze.yara_scan import compile_rules
from lambda_ir.cli.ui import (
    FC,
    CommandError,
    Ui,
    case_option,
    get_ui,
    writes_existing_case,
)
from lambda_ir.evidence import Case
from lambda_ir.heap import collector_paused
from lambda_ir.model import Finding, FunctionRef, Severity
from lambda_ir.report import listing

_DIR = click.Path(exists=True, file_okay=False, path_type=Path)
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


# The options `analyze` and `investigate` share: rules, IOCs, allow-list.
ANALYZE_OPTIONS = (
    click.option(
        "--yara",
        "yara_dirs",
        type=_DIR,
        multiple=True,
        metavar="DIR",
        help="A folder of YARA rules (.yar/.yara) to add to the bundled ones; repeatable.",
    ),
    click.option(
        "--sigma",
        "sigma_dirs",
        type=_DIR,
        multiple=True,
        metavar="DIR",
        help="A folder of Sigma CloudTrail rules (.yml) to run on the trail; repeatable.",
    ),
    click.option(
        "--ioc",
        "ioc_files",
        type=_FILE,
        multiple=True,
        metavar="FILE",
        help="An IOC list (SHA-256 hashes, domains, IPs; one a line); repeatable.",
    ),
    click.option(
        "--allow",
        "allow_file",
        type=_FILE,
        metavar="FILE",
        help="Allow-list: trusted account ids and allowed names, one a line.",
    ),
)


def analyze_options(command: FC) -> FC:
    """Apply every analyze option to a command (used by `analyze` and `investigate`)."""
    for option in reversed(ANALYZE_OPTIONS):
        command = option(command)
    return command


def prepare_analysis(
    ui: Ui,
    yara_dirs: tuple[Path, ...],
    sigma_dirs: tuple[Path, ...],
    ioc_files: tuple[Path, ...],
    allow_file: Path | None,
) -> AnalyzeOptions:
    """Check the responder's rule folders up front, say what Sigma could not compile."""
    try:
        compile_rules(yara_dirs)  # a responder's broken rule is an error, not a silent no-op
    except yara_x.CompileError as exc:
        raise CommandError(f"a --yara rule does not compile: {exc}") from exc
    if sigma_dirs:
        from lambda_ir.analyze.sigma.rules import load_rules  # pySigma: only when asked for

        compiled, unsupported = load_rules(sigma_dirs)
        ui.say(f"sigma: {len(compiled)} rules compiled, {len(unsupported)} unsupported")
        for rule in unsupported:
            ui.say(f"  unsupported: {_field(rule.path)}: {_field(rule.reason)}")
    return build_options(yara_dirs, sigma_dirs, ioc_files, allow_file)


class FindingsAtOrAbove(click.ClickException):
    """`--fail-on`: findings at or above the given severity, exit code 4 (for automation)."""

    exit_code = 4


@click.command()
@case_option()
@analyze_options
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    metavar="SEVERITY",
    help="Exit with code 4 when a finding is at least this severe "
    "(info, low, medium, high, critical); findings.json is written either way.",
)
@click.option(
    "--attached-in",
    "attached_in",
    type=_DIR,
    multiple=True,
    metavar="CASE",
    help="Another case of yours in which `runtime attach --apply` ran: the collector layer it "
    "recorded (ARN and CodeSha256) is lambda-ir's own here too; repeatable.",
)
@writes_existing_case
def analyze(
    case_dir: str,
    yara_dirs: tuple[Path, ...],
    sigma_dirs: tuple[Path, ...],
    ioc_files: tuple[Path, ...],
    allow_file: Path | None,
    fail_on: str | None,
    attached_in: tuple[Path, ...] = (),
) -> None:
    """Run every detector over the case, offline, and write findings.json.

    Reads only the case folder (never AWS). Each finding cites the evidence it came from
    (path and SHA-256 in the case); secret values are redacted. A detector that crashes is
    reported as a warning and the others still run; detectors whose evidence the case lacks
    are listed as not run. The run is recorded in the case's chain of custody.
    """
    ui = get_ui()
    case = Case.open(Path(case_dir))
    options = prepare_analysis(ui, yara_dirs, sigma_dirs, ioc_files, allow_file)
    for other in attached_in:
        if not (other / "custody.jsonl").is_file():
            raise CommandError(f"--attached-in {other}: not a case folder (no custody.jsonl)")
    options = dataclasses.replace(options, attached_in=tuple(attached_in))
    # Python's cyclic collector stays off while the findings are alive (`collector_paused`):
    # with 100k+ of them each of its passes over the summary's allocations cost 0.25 s.
    with collector_paused(freeze=True):  # the command ends with it: nothing left to walk
        result, target = analyze_case(case, ALL, options)
        for problem in result.warnings:
            reason = _field(problem.reason)
            ui.say(f"[yellow]warning[/]: detector {problem.detector} failed: {reason}")
        if ui.json:  # one form only: a million-event case has 100k+ findings to serialise
            ui.result("", _document(result, target))
        else:
            ui.result(_summary(result, target), None)
        for line in function_table(result.findings):
            ui.say(line)
    if fail_on:
        floor = Severity(fail_on)
        hits = sum(f.severity.rank >= floor.rank for f in result.findings)
        if hits:
            raise FindingsAtOrAbove(
                f"{listing.counted(hits, 'finding')} at or above {floor.value} (--fail-on)"
            )


def incident_lines(result: AnalysisResult, case_root: Path, limit: int = 10) -> list[str]:
    """The terminal's lead: incidents of low severity or worse, most important first, with
    what was new against the baseline and the containment `contain --incident` proposes.

    Up to `limit` of them, then how many more incidents.json holds (info ones included):
    without that line the first ten of 23 read as all there were."""
    serious = sum(i.severity.rank >= Severity.MEDIUM.rank for i in result.incidents)
    lines = [
        f"{listing.counted(len(result.incidents), 'incident')} ({serious} medium or worse) -> "
        f"{case_root / INCIDENTS_FILE}"
    ]
    shown = [i for i in result.incidents if i.severity.rank >= Severity.LOW.rank][:limit]
    for incident in shown:
        title = sanitize.field(incident.title)
        lines.append(f"  {incident.severity.value:<8} {incident.id}  {title}")
        if incident.new_against_baseline:
            new = sanitize.field("; ".join(incident.new_against_baseline[:4]))
            lines.append(f"           new: {new}")
        if incident.actions:
            command = sanitize.shell_command(
                "lambda-ir", "contain", "--case", case_root, "--incident", incident.id
            )
            actions = sanitize.field(", ".join(incident.actions))
            lines.append(f"           contain: {command}  ({actions})")
    if left_out := len(result.incidents) - len(shown):
        lines.append(f"  {listing.more(left_out, f'{INCIDENTS_FILE} has them all')}")
    return lines


LISTED = 100  # findings the terminal lists, most severe first; findings.json has them all


def _summary(result: AnalysisResult, target: Path) -> str:
    counts = ", ".join(f"{n} {sev}" for sev, n in result.counts().items())
    lines = incident_lines(result, target.parent)
    lines.append(f"{listing.counted(len(result.findings), 'finding')} ({counts}) -> {target}")
    for finding in result.findings[:LISTED]:
        resource, summary = sanitize.field(finding.resource), sanitize.field(finding.summary)
        lines.append(f"  {finding.severity.value:<8} {finding.detector:<12} {resource}")
        lines.append(f"           {summary}")
    if len(result.findings) > LISTED:
        lines.append(f"  … and {len(result.findings) - LISTED} more in {target}")
    if result.skipped:
        lines.append(
            "not run (no evidence): "
            + ", ".join(f"{p.detector} ({p.reason})" for p in result.skipped)
        )
    if result.warnings:
        lines.append("failed: " + ", ".join(p.detector for p in result.warnings))
    return "\n".join(lines)


TABLE_ROWS = 10  # functions with only low or info findings listed up to this many rows
TABLE_MAX = 30  # and no more rows in all: a million-event case had 3,600 functions to list
_COLOURS = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def function_table(findings: Sequence[Finding]) -> list[str]:
    """The closing summary, per function (worst first): its worst severity and the counts.
    Functions with only low or info findings take up to TABLE_ROWS rows, all of them up to
    TABLE_MAX; the rest are counted (findings.json has every one).

    Rich markup (colours only when stderr is a terminal); the function names are escaped.
    """
    by_resource: dict[str, list[Finding]] = {}
    for finding in findings:  # each distinct resource parsed once, not each finding's
        by_resource.setdefault(finding.resource, []).append(finding)
    by_function: dict[str, list[Finding]] = {}
    for resource, found in by_resource.items():
        try:
            ref = FunctionRef.from_arn(resource)
        except ValueError:
            continue
        by_function.setdefault(FunctionRef(ref.account, ref.region, ref.name).arn, []).extend(found)
    if not by_function:
        return []
    worst = {
        arn: max((f.severity for f in found), key=lambda s: s.rank)
        for arn, found in by_function.items()
    }
    rows = sorted(by_function, key=lambda arn: (-worst[arn].rank, -len(by_function[arn]), arn))
    lines = ["per function, worst first:"]
    serious = quiet = 0
    for arn in rows:
        medium = worst[arn].rank >= Severity.MEDIUM.rank
        if len(lines) > TABLE_MAX or (not medium and len(lines) > TABLE_ROWS):
            serious, quiet = serious + medium, quiet + (not medium)
            continue
        found = by_function[arn]
        counts = ", ".join(
            f"{n} {s.value}"
            for s in reversed(Severity)
            if (n := sum(f.severity == s for f in found))
        )
        ref = FunctionRef.from_arn(arn)
        where = f"{ref.name} {ref.region}/{ref.account}"
        colour = _COLOURS[worst[arn].value]
        lines.append(f"  [{colour}]{worst[arn].value:<8}[/] {_field(where)}: {counts}")
    if serious:
        lines.append(f"  … and {serious} more functions with medium or worse findings")
    if quiet:
        lines.append(f"  … and {quiet} more functions with only low or info findings")
    return lines


def _field(value: object) -> str:
    """A value from the case or a rule file, for a rich-markup line: inert and unstyled."""
    return escape(sanitize.field(value))


def _document(result: AnalysisResult, target: Path) -> dict[str, object]:
    return {
        "findings_file": str(target),
        "counts": result.counts(),
        "incidents": [i.to_json() for i in result.incidents],
        "findings": [f.to_json() for f in result.findings],
        "ran": list(result.ran),
        "skipped": [p.__dict__ for p in result.skipped],
        "warnings": [p.__dict__ for p in result.warnings],
    }


@click.command()
@case_option()
@click.argument("function")
@click.argument("a")
@click.argument("b")
def diff(case_dir: str, function: str, a: str, b: str) -> None:
    """Show what changed in FUNCTION's code and configuration between qualifiers A and B.

    FUNCTION is a name or an ARN; A and B are version numbers, $LATEST or alias names. Lists
    files added, removed and changed with unified diffs of text files (secrets redacted),
    configuration changes, and the CloudTrail call that uploaded B's code and set its
    configuration (actor, source IP, user agent, time) when the trail has it. Reads only
    the case; packages are read in memory and never extracted or run.
    """
    ui = get_ui()
    view = CaseView(Case.open(Path(case_dir)))
    try:
        result = diff_versions(view, function, a, b)
    except DiffError as exc:
        raise CommandError(str(exc)) from exc
    ui.result(render_diff(result), diff_document(result))
