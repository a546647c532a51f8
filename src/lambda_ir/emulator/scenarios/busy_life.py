"""The honest life of the `busy` account: its functions, releases, canaries and console edits.

CloudFormation's functions are each a stack the CI pipeline creates and updates (Terraform's
`aws_cloudformation_stack`, from the runners): its `CreateStack`/`UpdateStack`, then
CloudFormation's own Lambda calls with the stack's role.

Every call is made by the actor who would make it (`busy_cast`), at a backdated time from the
scenario's schedule; nothing here is malicious (the intrusions are in `busy_intrusions`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lambda_ir.emulator.scenarios.actors import ActorClients, ScenarioClock, Target
from lambda_ir.emulator.scenarios.busy_cast import DEVELOPERS, INSPECTOR, Cast, execution_trust
from lambda_ir.emulator.scenarios.busy_vendors import (
    ELF_STUB,
    VENDOR_LAYERS,
    VendorLayer,
    layer_zip,
)
from lambda_ir.emulator.scenarios.code import function_zip
from lambda_ir.emulator.scenarios.result import Technique

REGION = "us-east-1"
ALIAS = "live"
WRAPPER_DD = "/opt/datadog_wrapper"
WRAPPER_OTEL = "/opt/otel-instrument"


@dataclass(frozen=True)
class App:
    """One function: runtime, who deploys it (ci or cfn), vendor layers, environment."""

    name: str
    runtime: str
    manager: str
    vendors: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


def _secret(name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{{account}}:secret:{name}-Ab12Cd"


DATADOG = ("datadog-python", "datadog-extension")
APPS = (
    App(
        "checkout-api",
        "python3.12",
        "ci",
        DATADOG,
        {
            "AWS_LAMBDA_EXEC_WRAPPER": WRAPPER_DD,
            "DD_API_KEY_SECRET_ARN": _secret("datadog-api-key"),
            "DD_SITE": "datadoghq.eu",  # a Datadog site: where the agent sends (LIR-CFG-010)
        },
    ),
    App("cart-service", "nodejs20.x", "ci", ("insights",)),
    App(
        "search-indexer",
        "python3.12",
        "ci",
        ("adot-python",),
        {"AWS_LAMBDA_EXEC_WRAPPER": WRAPPER_OTEL},
    ),
    App(
        "email-sender",
        "python3.12",
        "ci",
        ("params-secrets",),
        {
            "SMTP_PASSWORD_SECRET_ARN": _secret("smtp"),
            "API_KEY_PARAMETER": "/prod/email/api-key",
            "TOKEN_EXPIRY_SECONDS": "3600",  # about a secret, not one
        },
    ),
    App(
        "payments-webhook",
        "python3.12",
        "ci",
        DATADOG,
        {
            "AWS_LAMBDA_EXEC_WRAPPER": WRAPPER_DD,
            "DD_API_KEY_SECRET_ARN": _secret("datadog-api-key"),
            "DD_SITE": "us5.datadoghq.com",
        },
    ),
    App("ledger-sync", "python3.12", "ci", DATADOG, {"AWS_LAMBDA_EXEC_WRAPPER": WRAPPER_DD}),
    App("image-thumbnailer", "python3.12", "ci", ("insights",)),
    App("inventory-api", "python3.12", "cfn", ("insights",)),
    App(
        "reports-nightly",
        "python3.12",
        "cfn",
        ("params-secrets",),
        {"DB_SECRET_ARN": _secret("db")},
    ),
)
CI_APPS = tuple(app for app in APPS if app.manager == "ci")
CFN_APPS = tuple(app for app in APPS if app.manager == "cfn")
ALICE, BOB = sorted(DEVELOPERS)
# Days (ago) each developer works; the first three are their onboarding.
DEV_DAYS = {
    ALICE: (30, 29, 28, 25, 21, 18, 14, 11, 7, 4),
    BOB: (30, 29, 28, 24, 20, 17, 13, 10, 6, 3),
}
BROWSE_DAYS = {ALICE: 11, BOB: 20}
CFN_DAYS = (27, 20, 13, 6, 1)
UPGRADE_DAY = 16
# The CI's releases of image-thumbnailer in the last this many days bundle ffmpeg (a native
# executable a Python function calls): a release, not an intrusion.
FFMPEG_APP, FFMPEG_DAY = "image-thumbnailer", 10
FFMPEG = {"bin/ffmpeg": ELF_STUB}
# Amazon Inspector is turned on six days ago and scans Lambda at night on these days (ago).
INSPECTOR_DAYS = (5, 4, 3, 2, 1)


def stack_template(app: App, release: int) -> str:
    """The stack's template as CloudFormation reads it (the function itself is made with
    the stack's role by the calls that follow: the emulator's CloudFormation does not run
    Lambda resources); a parameter records the release."""
    properties = {"Type": "String", "Name": f"/{app.name}/release", "Value": f"2.{release}.0"}
    parameter = {"Type": "AWS::SSM::Parameter", "Properties": properties}
    return json.dumps({"Resources": {"Release": parameter}})


@dataclass
class Schedule:
    """Steps to run in time order: (when, order, step)."""

    steps: list[tuple[datetime, int, Callable[[], None]]] = field(default_factory=list)

    def add(self, when: datetime, step: Callable[[], None]) -> None:
        self.steps.append((when, len(self.steps), step))

    def run(self, clock: ScenarioClock) -> None:
        for when, _, step in sorted(self.steps, key=lambda s: (s[0], s[1])):
            clock.jump(max(when, clock.now()))
            step()


def day_at(now: datetime, days_ago: int, hour: int, minute: int = 0) -> datetime:
    """`days_ago` days before `now`, at hour:minute UTC."""
    day = (now - timedelta(days=days_ago)).replace(hour=hour, minute=minute, second=0)
    return day.replace(microsecond=0)


class Life:
    """Performs the account's honest activity; keeps what intrusions need to know."""

    def __init__(self, target: Target, cast: Cast, clock: ScenarioClock) -> None:
        self.target = target
        self.cast = cast
        self.clock = clock
        self.vendor_arns: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.techniques: list[Technique] = []
        self.roles: dict[str, str] = {}
        self.tools: dict[str, dict[str, bytes]] = {}  # bundled tools of each function's code

    def lam(self, clients: ActorClients) -> Any:
        return clients.client("lambda", REGION)

    def publish_vendor_layers(self) -> None:
        """Each vendor publishes its layer (and Datadog a newer version) in its own account."""
        for layer in (*VENDOR_LAYERS, VENDOR_LAYERS[0]):
            key = layer.key if layer.key not in self.vendor_arns else f"{layer.key}-next"
            self.vendor_arns[key] = self.publish(layer)

    def publish(self, layer: VendorLayer) -> str:
        lam = self.lam(self.cast.vendor(layer.account))
        self.clock.advance(30)
        answer = lam.publish_layer_version(
            LayerName=layer.name,
            Content={"ZipFile": layer_zip(layer)},
            CompatibleRuntimes=list(layer.runtimes),
        )
        lam.add_layer_version_permission(
            LayerName=layer.name,
            VersionNumber=answer["Version"],
            StatementId="public",
            Action="lambda:GetLayerVersion",
            Principal="*",
        )
        return str(answer["LayerVersionArn"])

    def layers(self, app: App, upgraded: bool = False) -> list[str]:
        keys = [
            f"{k}-next" if upgraded and f"{k}-next" in self.vendor_arns else k for k in app.vendors
        ]
        return [self.vendor_arns[k] for k in keys]

    def environment(self, app: App, **extra: str) -> dict[str, Any]:
        account = self.target.account_id
        variables = {k: v.format(account=account) for k, v in app.env.items()}
        return {"Variables": {"STAGE": "prod", **variables, **extra}}

    def create(self, clients: ActorClients, app: App, tags: dict[str, str] | None = None) -> None:
        """Execution role, function (version 1, with `tags`) and `live` alias."""
        iam = clients.client("iam")
        self.clock.advance(3)
        role = iam.create_role(
            RoleName=f"{app.name}-role",
            Path="/service-role/",
            AssumeRolePolicyDocument=execution_trust(),
        )["Role"]["Arn"]
        self.roles[app.name] = str(role)
        self.clock.advance(4)
        self.lam(clients).create_function(
            FunctionName=app.name,
            Runtime=app.runtime,
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": function_zip(app.runtime, app.name, "1.0.0")},
            Layers=self.layers(app),
            Environment=self.environment(app),
            Publish=True,
            Timeout=30,
            MemorySize=256,
            Tags=tags or {},
        )
        self.clock.advance(2)
        self.lam(clients).create_alias(FunctionName=app.name, Name=ALIAS, FunctionVersion="1")
        self.versions[app.name] = 1

    def release(
        self, clients: ActorClients, app: App, upgrade: bool = False, tools: bool = False
    ) -> None:
        """A CI release: refresh, (vendor layer upgrade,) new code published, `live` moved;
        with `tools`, the code bundles ffmpeg from then on."""
        lam = self.lam(clients)
        lam.get_function(FunctionName=app.name)
        if upgrade:
            self.clock.advance(2)
            lam.update_function_configuration(FunctionName=app.name, Layers=self.layers(app, True))
        self.clock.advance(3)
        number = self.versions[app.name] + 1
        if tools:
            self.tools[app.name] = FFMPEG
        code = function_zip(app.runtime, app.name, f"1.{number}.0", self.tools.get(app.name))
        lam.update_function_code(FunctionName=app.name, ZipFile=code, Publish=True)
        self.versions[app.name] = number
        self.clock.advance(2)
        lam.update_alias(FunctionName=app.name, Name=ALIAS, FunctionVersion=str(number))

    def stack(self, clients: ActorClients, app: App, release: int) -> str:
        """The stack of `app` created (release 0) or updated to `release`, as its caller;
        its StackId."""
        cloudformation = clients.client("cloudformation", REGION)
        body = stack_template(app, release)
        if release:
            answer = cloudformation.update_stack(StackName=app.name, TemplateBody=body)
        else:
            answer = cloudformation.create_stack(StackName=app.name, TemplateBody=body)
        self.clock.advance(40)
        return str(answer["StackId"])

    def canary(self, app: App, finish: bool) -> None:
        """The pipeline updates the stack; CloudFormation publishes new code; CodeDeploy
        shifts `live` 10 %, then 100 %."""
        number = self.versions[app.name] + 1
        self.stack(self.cast.ci(500 + number), app, number)
        cfn = self.lam(self.cast.service("cloudformation.amazonaws.com"))
        code = function_zip(app.runtime, app.name, f"2.{number}.0")
        cfn.update_function_code(FunctionName=app.name, ZipFile=code)
        self.clock.advance(20)
        cfn.publish_version(FunctionName=app.name)
        self.versions[app.name] = number
        deploy = self.lam(self.cast.service("codedeploy.amazonaws.com"))
        self.clock.advance(60)
        deploy.update_alias(
            FunctionName=app.name,
            Name=ALIAS,
            FunctionVersion=str(number - 1),
            RoutingConfig={"AdditionalVersionWeights": {str(number): 0.1}},
        )
        if finish:
            self.clock.advance(600)
            deploy.update_alias(
                FunctionName=app.name,
                Name=ALIAS,
                FunctionVersion=str(number),
                RoutingConfig={"AdditionalVersionWeights": {}},
            )

    def console_edit(self, email: str, app: App, day: int, browse: bool) -> None:
        """A developer opens the function in the console and changes timeout or memory."""
        lam = self.lam(self.cast.developer(email))
        lam.list_functions()
        self.clock.advance(20)
        lam.get_function(FunctionName=app.name)
        if browse:  # a longer look around: aliases, versions, policy
            for call in ("list_aliases", "list_versions_by_function", "get_function_configuration"):
                self.clock.advance(15)
                getattr(lam, call)(FunctionName=app.name)
            self.clock.advance(15)
            lam.list_event_source_mappings(FunctionName=app.name)
        self.clock.advance(90)
        settings = (
            {"Timeout": 30 + day % 4 * 15} if day % 2 else {"MemorySize": 256 + day % 3 * 128}
        )
        lam.update_function_configuration(FunctionName=app.name, **settings)

    def inspector_scan(self) -> None:
        """Amazon Inspector's nightly look at every function (its service-linked role)."""
        lam = self.lam(self.cast.service(INSPECTOR))
        lam.list_functions()
        for app in APPS:
            self.clock.advance(1)
            lam.get_function(FunctionName=app.name)
            lam.list_versions_by_function(FunctionName=app.name)
        self.clock.advance(1)
        lam.list_layers()

    def plan(self, schedule: Schedule, now: datetime) -> None:
        """Thirty days: creation, CI releases, canaries, console edits, Inspector's scans."""

        def step(fn: Callable[..., None], *args: Any) -> Callable[[], None]:
            return lambda: fn(*args)

        schedule.add(day_at(now, 30, 9), step(self._create_ci))
        schedule.add(day_at(now, 30, 9, 40), step(self._create_cfn))
        for run, days_ago in enumerate(range(28, 1, -3), start=1):
            schedule.add(
                day_at(now, days_ago, 10 + days_ago % 6, 5 * (days_ago % 7)),
                step(self._ci_run, run, days_ago),
            )
        for days_ago in CFN_DAYS:
            for app in CFN_APPS:
                schedule.add(day_at(now, days_ago, 11), step(self.canary, app, days_ago != 1))
        for email, days in DEV_DAYS.items():
            hour = 14 if email == ALICE else 9
            for n, days_ago in enumerate(days):
                app = CI_APPS[(n + len(email)) % len(CI_APPS)]
                browse = BROWSE_DAYS[email] == days_ago
                schedule.add(
                    day_at(now, days_ago, hour, 10 + n * 3),
                    step(self.console_edit, email, app, days_ago, browse),
                )
        schedule.add(day_at(now, INSPECTOR_DAYS[0] + 1, 16), step(self.cast.enable_inspector))
        for days_ago in INSPECTOR_DAYS:  # at night, at a slightly different minute each night
            schedule.add(day_at(now, days_ago, 2, 17 + days_ago), step(self.inspector_scan))

    def _create_ci(self) -> None:
        clients = self.cast.ci(0)
        for app in CI_APPS:
            self.create(clients, app)

    def _create_cfn(self) -> None:
        clients = self.cast.service("cloudformation.amazonaws.com")
        for app in CFN_APPS:
            stack_id = self.stack(self.cast.ci(500), app, 0)
            # the tags CloudFormation puts on what it creates (its CreateFunction carries them)
            tags = {
                "aws:cloudformation:stack-name": app.name,
                "aws:cloudformation:stack-id": stack_id,
                "aws:cloudformation:logical-id": "Function",
            }
            self.create(clients, app, tags)

    def _ci_run(self, run: int, days_ago: int) -> None:
        clients = self.cast.ci(run)
        for offset in range(3):
            app = CI_APPS[(run * 3 + offset) % len(CI_APPS)]
            upgrade = days_ago == UPGRADE_DAY and "datadog-python" in app.vendors
            tools = app.name == FFMPEG_APP and days_ago <= FFMPEG_DAY
            self.release(clients, app, upgrade, tools)
