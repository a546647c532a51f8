"""`collect --baseline`: the Lambda trail from further back than the window, read-only.

Events are backdated from the real clock (20 and 2 days ago), so the test holds on any date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3

from lambda_ir.acquire.cloudtrail import collect_baseline_trail, collect_lambda_trail
from lambda_ir.acquire.context import Scope
from lambda_ir.emulator.client import session_for
from lambda_ir.evidence import Case
from lambda_ir.evidence.index import open_index
from tests.acquire import seed
from tests.acquire.conftest import Place
from tests.acquire.test_logs import collect_context


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_baseline_reads_lambda_history_before_the_window(
    case: Case, session: boto3.Session, place: Place, emulator_session: object
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    seed.function(session, place.endpoint, "ledger", ["print('v1')"], region=place.region)
    for days, timeout in ((20, 31), (2, 32)):
        actor = session_for(
            place.endpoint,
            "testing",
            "testing",
            region=place.region,
            source_ip="192.0.2.10",
            event_time=now - timedelta(days=days),
        )
        lam = actor.client("lambda")
        lam.update_function_configuration(FunctionName="ledger", Timeout=timeout)
    since, baseline = _iso(now - timedelta(days=5)), _iso(now - timedelta(days=30))
    scope = Scope((place.region,), since=since, baseline=baseline)
    with collect_context(case, session, emulator_session, scope) as ctx:  # type: ignore[arg-type]
        collect_lambda_trail(ctx, place.region)
        collect_baseline_trail(ctx, place.region)
        assert ctx.tally.errors == []
    lookups = sorted(
        (e.params["StartTime"], e.params["EndTime"])
        for e in case.entries()
        if e.kind == "trail" and e.api == "cloudtrail:LookupEvents"
    )
    assert lookups[0] == (baseline, since)  # the baseline's own window, ending at --since
    timeouts = (
        open_index(case)
        .execute(
            "SELECT request_parameters->>'$.timeout' FROM trail_events "
            "WHERE operation = 'UpdateFunctionConfiguration' AND function_name = 'ledger' "
            "ORDER BY event_time"
        )
        .fetchall()
    )
    assert [int(t) for (t,) in timeouts] == [31, 32]


def test_no_baseline_no_extra_lookup(
    case: Case, session: boto3.Session, place: Place, emulator_session: object
) -> None:
    scope = Scope((place.region,), since=_iso(datetime.now(UTC) - timedelta(days=1)))
    with collect_context(case, session, emulator_session, scope) as ctx:  # type: ignore[arg-type]
        collect_baseline_trail(ctx, place.region)
    assert [e for e in case.entries() if e.kind == "trail"] == []


# The run's clock, as the CLI read it: a fixed moment, so the test holds on any date.
RESOLVED_AT = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


def _clamps(case: Case) -> list[dict[str, object]]:
    return [e.params for e in case.entries() if e.kind == "gap"]


def test_baseline_of_90_days_is_all_the_history_and_no_gap(
    case: Case, session: boto3.Session, place: Place, emulator_session: object
) -> None:
    """`--since 1d --baseline 90d`: both read from the run's one clock, so the baseline
    starts exactly where LookupEvents' history does (not a second before it: no gap)."""
    scope = Scope(
        (place.region,),
        since=_iso(RESOLVED_AT - timedelta(days=1)),
        until=_iso(RESOLVED_AT),
        baseline=_iso(RESOLVED_AT - timedelta(days=90)),
        resolved_at=_iso(RESOLVED_AT),
    )
    with collect_context(case, session, emulator_session, scope) as ctx:  # type: ignore[arg-type]
        collect_baseline_trail(ctx, place.region)
        collect_lambda_trail(ctx, place.region)
    assert _clamps(case) == []
    starts = {e.params["StartTime"] for e in case.entries() if e.kind == "trail"}
    assert starts == {scope.baseline, scope.since}


def test_a_baseline_past_90_days_records_the_start_it_asked_for(
    case: Case, session: boto3.Session, place: Place, emulator_session: object
) -> None:
    baseline = _iso(RESOLVED_AT - timedelta(days=200))
    scope = Scope(
        (place.region,),
        since=_iso(RESOLVED_AT - timedelta(days=1)),
        until=_iso(RESOLVED_AT),
        baseline=baseline,
        resolved_at=_iso(RESOLVED_AT),
    )
    with collect_context(case, session, emulator_session, scope) as ctx:  # type: ignore[arg-type]
        collect_baseline_trail(ctx, place.region)
    oldest = _iso(RESOLVED_AT - timedelta(days=90))
    assert _clamps(case) == [{"asked_from": baseline, "clamped_to": oldest, "end": scope.since}]
