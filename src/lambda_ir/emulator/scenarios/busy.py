"""Scenario `busy`: thirty days of an account's ordinary life, with five intrusions in it.

The content is ours. In us-east-1, a made-up company runs nine functions:
- six released by CI (a GitHub Actions role, Terraform's user agent, runners in 192.0.2.0/24)
  every third day at office hours: refresh, new code published, `live` moved;
- two managed by CloudFormation (its stack role's session, `invokedBy`
  cloudformation.amazonaws.com) and shifted as canaries by CodeDeploy with its service role
  (10 % then 100 %; the last shift is still at 10 % when collected);
- two developers on an SSO role (`AWSReservedSSO_Developer_…`) browse the console and change
  timeouts and memory from the office (198.51.100.0/24), mornings and afternoons;
- most functions carry vendor layers from the vendors' own accounts (Datadog with its
  documented wrapper, Lambda Insights, ADOT with `/opt/otel-instrument`, the Parameters and
  Secrets extension) and reference secrets by ARN;
- CI's releases of image-thumbnailer in the last ten days bundle ffmpeg (a native
  executable);
- Amazon Inspector, turned on six days ago, scans every function each night through its
  service-linked role (`aws-service-role/inspector2.amazonaws.com/`).
Hidden in it (`busy_intrusions`): a dormant IAM user's key used at 02:00 from a new network;
a Datadog look-alike layer from another account slipped in through the CI path; a function's
execution-role credentials used from outside to backdoor another function and open a URL;
the CI role's keys releasing a skimmer from a network the role never used.
Times are backdated from `now`: set-up 31 days ago, the last honest change a day ago.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from botocore.loaders import create_loader

from lambda_ir.emulator.scenarios import busy_intrusions
from lambda_ir.emulator.scenarios.actors import ActorClients, ScenarioClock, Target, admin
from lambda_ir.emulator.scenarios.busy_cast import cast_of
from lambda_ir.emulator.scenarios.busy_life import APPS, Life, Schedule, day_at
from lambda_ir.emulator.scenarios.result import ScenarioResult
from lambda_ir.model import FunctionRef

REGION = "us-east-1"
DAYS = 30


def busy(
    emulator: Target, prior: Sequence[ScenarioResult] = (), *, now: datetime | None = None
) -> ScenarioResult:
    """Seed the busy account (content is ours); `prior` is ignored (it needs its own ground)."""
    del prior
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    start = day_at(now, DAYS + 1, 8)
    clock = ScenarioClock(start)
    # One botocore loader for every identity: each service model is read once, not per session.
    owner = ActorClients(emulator, admin(emulator), clock, create_loader())
    _trail(owner, emulator.account_id)
    cast = cast_of(emulator, owner, clock)
    life = Life(emulator, cast, clock)
    life.publish_vendor_layers()
    schedule = Schedule()
    life.plan(schedule, now)
    busy_intrusions.dormant_warm_up(schedule, life, now)
    busy_intrusions.plan(schedule, life, now)
    schedule.run(clock)
    account = emulator.account_id
    techniques = tuple(life.techniques)
    compromised = tuple(dict.fromkeys(t.function for t in techniques if t.function is not None))
    return ScenarioResult(
        name="busy",
        account_id=account,
        regions=(REGION,),
        functions=tuple(FunctionRef(account, REGION, app.name) for app in APPS),
        actors=tuple(cast.named.values()),
        compromised=tuple(FunctionRef(f.account, f.region, f.name) for f in compromised),
        techniques=techniques,
        layers=tuple(sorted(life.vendor_arns.values())),
        trail_bucket=None,
        window=(start, now),
    )


def _trail(owner: ActorClients, account: str) -> None:
    bucket = f"busy-cloudtrail-{account}"
    owner.client("s3").create_bucket(Bucket=bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": ["s3:GetBucketAcl", "s3:PutObject"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/AWSLogs/*"],
            }
        ],
    }
    owner.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    owner.clock.advance(30)
    trail = owner.client("cloudtrail")
    trail.create_trail(Name="busy-management-events", S3BucketName=bucket, IsMultiRegionTrail=True)
    trail.start_logging(Name="busy-management-events")
