"""The baseline's verdicts computed in DuckDB equal `Baseline.judge_row`, event for event."""

from __future__ import annotations

import functools
import random
from collections import Counter
from typing import Any

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambda_ir.analyze.baseline import DORMANT_DAYS, PINNED_DAYS
from lambda_ir.analyze.baseline_sql import (
    JUDGED_BATCH,
    NOVELTY_COLUMNS,
    VERDICT_SQL,
    iter_judged,
    novelty_of,
    verdict_of,
)
from lambda_ir.analyze.baseline_tools import SERVICE_SQL, is_service
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.detectors import ct_unusual_change
from lambda_ir.analyze.trail_rows import select_events
from lambda_ir.evidence import Case
from lambda_ir.model import Severity
from tests.analyze.casebuild import (
    ACCOUNT,
    CaseBuilder,
    role_identity,
    run_detector,
    trail_event,
)

AGENTS = (
    "terraform-provider-aws/5.31.0 (+https://registry.terraform.io)",
    "aws-cli/2.15.0 Python/3.11",
    "Boto3/1.34.0 Python/3.12 exec-env/AWS_Lambda_python3.12",
    "Mozilla/5.0 (console)",
    "lambda-ir/0.1",  # our own calls never teach the baseline
    "curl/8.0",
)
ADDRESSES = (
    "203.0.113.10",
    "203.0.113.77",
    "198.51.100.7",
    "2001:db8:1:2::5",
    "cloudformation.amazonaws.com",
    " 192.0.2.1",
    "010.1.2.3",
    "",
)
USER = {
    "type": "IAMUser",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/dormant",
    "accountId": ACCOUNT,
    "userName": "dormant",
}
SERVICE = {"type": "AWSService", "invokedBy": "codedeploy.amazonaws.com"}
# Inspector scanning through its service-linked role: the service at work, as SERVICE is
LINKED = {
    **role_identity("AWSServiceRoleForAmazonInspector2", "InspectorLambdaScan"),
    "sessionContext": {
        "sessionIssuer": {
            "type": "Role",
            "arn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/inspector2.amazonaws.com/"
            "AWSServiceRoleForAmazonInspector2",
        }
    },
    "invokedBy": "inspector2.amazonaws.com",
}


def _events() -> list[dict[str, object]]:
    """Thirty days of varied life: a CI role daily, a person now and then, services, a user
    who acts twice then goes quiet for weeks, failed calls, odd addresses and agents."""
    rng = random.Random(12)
    out = []
    for n in range(400):
        day, hour = rng.randint(1, 30), rng.choice((9, 10, 11, 3, 23, 0))
        who = rng.choice((role_identity("ci", f"s{n}"), role_identity("dev", "anna"), SERVICE))
        if day in (1, 2, 28) and n % 3 == 0:
            who = USER
        elif n % 29 == 0:
            who = LINKED
        extra = {"errorCode": "AccessDenied"} if n % 37 == 0 else {}
        out.append(
            trail_event(
                rng.choice(
                    ("UpdateFunctionCode20150331v2", "UpdateFunctionConfiguration20150331v2")
                ),
                {"functionName": f"fn-{rng.randint(0, 5)}"},
                identity=who,
                event_id=f"e{n:04d}",
                time=f"2026-10-{day:02d}T{hour:02d}:{rng.randint(0, 59):02d}:00Z",
                user_agent=rng.choice(AGENTS),
                source_ip=rng.choice(ADDRESSES),
                **extra,
            )
        )
    for day in range(1, 31):  # a runner pool: every release from networks it never used
        out.extend(
            _code(
                "runner",
                f"r{day:02d}{n}",
                f"2026-10-{day:02d}T10:{n:02d}:00Z",
                f"198.18.{day * 2 + n}.9",
                AGENTS[0],
                "fn-2",
            )
            for n in range(2)
        )
    # Principals that keep to one network for days, then change Lambda from another: a
    # nightly job with its SDK is pinned (its new network is two things) on that day only;
    # not a person on SSO, a job seen on too few days, one using the CLI, one moving between
    # private subnets, nor one whose only network was seen on one day.
    for role, days, home, agent, away in (
        ("nightly-job", (*range(1, 11), 12, 13, 14), 10, BOTO, "198.51.100.200"),
        ("recon-job", (*range(1, 11), 12), 10, BOTO, "198.51.100.77"),
        ("twohome-job", (*range(1, 11), 12), 10, BOTO, "198.51.100.200"),
        ("travel-job", (*range(1, 11), 12), 10, BOTO, "198.51.100.200"),
        ("AWSReservedSSO_Dev_0a1b", (*range(1, 11), 12), 10, BOTO, "198.51.100.200"),
        ("young-job", (1, 2, 3, 4, 5), 4, BOTO, "198.51.100.200"),  # 4 days: too few
        ("five-job", (1, 2, 3, 4, 5, 6), 5, BOTO, "198.51.100.200"),  # 5 days: enough
        ("cli-job", (*range(1, 11), 12), 10, UA, "198.51.100.200"),
        ("vpc-job", (*range(1, 11), 12), 10, BOTO, "10.0.2.133"),
    ):
        for day in days:
            address = ("10.0.1.57" if role == "vpc-job" else "192.0.2.77") if day <= home else away
            out.append(
                _code(role, f"{role[:5]}{day:02d}", f"2026-10-{day:02d}T03:00:00Z", address, agent)
            )
    for day in range(1, 11):  # a job that plans daily and applies every third day
        out.append(
            _read("plan-job", f"planR{day:02d}", f"2026-10-{day:02d}T03:00:00Z", "192.0.2.5")
        )
        if day % 3 == 0:
            out.append(_code("plan-job", f"planW{day:02d}", f"2026-10-{day:02d}T03:05:00Z",
                             "192.0.2.5", BOTO))  # fmt: skip
    out.append(_code("plan-job", "planW12", "2026-10-12T03:05:00Z", "198.51.100.9", BOTO))
    for day, address in ((4, "198.18.4.10"), (6, "198.18.6.20")):  # changes from two others
        out.append(_code("travel-job", f"trav{day:02d}", f"2026-10-{day:02d}T03:10:00Z",
                         address, BOTO))  # fmt: skip
    for day in (3, 4):  # a second network, established on two days: two homes, not one
        out.append(_code("twohome-job", f"twoB{day:02d}", f"2026-10-{day:02d}T03:10:00Z",
                         "203.0.113.150", BOTO))  # fmt: skip
    # the recon job's keys look around from their new network the day before; the nightly
    # job reads from its new network (a read is no move)
    out.append(_read("recon-job", "reconR11", "2026-10-11T03:00:00Z", "198.51.100.77"))
    out.append(_read("nightly-job", "nightR12", "2026-10-12T02:59:00Z", "198.51.100.200"))
    # a thief's looks from its network on two days (or from two networks) before its change:
    # reads establish no network for a change, nor unpin the job
    for day in range(1, 11):
        for role in ("look-job", "stray-job"):
            out.append(_code(role, f"{role[:4]}W{day:02d}", f"2026-10-{day:02d}T03:00:00Z",
                             "192.0.2.77", BOTO))  # fmt: skip
    for day in (10, 11):
        out.append(_read("look-job", f"lookR{day}", f"2026-10-{day}T02:00:00Z", "198.51.100.60"))
        out.append(_read("stray-job", f"strayR{day}", f"2026-10-{day}T02:00:00Z",
                         f"198.51.{day}.61"))  # fmt: skip
    out.append(_code("look-job", "lookW12", "2026-10-12T03:00:00Z", "198.51.100.60", BOTO))
    out.append(_code("stray-job", "strayW12", "2026-10-12T03:00:00Z", "198.51.11.61", BOTO))
    # a person reading from home every day who only ever changed Lambda from the office: the
    # first change from home is one new thing (LOW), the next day's none
    person = "AWSReservedSSO_Ops_9f8e"
    for day in range(1, 14):
        out.append(_read(person, f"homeR{day:02d}", f"2026-10-{day:02d}T09:00:00Z", "203.0.113.9"))
        if day <= 10:
            out.append(_code(person, f"offW{day:02d}", f"2026-10-{day:02d}T09:30:00Z",
                             "192.0.2.44"))  # fmt: skip
    for day in (12, 13):
        out.append(_code(person, f"homeW{day}", f"2026-10-{day}T09:30:00Z", "203.0.113.9"))
    # deployed through CloudFormation for days (the service's name, no network), then twice
    # with its SDK from one address: the second day is not a move from a sole network
    stack = "cloudformation.amazonaws.com"
    for day in range(1, 12):
        when = f"2026-10-{day:02d}T03:{'00' if day < 10 else '30'}:00Z"
        address, agent = (stack, stack) if day < 10 else ("192.0.2.99", BOTO)
        out.append(_code("stack-job", f"stack{day:02d}", when, address, agent))
    for n, day in enumerate((20, 25, 25)):  # a newcomer: never before, then one day before
        out.append(
            trail_event(
                "UpdateFunctionCode20150331v2",
                {"functionName": "fn-1"},
                identity=role_identity("newcomer", "x"),
                event_id=f"n{n}",
                time=f"2026-10-{day:02d}T10:00:00Z",
            )
        )
    return out


def test_sql_verdicts_equal_the_python_baseline(builder: CaseBuilder) -> None:
    builder.trail(_events())
    view = CaseView(Case.open(builder.root))
    rows = select_events(view, "event_source = 'lambda.amazonaws.com'")
    kinds: Counter[str] = Counter()
    for row in rows:
        expected = view.baseline.judge_row(row)
        assert view.verdict(row) == expected, row.event_id
        kinds.update(expected.new)
        kinds["judged" if expected.judged else "not judged"] += 1
        kinds["service"] += expected.service
        kinds["linked"] += expected.service and row.actor_type == "AssumedRole"
        kinds["roaming"] += expected.roaming > 0
    # every branch of the verdict was taken by some event
    for kind in ("principal", "network", "pinned", "tool", "hours", "dormant", "function"):
        assert kinds[kind] > 0, kinds
    assert kinds["judged"] > 0
    assert kinds["not judged"] > 0 and kinds["service"] > 0 and kinds["roaming"] > 0
    assert kinds["linked"] > 0
    # as detectors read it: one JSON value a call (VERDICT_SQL), the same verdict
    texts = dict(
        view.index.execute(f"SELECT event_id, {VERDICT_SQL} FROM {view.novelty}").fetchall()
    )
    judged = [row for row in rows if row.event_id in texts]
    assert len(judged) == len(texts) > 300
    for row in judged:
        assert verdict_of(texts[row.event_id]) == view.baseline.judge_row(row), row.event_id
    # the hypothesis test below builds its rows with the table's own column types
    described = view.index.execute(f"DESCRIBE SELECT {NOVELTY_COLUMNS} FROM {view.novelty}")
    assert ", ".join(f"{name} {kind}" for name, kind, *_ in described.fetchall()) == _COLUMN_TYPES


def test_a_roaming_principal_new_network_is_not_counted(builder: CaseBuilder) -> None:
    builder.trail(_events())
    view = CaseView(Case.open(builder.root))
    verdicts = {
        row.event_id: view.verdict(row)
        for row in select_events(view, "event_source = 'lambda.amazonaws.com'")
    }
    # day 4: judged, 6 networks before (days 1-3), so its new network still counts
    assert "network" in verdicts["r040"].new and verdicts["r040"].roaming == 0
    # day 8: 14 networks before: the runner roams, its new network is named, not counted
    late = verdicts["r080"]
    assert late.roaming == 14 and "network" not in late.new and late.established
    assert "runner roams (14 networks before)" in late.phrase()
    assert late.to_json()["roaming_networks"] == 14


def test_a_machine_kept_to_one_network_moving_is_two_new_things(builder: CaseBuilder) -> None:
    builder.trail(_events())
    view = CaseView(Case.open(builder.root))
    verdicts = {
        row.event_id: (view.verdict(row), view.baseline.judge_row(row))
        for row in select_events(view, "event_source = 'lambda.amazonaws.com'")
    }
    for sql, python in verdicts.values():
        assert sql == python
    job, later = verdicts["night12"][0], verdicts["night13"][0]
    assert job.new == ("network", "pinned") and job.severity() is Severity.MEDIUM
    assert (
        f"arn:aws:iam::{ACCOUNT}:role/nightly-job had changed Lambda with its usual tool and "
        f"kept to one other network, seen on {PINNED_DAYS}+ days, before"
    ) in job.phrase()
    # the day after, the new network was seen on one day only: still two things; once seen on
    # two days it is established, and the change is on an established path
    assert later.new == ("network", "pinned")
    assert verdicts["night14"][0].new == ()
    # a look around from the new network the day before does not unpin the change
    assert verdicts["recon12"][0].new == ("network", "pinned")
    assert verdicts["five-06"][0].new == ("network", "pinned")
    # its network's days are its calls' (reads too), not only the days it wrote
    assert verdicts["planW12"][0].new == ("network", "pinned")
    # a person on SSO, a job seen on four days, a job on the CLI, a move between private
    # subnets: one new thing each
    for event_id in ("AWSRe12", "young05", "cli-j12", "vpc-j12", "twoho12", "trave12"):
        other = verdicts[event_id][0]
        assert other.new == ("network",) and other.severity() is Severity.LOW, event_id
    assert verdicts["nightR12"][0].new == ("network",)
    # its only network seen on one day before: no move from a sole network
    assert "pinned" not in verdicts["stack11"][0].new


def test_reads_vouch_for_no_network_a_change_comes_from(builder: CaseBuilder) -> None:
    """A thief's looks from its network on two days before it changes Lambda from there do not
    make the network known to the change, nor do looks from two networks unpin the job; a
    person's first change from the network it had read from is one new thing, then none."""
    builder.trail(_events())
    view = CaseView(Case.open(builder.root))
    verdicts = {
        row.event_id: (view.verdict(row), view.baseline.judge_row(row))
        for row in select_events(view, "event_source = 'lambda.amazonaws.com'")
    }
    for event_id in ("lookW12", "strayW12"):
        sql, python = verdicts[event_id]
        assert sql == python and sql.new == ("network", "pinned"), event_id
        assert sql.severity() is Severity.MEDIUM
    # its looks are judged as reads were: the second from a network seen on one day before
    assert verdicts["lookR11"][0].new == ("network",)
    first, then = verdicts["homeW12"][0], verdicts["homeW13"][0]
    assert first.new == ("network",) and first.severity() is Severity.LOW
    assert "network 203.0.113.0/24 (203.0.113.9) never used by" in first.phrase()
    assert then.new == ()


UA = "aws-cli/2.15.0 Python/3.11"
BOTO = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.10 lang/python#3.12.1"


def _code(
    role: str, event_id: str, time: str, address: str, agent: str = UA, function: str = "fn"
) -> dict[str, object]:
    """An UpdateFunctionCode by a session of `role` (named after the event)."""
    return trail_event(
        "UpdateFunctionCode20150331v2",
        {"functionName": function},
        identity=role_identity(role, f"s-{event_id}"),
        event_id=event_id,
        time=time,
        user_agent=agent,
        source_ip=address,
    )


def _ci_life() -> list[dict[str, object]]:
    """A CI role's ten days on one network at 10:00 with one tool."""
    return [
        _code("ci", f"l{day}", f"2026-10-{day:02d}T10:00:00Z", "192.0.2.10") for day in range(1, 11)
    ]


def _read(role: str, event_id: str, time: str, address: str) -> dict[str, object]:
    """A GetFunction by a session of `role` with its SDK."""
    return trail_event(
        "GetFunction20150331v2",
        {"functionName": "fn"},
        identity=role_identity(role, "read"),
        event_id=event_id,
        time=time,
        user_agent=BOTO,
        source_ip=address,
    )


def _write(role: str, event_id: str, address: str) -> dict[str, object]:
    return _code(role, event_id, "2026-10-12T10:30:00Z", address)


def _reads(role: str, times: list[str], addresses: list[str]) -> list[dict[str, object]]:
    """ListFunctions by `role`, one at each time from the address beside it."""
    return [
        trail_event(
            "ListFunctions20150331",
            {},
            identity=role_identity(role, "x"),
            event_id=f"{role}-read{n}",
            time=when,
            user_agent=UA,
            source_ip=address,
        )
        for n, (when, address) in enumerate(zip(times, addresses, strict=True))
    ]


@pytest.mark.parametrize(
    ("reader", "times", "addresses", "writer", "new"),
    [
        # An intruder with the CI role's keys reads from ten /24s on day 11, then writes on
        # day 12 from an eleventh at the usual hour with the usual tool: the network counts.
        (
            "ci",
            [f"2026-10-11T{9 + n % 3:02d}:{n * 5:02d}:00Z" for n in range(10)],
            [f"203.0.{100 + n}.5" for n in range(10)],
            "ci",
            ["network"],
        ),
        # The account's developers roam over ten networks on ten days; a new role's first
        # write from a network the account never used names the principal and the network.
        (
            "dev",
            [f"2026-10-{n + 1:02d}T10:10:00Z" for n in range(10)],
            [f"198.18.{n}.5" for n in range(10)],
            "brand-new",
            ["principal", "network"],
        ),
    ],
    ids=["one-day-burst", "new-principal"],
)
def test_a_network_counts_unless_an_established_principal_roamed_for_days(
    builder: CaseBuilder,
    reader: str,
    times: list[str],
    addresses: list[str],
    writer: str,
    new: list[str],
) -> None:
    reads = _reads(reader, times, addresses)
    builder.trail([*_ci_life(), *reads, _write(writer, "w", "203.0.113.66")])
    found = run_detector(builder, ct_unusual_change.DETECTOR)
    assert [f.details["baseline"]["new"] for f in found] == [new]
    assert "roaming_networks" not in found[0].details["baseline"]


def test_judged_rows_stream_and_a_query_meanwhile_is_an_error(builder: CaseBuilder) -> None:
    events = [
        trail_event(
            "UpdateFunctionConfiguration20150331v2",
            {"functionName": f"fn-{n % 7}"},
            identity=role_identity("ci", f"s{n}"),
            event_id=f"c{n:05d}",
            time=f"2026-10-{1 + n % 28:02d}T10:{n % 60:02d}:00Z",
        )
        for n in range(JUDGED_BATCH + 500)
    ]
    builder.trail(events)
    view = CaseView(Case.open(builder.root))
    where = "operation = 'UpdateFunctionConfiguration'"
    streamed = [(row.event_id, verdict) for row, verdict in iter_judged(view, where)]
    assert len(streamed) == len(events)
    assert streamed == [(row.event_id, view.verdict(row)) for row in select_events(view, where)]
    with pytest.raises(RuntimeError, match="queried while judged rows were read"):
        for _ in iter_judged(view, where):
            view.index.execute("SELECT 1").fetchall()


_FLAGS = st.sampled_from((True, False, None))
_PARTS = (
    st.sampled_from((True, False)),  # timed
    st.sampled_from((True, False)),  # service
    st.integers(0, 6),  # history
    _FLAGS,  # known
    st.integers(0, 4),  # prior
    st.sampled_from(("arn:aws:iam::1:role/ci", "arn:aws:iam::1:user/ann")),
    st.sampled_from(("203.0.113.0/24", "198.51.100.0/24", None)),
    st.sampled_from(("203.0.113.9", "198.51.100.7", "")),
    _FLAGS,  # net_known
    st.sampled_from(("terraform", "aws-cli", None)),
    _FLAGS,  # tool_known
    st.sampled_from(("02:10", "14:00")),
    _FLAGS,  # hours_known
    st.sampled_from((None, 0, 3, DORMANT_DAYS - 1, DORMANT_DAYS, 40)),
    st.sampled_from(("svc-a", "svc-b", "", None)),
    _FLAGS,  # function_seen
    st.sampled_from((0, None, 10, 11)),  # roaming
    _FLAGS,  # writes
    _FLAGS,  # pinned
)


_COLUMN_TYPES = (
    "timed BOOLEAN, service BOOLEAN, history BIGINT, known BOOLEAN, prior BIGINT, "
    "principal VARCHAR, network VARCHAR, address VARCHAR, net_known BOOLEAN, tool VARCHAR, "
    "tool_known BOOLEAN, hm VARCHAR, hours_known BOOLEAN, idle BIGINT, function VARCHAR, "
    "function_seen BOOLEAN, roaming BIGINT, writes BOOLEAN, pinned BOOLEAN"
)
_SQL_ROWS = st.tuples(_FLAGS, *_PARTS[1:])  # NULL too, as a call lir_novelty lacks


@functools.cache
def _novelty_table() -> duckdb.DuckDBPyConnection:
    """One connection and table for every example (a connection and `executemany` each
    took 28 s for 400 examples)."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE lir_novelty ({_COLUMN_TYPES})")
    return con


@settings(max_examples=400, deadline=None)
@given(st.lists(_SQL_ROWS, min_size=1, max_size=30))
def test_a_verdict_as_one_json_value_is_the_verdict_of_its_row(
    rows: list[tuple[Any, ...]],
) -> None:
    """Detectors read a call's verdict as VERDICT_SQL (one JSON value, what the verdict does
    not read nulled): for every combination, NULLs included, `verdict_of` it is `novelty_of`
    the whole row (a column nulled where the verdict reads it fails this)."""
    con = _novelty_table()
    con.execute("DELETE FROM lir_novelty")
    values = ", ".join(f"({', '.join('?' * 19)})" for _ in rows)
    con.execute(f"INSERT INTO lir_novelty VALUES {values}", [v for row in rows for v in row])
    found = con.execute(f"SELECT {NOVELTY_COLUMNS}, {VERDICT_SQL} FROM lir_novelty").fetchall()
    assert len(found) == len(rows)
    for values in found:
        whole, text = values[:19], values[19]
        assert (text is None) == (whole[0] is None)
        made = novelty_of(whole)
        assert verdict_of(text) == made and verdict_of(text).phrase() == made.phrase()


@pytest.mark.parametrize(
    ("issuer", "service"),
    [
        (LINKED["sessionContext"]["sessionIssuer"]["arn"], True),  # type: ignore[index]
        (f"arn:aws-cn:iam::{ACCOUNT}:role/aws-service-role/x.amazonaws.com.cn/R", True),
        (
            f"arn:aws:iam::{ACCOUNT}:role/ops:role/aws-service-role/inspector2.amazonaws.com/R",
            False,
        ),
        (f"arn:aws:iam::{ACCOUNT}:role/AWSServiceRoleForAmazonInspector2", False),
    ],
)
def test_a_service_linked_role_is_known_by_its_path_after_the_account(
    issuer: str, service: bool
) -> None:
    # A customer's role cannot take the path /aws-service-role/, but its path may hold a colon:
    # only the path right after the account marks a service-linked role, in Python and SQL.
    assert is_service("AssumedRole", issuer) is service
    sql = SERVICE_SQL.replace("actor_type", "'AssumedRole'").replace("session_issuer_arn", "?")
    assert duckdb.execute(f"SELECT {sql}", [issuer]).fetchone() == (service,)


def test_an_unjudged_call_says_why_in_words(builder: CaseBuilder) -> None:
    """A call too early for a baseline says how much history came before it in words
    ("no history", "only 1 day"), and a call without a readable time says that is why,
    never "only 0 day(s)"; the Python baseline and the SQL verdicts say the same."""
    untimed = trail_event("UpdateFunctionConfiguration20150331v2", event_id="u1")
    del untimed["eventTime"]
    builder.trail(
        [
            trail_event("UpdateFunctionConfiguration20150331v2", event_id="d1"),
            trail_event(
                "UpdateFunctionConfiguration20150331v2",
                event_id="d2",
                time="2026-11-03T12:00:00Z",
            ),
            untimed,
        ]
    )
    view = CaseView(Case.open(builder.root))
    phrases = {}
    for row in select_events(view, "event_source = 'lambda.amazonaws.com'"):
        verdict = view.verdict(row)
        assert verdict.phrase() == view.baseline.judge_row(row).phrase()
        phrases[row.event_id] = verdict.phrase()
    assert phrases == {
        "d1": "no baseline yet (no history before it)",
        "d2": "no baseline yet (only 1 day of history before it)",
        "u1": "not judged against the baseline (the call's time could not be read)",
    }
