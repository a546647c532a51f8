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
