"""`demo`: a full investigation of the bundled emulated account and a seeded compromise.

Starts the emulator on a free loopback port, seeds the `estate` and `denonia` scenarios,
gives the responder a read-only IAM user holding exactly the collector's policy, and runs
`investigate` with that user's keys: the same code path a responder runs against AWS.
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import orjson

from lambda_ir.acquire import CollectOptions, ProgressSink, Scope, iam_policy
from lambda_ir.emulator.scenarios import ScenarioResult, seed
from lambda_ir.emulator.server import Emulator
from lambda_ir.evidence import Case
from lambda_ir.investigate import Investigation, investigate

DEMO_SCENARIOS = ("estate", "denonia")
RESPONDER = "ir-responder"


@dataclass(frozen=True)
class DemoResult:
    """The seeded story and the investigation of it."""

    scenarios: tuple[ScenarioResult, ...]
    investigation: Investigation
    case: Path


def run_demo(
    case_dir: Path,
    scenarios: Sequence[str] = DEMO_SCENARIOS,
    *,
    progress: ProgressSink | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> DemoResult:
    """Seed the emulated account, then investigate it into `case_dir` (a new folder).

    No `scenarios` means the default story, `estate` then `denonia`.
    """
    scenarios = tuple(scenarios) or DEMO_SCENARIOS
    announce = on_stage or (lambda _stage: None)
    with Emulator() as emulator:
        announce("seed " + "+".join(scenarios))
        results = seed(emulator, scenarios)
        emulator.flush_trails()
        session = _responder_session(emulator)
        regions = tuple(dict.fromkeys(r for result in results for r in result.regions))
        now = datetime.now(UTC)
        scope = Scope(
            regions=regions,
            since=_iso(now - timedelta(days=30)),
            until=_iso(now + timedelta(minutes=5)),
        )
        bucket = next((r.trail_bucket for r in results if r.trail_bucket), None)
        options = CollectOptions(
            endpoint_url=emulator.endpoint_url,
            trail_bucket=f"s3://{bucket}" if bucket else None,
        )
        case = Case.create(case_dir, scope.to_json(), options={"demo": list(scenarios)})
        investigation = investigate(case, session, scope, options, None, progress, announce)
    return DemoResult(results, investigation, case.root)


def _responder_session(emulator: Emulator) -> boto3.Session:
    """An IAM user with the collector's least-privilege policy, and a session with its keys."""
    key, secret = emulator.root_credentials()
    admin = boto3.client(
        "iam",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
    )
    admin.create_user(UserName=RESPONDER)
    admin.put_user_policy(
        UserName=RESPONDER,
        PolicyName="lambda-ir-collector",
        PolicyDocument=orjson.dumps(iam_policy()).decode(),
    )
    created = admin.create_access_key(UserName=RESPONDER)["AccessKey"]
    return boto3.Session(
        aws_access_key_id=created["AccessKeyId"],
        aws_secret_access_key=created["SecretAccessKey"],
        region_name="us-east-1",
    )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
