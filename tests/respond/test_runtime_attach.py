"""`run_runtime` as a library call (README: `run_runtime(case, clients, session,
RuntimeRequest(...))`): the evidence it collects first goes where its other calls go."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lambda_ir.evidence import Case
from lambda_ir.respond.runtime_attach import RuntimeRequest, run_runtime
from lambda_ir.runtime.layer import layer_zip
from tests.respond.conftest import Estate

BUCKET = "s3://ir-snapshots/acme"


def _request(estate: Estate, **options: Any) -> RuntimeRequest:
    return RuntimeRequest(
        estate.function,
        estate.region,
        BUCKET,
        layer_zip()[0],
        datetime.now(UTC),
        apply=True,
        endpoint_url=estate.endpoint,
        quotas=False,
        **options,
    )


def test_the_evidence_is_collected_from_the_endpoint_the_request_names(
    estate: Estate, case: Case
) -> None:
    # The session knows no endpoint (only the clients do): preservation collected from AWS's
    # own endpoints (18 timeouts, "nothing changed") while contain's went to the request's.
    result = run_runtime(case, estate.clients(), estate.session, _request(estate))
    assert result.evidence.startswith("collected the function's state into the case first")
    assert result.in_place, result.to_json()
    assert any(entry.api == "lambda:GetFunction" for entry in case.entries())
