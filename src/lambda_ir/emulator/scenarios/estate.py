"""Scenario `estate`: a benign serverless estate deployed by CI over the past weeks.

The content is ours: a made-up company's functions, written for lambda-ir's demo and tests.
Nothing in it is malicious. The account administrator sets up a multi-region trail and the
`ci-deployer` IAM user; that user's keys then deploy, release after release, Python, Node.js
and container-image functions in us-east-1 and eu-west-1 with narrow execution roles,
own-account layers, published versions, a `live` alias (some weighted for canaries), SQS and
DynamoDB-stream event sources, IAM-auth function URLs, service permissions, tags and log
groups. Invocation logs cover the last 13 days. Times are backdated: set-up ~45 days ago,
releases a week apart ending ~10 days ago.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from lambda_ir.emulator.scenarios import deploy
from lambda_ir.emulator.scenarios.actors import (
    ActorClients,
    ScenarioClock,
    Target,
    admin,
    create_user_actor,
)
from lambda_ir.emulator.scenarios.catalogue import REGIONS, FunctionSpec, plan_functions
from lambda_ir.emulator.scenarios.code import (
    function_zip,
    image_manifest,
    node_layer_zip,
    python_layer_zip,
)
from lambda_ir.emulator.scenarios.estate_logs import write_estate_logs
from lambda_ir.emulator.scenarios.result import Actor, ScenarioResult
from lambda_ir.model import FunctionRef

DEFAULT_FUNCTIONS = 40
# Alone, an incident seeds one function of each application, all in us-east-1.
STANDALONE_FUNCTIONS = 10
DEFAULT_VERSIONS = 3
CI_USER = "ci-deployer"
CI_IP = "192.0.2.44"
CI_AGENT = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) "
    "terraform-provider-aws/5.72.1 (+https://registry.terraform.io/providers/hashicorp/aws) "
    "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64"
)
CI_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Deploy",
            "Effect": "Allow",
            "Action": [
                "lambda:*",
                "iam:*Role*",
                "iam:PassRole",
                "logs:*",
                "sqs:*",
                "dynamodb:*",
                "sns:*",
                "events:*",
                "ecr:*",
                "s3:*",
            ],
            "Resource": "*",
        }
    ],
}
TRAIL_NAME = "organization-management-events"
LAYERS = {"python": "common-utils", "nodejs": "node-shared"}


def trail_bucket_name(account: str) -> str:
    """The S3 bucket the estate's trail delivers to."""
    return f"acme-cloudtrail-{account}"


def setup_account(target: Target, clock: ScenarioClock) -> tuple[Actor, str]:
    """The administrator's one-time set-up: the trail and the CI user; (ci actor, bucket)."""
    owner = ActorClients(target, admin(target), clock)
    bucket = trail_bucket_name(target.account_id)
    owner.client("s3").create_bucket(Bucket=bucket)
    clock.advance(20)
    owner.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(_trail_policy(bucket)))
    trail = owner.client("cloudtrail")
    clock.advance(35)
    trail.create_trail(Name=TRAIL_NAME, S3BucketName=bucket, IsMultiRegionTrail=True)
    trail.start_logging(Name=TRAIL_NAME)
    clock.advance(240)
    iam = owner.client("iam")
    ci = create_user_actor(
        iam,
        CI_USER,
        source_ip=CI_IP,
        user_agent=CI_AGENT,
        tags={"purpose": "ci-cd", "owner": "platform"},
    )
    clock.advance(15)
    iam.put_user_policy(UserName=CI_USER, PolicyName="deploy", PolicyDocument=json.dumps(CI_POLICY))
    return ci, bucket


def _trail_policy(bucket: str) -> dict[str, Any]:
    service = {"Service": "cloudtrail.amazonaws.com"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AclCheck",
                "Effect": "Allow",
                "Principal": service,
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
            },
            {
                "Sid": "Write",
                "Effect": "Allow",
                "Principal": service,
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/*",
            },
        ],
    }


class EstateDeployer:
    """The CI pipeline: deploys every function, release after release, with one clock."""

    def __init__(self, target: Target, ci: ActorClients, rng: random.Random) -> None:
        self.target = target
        self.ci = ci
        self.rng = rng
        self.packages: dict[tuple[str, str], bytes] = {}
        self.layers: dict[tuple[str, str], str] = {}
        self.repositories: dict[tuple[str, str], str] = {}
        self.pushed: set[tuple[str, str]] = set()

    def tick(self) -> None:
        """A pipeline step takes a second or two."""
        self.ci.clock.advance(self.rng.uniform(0.8, 2.5))

    def code(self, spec: FunctionSpec, release: str) -> dict[str, Any]:
        """The release's package (built once per app and release, reused) or pushed image."""
        if spec.is_image:
            return {"ImageUri": self.image(spec, release)}
        key = (spec.app.name, release)
        if key not in self.packages:
            self.packages[key] = function_zip(spec.app.runtime, spec.app.description, release)
        return {"ZipFile": self.packages[key]}

    def image(self, spec: FunctionSpec, release: str) -> str:
        """Push the release's image to ECR once per region (`CreateRepository`, `PutImage`)."""
        ecr = self.ci.client("ecr", spec.region)
        repository = (spec.region, spec.app.name)
        if repository not in self.repositories:
            self.tick()
            answer = ecr.create_repository(repositoryName=spec.app.name)
            self.repositories[repository] = answer["repository"]["repositoryUri"]
        uri = self.repositories[repository]
        if (uri, release) not in self.pushed:
            self.tick()
            manifest = image_manifest(spec.app.name, release)
            ecr.put_image(repositoryName=spec.app.name, imageManifest=manifest, imageTag=release)
            self.pushed.add((uri, release))
        return f"{uri}:{release}"

    def publish_layers(self, release: str) -> None:
        """A new version of each shared layer in each region (`PublishLayerVersion`)."""
        for region in REGIONS:
            for family, name in LAYERS.items():
                build = python_layer_zip if family == "python" else node_layer_zip
                runtimes = ["python3.12"] if family == "python" else ["nodejs20.x"]
                self.tick()
                answer = self.ci.client("lambda", region).publish_layer_version(
                    LayerName=name,
                    Content={"ZipFile": build(name, release)},
                    CompatibleRuntimes=runtimes,
                    Description=f"{name} {release}",
                )
                self.layers[(region, family)] = answer["LayerVersionArn"]

    def layer_for(self, spec: FunctionSpec) -> list[str]:
        """The function's shared layer at its newest version (none for images)."""
        if spec.is_image:
            return []
        family = "nodejs" if spec.app.runtime.startswith("nodejs") else "python"
        return [self.layers[(spec.region, family)]]

    def create(self, spec: FunctionSpec) -> None:
        """Role, function (version 1), `live` alias, trigger and log group for one function."""
        account = self.target.account_id
        iam = self.ci.client("iam")
        self.tick()
        role = deploy.create_execution_role(
            iam,
            deploy.role_name(spec.name, spec.region),
            deploy.role_statements(spec, account),
            deploy.function_tags(spec),
        )
        self.tick()
        lam = self.ci.client("lambda", spec.region)
        deploy.create_function(lam, spec, role, self.code(spec, "1.0.0"), self.layer_for(spec))
        self.tick()
        lam.create_alias(FunctionName=spec.name, Name=deploy.ALIAS, FunctionVersion="1")
        self.tick()
        deploy.wire_trigger(self.ci, spec, account)
        logs = self.ci.client("logs", spec.region)
        group = spec.log_group
        self.tick()
        logs.create_log_group(logGroupName=group, tags=deploy.function_tags(spec))
        logs.put_retention_policy(logGroupName=group, retentionInDays=deploy.LOG_RETENTION_DAYS)

    def release(self, spec: FunctionSpec, number: int, canary: bool) -> None:
        """Release `number` (version number+1): new code published, `live` moved or weighted."""
        lam = self.ci.client("lambda", spec.region)
        # Terraform refreshes state before it changes anything: the CI's own read-only calls.
        lam.get_function(FunctionName=spec.name)
        if number == 1 and not spec.is_image:
            self.tick()
            lam.update_function_configuration(FunctionName=spec.name, Layers=self.layer_for(spec))
        self.tick()
        code = self.code(spec, f"1.{number}.0")
        lam.update_function_code(FunctionName=spec.name, Publish=True, **code)
        new, old = str(number + 1), str(number)
        routing = {"AdditionalVersionWeights": {new: 0.1} if canary else {}}
        primary = old if canary else new
        self.tick()
        lam.update_alias(
            FunctionName=spec.name,
            Name=deploy.ALIAS,
            FunctionVersion=primary,
            RoutingConfig=routing,
        )


def _deploy(
    deployer: EstateDeployer, specs: Sequence[FunctionSpec], versions: int, now: datetime
) -> None:
    """First release 30 days ago, then one a few days apart, the last ~10 days ago."""
    clock = deployer.ci.clock
    clock.jump(now - timedelta(days=30, hours=-10))
    deployer.publish_layers("1.0.0")
    for spec in specs:
        deployer.create(spec)
    for number in range(1, versions):
        clock.jump(now - timedelta(days=30 - 20 * number / max(versions - 1, 1), hours=-10))
        if number == 1:
            deployer.publish_layers("1.1.0")
        for spec in specs:
            deployer.release(spec, number, canary=spec.canary and number == versions - 1)


def estate(
    emulator: Target,
    prior: Sequence[ScenarioResult] = (),
    *,
    functions: int = DEFAULT_FUNCTIONS,
    versions: int = DEFAULT_VERSIONS,
    now: datetime | None = None,
) -> ScenarioResult:
    """Seed the benign estate (content is ours): `functions` functions × `versions` versions.

    Deployed by `ci-deployer` from the CI address, backdated over the last ~45 days, with
    invocation logs for the last 13 days. `prior` is ignored: the estate is the ground floor.
    """
    del prior
    now = now or datetime.now(UTC)
    rng = random.Random(f"estate-{functions}-{versions}")  # noqa: S311 (reproducible content)
    clock = ScenarioClock(now - timedelta(days=45, hours=-3))
    ci_actor, bucket = setup_account(emulator, clock)
    deployer = EstateDeployer(emulator, ActorClients(emulator, ci_actor, clock), rng)
    specs = plan_functions(functions)
    _deploy(deployer, specs, versions, now)
    log_groups = write_estate_logs(emulator, specs, versions, rng, now)
    account = emulator.account_id
    return ScenarioResult(
        name="estate",
        account_id=account,
        regions=REGIONS,
        functions=tuple(FunctionRef(account, s.region, s.name) for s in specs),
        actors=(ci_actor,),
        layers=tuple(sorted(set(deployer.layers.values()))),
        log_groups=log_groups,
        trail_bucket=bucket,
        window=(now - timedelta(days=45, hours=-3), now),
    )


def ground(emulator: Target, prior: Sequence[ScenarioResult], now: datetime) -> ScenarioResult:
    """The estate an incident builds on: the one seeded before it (directly or as another
    incident's base), else a small one seeded now. Incidents need every application in
    us-east-1, so an earlier estate must have at least `STANDALONE_FUNCTIONS` functions."""
    for result in prior:
        for candidate in (result, result.base):
            if candidate is not None and candidate.name == "estate":
                if len(candidate.functions) < STANDALONE_FUNCTIONS:
                    raise ValueError(
                        f"the estate has {len(candidate.functions)} functions; incidents need "
                        f"at least {STANDALONE_FUNCTIONS}"
                    )
                return candidate
    return estate(emulator, functions=STANDALONE_FUNCTIONS, now=now)
