"""The intrusions hidden in the `busy` account's life (content is ours; payloads are inert).

- `dormant`: the key of `ops-legacy`, an IAM user last used 29 days ago from the office, is
  used two days ago at 02:10 UTC from 203.0.113.66 with an SDK: a burst of reads, then
  `payments-webhook`'s environment gains a forwarding URL and another account may invoke it.
- `lookalike`: nine days ago, a layer named `Datadog-Python312` published by 999988887777
  (not Datadog's account) replaces the genuine one on `ledger-sync`, through the CI role at
  its usual hour (a poisoned module): only the layer's publisher gives it away.
- `stolen-role`: five days ago at 21:40, `checkout-api`'s execution-role credentials are used
  from 203.0.113.200 to look around, replace `image-thumbnailer`'s code, move `live` to it and
  open an unauthenticated function URL.
- `cikeys`: three days ago at 12:35, within CI's hours and with Terraform's user agent, a
  session of the CI role (its keys lifted from a runner) releases `search-indexer` from
  198.18.7.23, a network the role never used (its runners keep to 192.0.2.0/24): new code
  that sends the function's environment away, published, `live` moved to it.
- `stack`: eight days ago at 03:05, another session of the CI role (keys lifted the same
  way) updates `reports-nightly`'s stack from 198.18.40.7 with the AWS CLI, where the
  pipeline updates it from its runners with Terraform: CloudFormation then replaces the
  function's code with its own role, as in every honest release; only the stack call's
  caller gives it away.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from lambda_ir.emulator.scenarios.actors import ActorClients, assume_role_actor, lambda_service
from lambda_ir.emulator.scenarios.busy_life import CFN_APPS, Life, Schedule, day_at
from lambda_ir.emulator.scenarios.busy_vendors import LOOKALIKE, LOOKALIKE_ACCOUNT
from lambda_ir.emulator.scenarios.code import build_zip
from lambda_ir.emulator.scenarios.result import Actor, Technique
from lambda_ir.model import FunctionRef

REGION = "us-east-1"
DORMANT_IP = "203.0.113.66"
DORMANT_AGENT = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 lang/python#3.12.2"
ROLE_THIEF_IP = "203.0.113.200"
ROLE_THIEF_AGENT = "aws-cli/1.29.0 Python/3.8.10 Linux/5.4.0-1103-aws botocore/1.31.0"
CI_THIEF_IP = "198.18.7.23"
STACK_THIEF_IP = "198.18.40.7"
STACK_THIEF_AGENT = (
    "aws-cli/2.13.25 Python/3.11.5 Darwin/23.1.0 exe/x86_64 prompt/off "
    "command/cloudformation.update-stack"
)
SKIMMER = (
    '"""search-indexer (tampered; lambda-ir stand-in, inert)."""\n'
    "import os\n\n"
    "def handler(event, context):\n"
    "    # stand-in: a real skimmer would post os.environ to its server; this one counts it\n"
    '    return {"statusCode": 200, "body": str(len(os.environ))}\n'
)
EXPORTER = (
    '"""reports-nightly (tampered; lambda-ir stand-in, inert)."""\n\n'
    "def handler(event, context):\n"
    "    # stand-in: a real one would copy the night's report elsewhere; this one does not\n"
    '    return {"statusCode": 200, "body": "ok"}\n'
)
BACKDOOR = (
    '"""image-thumbnailer (tampered; lambda-ir stand-in, inert)."""\n'
    "import os\n\n"
    "def handler(event, context):\n"
    "    # stand-in: a real backdoor would run the 'cmd' field; this one only echoes it\n"
    '    return {"statusCode": 200, "body": str(event.get("cmd", ""))}\n'
)


def _record(life: Life, actor: Actor, ident: str, title: str, event: str, fn: str) -> None:
    life.techniques.append(
        Technique(
            f"busy.{ident}",
            title,
            event,
            actor.arn,
            actor.access_key_id,
            actor.source_ip,
            life.clock.now(),
            ("T1546",),
            FunctionRef(life.target.account_id, REGION, fn),
        )
    )


def _recon(lam: Any, life: Life, names: tuple[str, ...]) -> None:
    lam.list_functions()
    for name in names:
        life.clock.advance(4)
        lam.get_function(FunctionName=name)
        lam.get_function_configuration(FunctionName=name)
        # Most functions have no resource policy: AWS answers 404 and CloudTrail logs it.
        with contextlib.suppress(ClientError):
            lam.get_policy(FunctionName=name, Qualifier="live")
        lam.list_aliases(FunctionName=name)
        lam.list_versions_by_function(FunctionName=name)


def _dormant(life: Life) -> None:
    user = life.cast.dormant
    actor = Actor(user.name, user.arn, user.credentials, DORMANT_IP, DORMANT_AGENT)
    lam = life.cast.as_actor(actor).client("lambda", REGION)
    _recon(lam, life, ("payments-webhook", "checkout-api", "ledger-sync"))
    life.clock.advance(240)
    current = lam.get_function_configuration(FunctionName="payments-webhook")
    variables = dict(current.get("Environment", {}).get("Variables", {}))
    variables["PAYMENTS_FORWARD_URL"] = f"https://{DORMANT_IP}/hook"
    life.clock.advance(30)
    lam.update_function_configuration(
        FunctionName="payments-webhook", Environment={"Variables": variables}
    )
    _record(
        life,
        actor,
        "dormant-config",
        "Dormant user's key changes payments-webhook",
        "UpdateFunctionConfiguration20150331v2",
        "payments-webhook",
    )
    life.clock.advance(45)
    lam.add_permission(
        FunctionName="payments-webhook",
        StatementId="partner-sync",
        Action="lambda:InvokeFunction",
        Principal=LOOKALIKE_ACCOUNT,
    )
    _record(
        life,
        actor,
        "dormant-permission",
        "Another account may invoke payments-webhook",
        "AddPermission20150331v2",
        "payments-webhook",
    )


def _lookalike(life: Life) -> None:
    arn = life.publish(LOOKALIKE)
    life.clock.advance(2 * 3600)
    clients = life.cast.ci(99)
    lam = clients.client("lambda", REGION)
    lam.get_function(FunctionName="ledger-sync")
    life.clock.advance(3)
    layers = [arn, life.vendor_arns["datadog-extension"]]
    lam.update_function_configuration(FunctionName="ledger-sync", Layers=layers)
    _record(
        life,
        clients.actor,
        "lookalike-layer",
        "Datadog look-alike layer attached",
        "UpdateFunctionConfiguration20150331v2",
        "ledger-sync",
    )
    life.clock.advance(3)
    version = lam.publish_version(FunctionName="ledger-sync")["Version"]
    life.versions["ledger-sync"] = int(version)
    life.clock.advance(2)
    lam.update_alias(FunctionName="ledger-sync", Name="live", FunctionVersion=str(version))


def _stolen_role(life: Life) -> None:
    service = ActorClients(
        life.target, lambda_service(life.target), life.clock, life.cast.owner.loader
    )
    actor = assume_role_actor(
        service.client("sts"),
        life.roles["checkout-api"],
        "checkout-api",
        name="role-thief",
        source_ip=ROLE_THIEF_IP,
        user_agent=ROLE_THIEF_AGENT,
    )
    lam = life.cast.as_actor(actor).client("lambda", REGION)
    _recon(lam, life, ("image-thumbnailer", "cart-service"))
    life.clock.advance(180)
    answer = lam.update_function_code(
        FunctionName="image-thumbnailer",
        ZipFile=build_zip({"app.py": BACKDOOR}),
        Publish=True,
    )
    _record(
        life,
        actor,
        "role-code",
        "Stolen execution role replaces image-thumbnailer's code",
        "UpdateFunctionCode20150331v2",
        "image-thumbnailer",
    )
    life.clock.advance(20)
    lam.update_alias(
        FunctionName="image-thumbnailer", Name="live", FunctionVersion=answer["Version"]
    )
    life.clock.advance(30)
    lam.create_function_url_config(FunctionName="image-thumbnailer", AuthType="NONE")
    lam.add_permission(
        FunctionName="image-thumbnailer",
        StatementId="public-url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    _record(
        life,
        actor,
        "role-url",
        "Unauthenticated URL opened on image-thumbnailer",
        "CreateFunctionUrlConfig20211031",
        "image-thumbnailer",
    )


def _ci_keys(life: Life) -> None:
    clients = life.cast.ci(87, source_ip=CI_THIEF_IP)  # a run's keys, used elsewhere
    lam = clients.client("lambda", REGION)
    lam.get_function(FunctionName="search-indexer")
    life.clock.advance(3)
    answer = lam.update_function_code(
        FunctionName="search-indexer", ZipFile=build_zip({"app.py": SKIMMER}), Publish=True
    )
    life.versions["search-indexer"] = int(answer["Version"])
    _record(
        life,
        clients.actor,
        "cikeys-code",
        "Stolen CI keys release search-indexer from another network",
        "UpdateFunctionCode20150331v2",
        "search-indexer",
    )
    life.clock.advance(2)
    lam.update_alias(FunctionName="search-indexer", Name="live", FunctionVersion=answer["Version"])


def _stack_keys(life: Life) -> None:
    actor = assume_role_actor(
        life.cast.owner.client("sts"),
        life.cast.ci_role,
        "gha-run-4242",  # a run's keys, used elsewhere
        name="stack-thief",
        source_ip=STACK_THIEF_IP,
        user_agent=STACK_THIEF_AGENT,
    )
    app = next(app for app in CFN_APPS if app.name == "reports-nightly")
    number = life.versions[app.name] + 1
    life.stack(life.cast.as_actor(actor), app, number)
    _record(
        life,
        actor,
        "stack-update",
        "Stolen CI keys update reports-nightly's stack from another network",
        "UpdateStack",
        app.name,
    )
    cfn = life.lam(life.cast.service("cloudformation.amazonaws.com"))
    cfn.update_function_code(FunctionName=app.name, ZipFile=build_zip({"app.py": EXPORTER}))
    life.clock.advance(20)
    life.versions[app.name] = int(cfn.publish_version(FunctionName=app.name)["Version"])


def plan(schedule: Schedule, life: Life, now: datetime) -> None:
    """Put the five intrusions on the schedule."""
    steps: tuple[tuple[datetime, Callable[[Life], None]], ...] = (
        (day_at(now, 9, 13, 20), _lookalike),
        (day_at(now, 8, 3, 5), _stack_keys),
        (day_at(now, 5, 21, 40), _stolen_role),
        (day_at(now, 3, 12, 35), _ci_keys),
        (day_at(now, 2, 2, 10), _dormant),
    )
    for when, intrusion in steps:
        schedule.add(when, lambda intrusion=intrusion: intrusion(life))  # type: ignore[misc]


def dormant_warm_up(schedule: Schedule, life: Life, now: datetime) -> None:
    """The dormant user's one honest use, 29 days ago from the office, with the CLI."""

    def use() -> None:
        lam = life.cast.as_actor(life.cast.dormant).client("lambda", REGION)
        lam.get_function(FunctionName="payments-webhook")
        life.clock.advance(60)
        lam.update_function_configuration(FunctionName="payments-webhook", MemorySize=512)

    schedule.add(day_at(now, 29, 11, 5), use)
