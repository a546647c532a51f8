"""Scenario `hostile`: evidence written to attack the responder's terminal and files.

The content is ours.
Every string the attacker controls carries terminal controls: ESC sequences (OSC title,
CSI screen clear), 8-bit C1 controls (U+009B CSI, U+0085 NEL), bidi overrides and isolates
(U+202E, U+2066-U+2069), CR, LF, BS, BEL, NUL and DEL, and a line that fakes a finding.
From a stolen user's keys (its user agent carries ESC, BEL and C1; HTTP headers cannot
carry CR, LF, NUL or non-Latin-1), the attacker asks for a function whose name is all of
them (refused, but recorded by CloudTrail), publishes a layer whose description and file
names carry them, and creates a function whose description, environment values, tags, code
file names and code, and log lines carry them; anyone may invoke it. Standalone: no estate.
Nothing here runs: the package is data in a zip.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from lambda_ir.emulator.scenarios.actors import ActorClients, ScenarioClock, Target, admin
from lambda_ir.emulator.scenarios.actors import create_user_actor as _create_user
from lambda_ir.emulator.scenarios.attacker import Attack
from lambda_ir.emulator.scenarios.code import build_zip
from lambda_ir.emulator.scenarios.deploy import LAMBDA_TRUST
from lambda_ir.emulator.scenarios.result import Actor, ScenarioResult

REGION = "us-east-1"
FUNCTION = "orders-hostile"
LAYER = "hostile-layer"
USER = "mallory"
ATTACKER_IP = "203.0.113.77"
# Every control a value can carry, and a line that fakes a finding after a line break.
HOSTILE = (
    "\x1b]0;PWNED\x07\x1b[2J\x9b31m\x85\u202e\u2066\u2069\r\x08\x07\x00\x7f"
    "\n  critical LIR-FAKE-001 all clear"
)
# What a User-Agent header can carry (no CR, LF or NUL; Latin-1 only).
ATTACKER_AGENT = "curl/8.4.0 \x1b]0;PWNED\x07\x1b[2J\x9b31m\x85\x7f"
# Code with the controls in its strings, comments and an exfiltration URL.
CODE = (
    "import os\n"
    f"BANNER = {HOSTILE!r}\n"
    f"# {HOSTILE.replace(chr(10), ' ')}\n"
    "EXFIL = 'https://203.0.113.77/\x1b]0;x\x07'\n"
    "def handler(event, context):\n"
    "    return os.environ.get('NOTE')\n"
)


def hostile_zip() -> bytes:
    """The function's package: a handler, and files whose names carry the controls."""
    return build_zip(
        {
            "handler.py": CODE,
            f"notes{HOSTILE}.txt": HOSTILE,
            "lib/\x1b]0;PWNED\x07\u202eyp.evil": "x",
        }
    )


def _stolen_user(emulator: Target, now: datetime) -> Actor:
    owner = ActorClients(emulator, admin(emulator), ScenarioClock(now - timedelta(days=30)))
    iam = owner.client("iam")
    user = _create_user(
        iam, USER, source_ip=ATTACKER_IP, user_agent=ATTACKER_AGENT, tags={"team": "ops"}
    )
    iam.attach_user_policy(UserName=USER, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    return Actor("attacker", user.arn, user.credentials, ATTACKER_IP, ATTACKER_AGENT)


def _probe(attack: Attack) -> None:
    """Ask for a function named with the controls: refused, and recorded in CloudTrail."""
    attack.step(5)
    with contextlib.suppress(ClientError):
        attack.lam(REGION).get_function(FunctionName=f"orders{HOSTILE}")


def _layer(attack: Attack) -> str:
    attack.step(20)
    layer = attack.lam(REGION).publish_layer_version(
        LayerName=LAYER,
        Description=HOSTILE,
        Content={"ZipFile": build_zip({f"python/{HOSTILE}.py": HOSTILE})},
        CompatibleRuntimes=["python3.12"],
    )
    return str(layer["LayerVersionArn"])


def _function(attack: Attack, layer_arn: str) -> None:
    iam = attack.clients.client("iam")
    attack.step(15)
    role = iam.create_role(
        RoleName=f"{FUNCTION}-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
    )["Role"]["Arn"]
    attack.step(10)
    lam = attack.lam(REGION)
    lam.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": hostile_zip()},
        Description=HOSTILE,
        Environment={"Variables": {"NOTE": HOSTILE, "NODE_OPTIONS": f"--require {HOSTILE}"}},
        Tags={"owner": HOSTILE},
        Layers=[layer_arn],
    )
    attack.record(
        "hostile.create-function",
        "Function created with hostile strings everywhere",
        "CreateFunction20150331",
        ("T1648",),
        attack.ref(REGION, FUNCTION),
    )
    attack.step(8)
    lam.add_permission(
        FunctionName=FUNCTION,
        StatementId="open",
        Action="lambda:InvokeFunction",
        Principal="*",
    )


def _logs(emulator: Target, when: datetime) -> str:
    group = f"/aws/lambda/{FUNCTION}"
    logs = ActorClients(emulator, admin(emulator), ScenarioClock(when)).client("logs", REGION)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="2026/01/01/[$LATEST]hostile")
    stamp = int(when.timestamp() * 1000)
    messages = [
        f"START RequestId: 1 Version: $LATEST {HOSTILE}",
        f"ERROR {HOSTILE}",
        f"connecting to 203.0.113.77:4444 {HOSTILE}",
        "END RequestId: 1",
    ]
    logs.put_log_events(
        logGroupName=group,
        logStreamName="2026/01/01/[$LATEST]hostile",
        logEvents=[{"timestamp": stamp + n, "message": m} for n, m in enumerate(messages)],
    )
    return group


def hostile(
    emulator: Target, prior: Sequence[ScenarioResult] = (), *, now: datetime | None = None
) -> ScenarioResult:
    """Seed the hostile-strings scenario (content is ours; inert: nothing in it is run)."""
    del prior  # standalone
    now = now or datetime.now(UTC)
    attacker = _stolen_user(emulator, now)
    start = (now - timedelta(hours=2)).replace(microsecond=0)
    attack = Attack(emulator, attacker, ScenarioClock(start))
    _probe(attack)
    layer = _layer(attack)
    _function(attack, layer)
    group = _logs(emulator, attack.clock.now() + timedelta(minutes=1))
    ref = attack.ref(REGION, FUNCTION)
    return ScenarioResult(
        name="hostile",
        account_id=emulator.account_id,
        regions=(REGION,),
        functions=(ref,),
        actors=(attacker,),
        attacker=attacker,
        compromised=(ref,),
        techniques=tuple(attack.done),
        layers=(layer,),
        log_groups=((REGION, group),),
        window=(start, attack.clock.now()),
    )
