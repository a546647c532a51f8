"""report.md tells what the page does: the incident's window of the timeline (not the case's
first, routine, weeks), the count the page gives, and the complete commands it names.

A demo case's report.md listed 200 events of the week before the attack and none of the
attack day, said "`lambda-ir timeline`" (which wants `--case`), counted events without the
page's note that the collector's own calls are left out, and its version table lacked the
diff command the LIR-LOG-002 finding points to.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from pathlib import Path

import pytest

from lambda_ir.model import TimelineEvent
from lambda_ir.report import ReportFacts, build_facts
from lambda_ir.report.markdown import MAX_TIMELINE_ROWS, render_markdown
from lambda_ir.timeline import build_timeline
from tests.timeline.casebuilder import ACCOUNT, REGION, build_case

ROUTINE = 300  # more than the table's MAX_TIMELINE_ROWS, all before the incident
HIDDEN = 131  # the collector's own CloudTrail calls


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> ReportFacts:
    """The casebuilder's incident (2026-11-28) after weeks of routine deploys and invocations."""
    built = build_case(tmp_path_factory.mktemp("md") / "my case")
    facts = build_facts(built.case, build_timeline(built.case, built.index()), "now")
    routine = tuple(
        TimelineEvent(
            time=f"2026-11-{1 + n // 24:02d}T{n % 24:02d}:30:00.000Z",
            source="cloudtrail",
            kind="GetFunction",
            resource="orders-api",
            summary=f"routine call {n}",
            actor="arn:aws:iam::111122223333:user/ci",
        )
        for n in range(ROUTINE)
    )
    invocations = tuple(
        dataclasses.replace(e, kind="invocation", summary=f"invocation {n}")
        for n, e in enumerate(routine[:20])
    )
    events = tuple(sorted((*routine, *invocations, *facts.events), key=lambda e: e.time))
    return dataclasses.replace(facts, events=events, events_total=len(events) + 7, hidden=HIDDEN)


_ROW = re.compile(r"\| \d{4}-\d\d-\d\dT")


def _timeline(text: str) -> str:
    return text.split("## Timeline (UTC)", 1)[1].split("\n## ", 1)[0]


def test_the_timeline_shows_the_incident_window_not_the_first_routine_events(
    facts: ReportFacts,
) -> None:
    section = _timeline(render_markdown(facts))
    rows = [line for line in section.splitlines() if _ROW.match(line)]
    assert facts.since == "2026-11-28T22:10:00.000Z"
    assert rows and rows[0].startswith(
        "| 2026-11-28T22:10:00.000Z | cloudtrail | UpdateFunctionCode"
    )
    assert "UpdateAlias" in section and "routine call" not in section
    assert len(rows) <= MAX_TIMELINE_ROWS


def test_the_timeline_says_what_it_shows_and_where_the_rest_is(facts: ReportFacts) -> None:
    section = " ".join(_timeline(render_markdown(facts)).split())
    # every dated row, whatever its year: events dated at collection carry today's date
    shown = sum(1 for line in _timeline(render_markdown(facts)).splitlines() if _ROW.match(line))
    assert "from 2026-11-28T21:10:00.000Z" in section  # an hour before the first sign, as the page
    left_out = facts.events_total - shown
    assert f"{left_out} events are not in this table" in section
    assert f"{ROUTINE + 1} before the window" in section  # the routine calls and version 1
    invocations = sum(e.kind == "invocation" for e in facts.events)  # 20 and the case's own
    assert f"{invocations} invocations" in section and "7 beyond the" in section
    command = f"lambda-ir timeline --case {shlex.quote(facts.case_dir)}"
    assert f"`timeline.jsonl` (`{command}`)" in section


def test_the_count_says_the_collectors_own_calls_are_left_out(facts: ReportFacts) -> None:
    section = " ".join(_timeline(render_markdown(facts)).split())
    assert f"{facts.events_total} events in the case" in section
    assert f"The collector's own {HIDDEN} CloudTrail calls are left out" in section


def test_without_a_dated_sign_the_table_starts_at_the_first_event(facts: ReportFacts) -> None:
    quiet = dataclasses.replace(facts, since=None)
    section = " ".join(_timeline(render_markdown(quiet)).split())
    assert "routine call 0 " in section
    assert "no dated sign of compromise" in section


def test_the_version_table_gives_the_complete_diff_command(facts: ReportFacts) -> None:
    text = render_markdown(facts)
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders-api"
    command = f"lambda-ir diff --case {shlex.quote(str(Path(facts.case_dir).resolve()))} {arn} 1 2"
    row = next(line for line in text.splitlines() if line.startswith("| 2 |"))
    assert f"`{command}`" in row
    assert shlex.split(command)[3] == facts.case_dir
