"""Scenario `stratus`: Stratus Red Team's three Lambda persistence techniques, through the API.

The content is ours; the API calls mirror what DataDog's Stratus Red Team does
(`v2/internal/attacktechniques/aws/persistence/lambda-*`): a red-team IAM user warms up with
Terraform (functions, roles, an extension layer), then detonates from the same address with
the `stratus-red-team_<uuid>` user agent:
- `aws.persistence.lambda-backdoor-function`: `AddPermission(StatementId="backdoor",
  Action="lambda:InvokeFunction", Principal="*")`. Stratus describes an external account but
  its code grants `*` (as its published detonation log shows), and so do we.
- `aws.persistence.lambda-overwrite-code`: `UpdateFunctionCode(ZipFile=…, Publish=True)`.
- `aws.persistence.lambda-layer-extension`: `UpdateFunctionConfiguration(FunctionName=<ARN>,
  Layers=[<layer with extensions/>])`; the code hash does not change.
Logs after detonation show the overwritten handler's output and the extension's
`EXTENSION … State: Ready` line. Detonation is two days ago.
"""

from __future__ import annotations

import random
import uuid
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
    lambda_service,
)
from lambda_ir.emulator.scenarios.code import build_zip
from lambda_ir.emulator.scenarios.estate import CI_AGENT
from lambda_ir.emulator.scenarios.logs import LogTarget, write_invocation_logs
from lambda_ir.emulator.scenarios.result import Actor, ScenarioResult, Technique
from lambda_ir.emulator.scenarios.standins import (
    STRATUS_EXTENSION_NAME,
    stratus_extension_layer_zip,
    stratus_overwrite_zip,
)
from lambda_ir.emulator.scenarios.traffic import TrafficProfile, plan_sandboxes
from lambda_ir.model import FunctionRef

REGION = "us-east-1"
OPERATOR = "red-team-operator"
OPERATOR_IP = "203.0.113.200"
BACKDOOR_FUNCTION = "stratus-red-team-backdoor-f-func"
OVERWRITE_FUNCTION = "stratus-red-team-olc-func-qwnfzxkpab"
EXTENSION_FUNCTION = "stratus-red-team-lambda-layer-simpleLambda"
EXTENSION_LAYER = "stratus-red-team-lambda-layer-my-lambda-extension"
WARM_UP = (
    (BACKDOOR_FUNCTION, "python3.12", "lambda.lambda_handler", 3),
    (OVERWRITE_FUNCTION, "python3.9", "lambda.lambda_handler", 3),
    (EXTENSION_FUNCTION, "python3.10", f"{EXTENSION_FUNCTION}.handler", 20),
)
WARM_UP_SOURCE = "def lambda_handler(event, context):\n    return {'statusCode': 200}\n"


def _stratus_agent(rng: random.Random) -> str:
    return f"stratus-red-team_{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _warm_up(terraform: ActorClients, account: str) -> tuple[dict[str, str], str]:
    """Terraform's part: roles, the three functions (published) and the extension layer."""
    lam = terraform.client("lambda", REGION)
    arns = {}
    for name, runtime, handler, timeout in WARM_UP:
        terraform.clock.advance(3)
        role = deploy.create_execution_role(
            terraform.client("iam"),
            f"{name[:40]}-role",
            [_logs_statement(account, name)],
            {"StratusRedTeam": "true"},
        )
        terraform.clock.advance(9)  # IAM propagation, as Terraform waits for it
        module = handler.split(".")[0]
        answer = lam.create_function(
            FunctionName=name,
            Runtime=runtime,
            Handler=handler,
            Role=role,
            Timeout=timeout,
            Code={"ZipFile": build_zip({f"{module}.py": WARM_UP_SOURCE})},
            Publish=True,
            Tags={"StratusRedTeam": "true"},
        )
        arns[name] = answer["FunctionArn"]
    terraform.clock.advance(4)
    layer = lam.publish_layer_version(
        LayerName=EXTENSION_LAYER,
        Content={"ZipFile": stratus_extension_layer_zip()},
        CompatibleRuntimes=["python3.10"],
    )["LayerVersionArn"]
    return arns, str(layer)


def _logs_statement(account: str, name: str) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"arn:aws:logs:{REGION}:{account}:log-group:/aws/lambda/{name}:*",
    }


# Stratus Red Team's own names for its techniques.
TITLES = {
    "aws.persistence.lambda-backdoor-function": (
        "Backdoor Lambda Function Through Resource-Based Policy"
    ),
    "aws.persistence.lambda-overwrite-code": "Overwrite Lambda Function Code",
    "aws.persistence.lambda-layer-extension": "Add a Malicious Lambda Extension",
}


def _technique(operator: ActorClients, ident: str, event: str, function: FunctionRef) -> Technique:
    actor = operator.actor
    return Technique(
        id=ident,
        title=TITLES[ident],
        event_name=event,
        actor_arn=actor.arn,
        access_key_id=actor.access_key_id,
        source_ip=actor.source_ip,
        time=operator.clock.now(),
        attack=("T1546",),
        function=function,
    )


def _detonate(
    operator: ActorClients, arns: dict[str, str], layer: str, account: str
) -> list[Technique]:
    """The three detonations, five minutes apart, exactly as Stratus calls the API."""
    lam = operator.client("lambda", REGION)
    operator.clock.advance(60)
    lam.add_permission(
        FunctionName=BACKDOOR_FUNCTION,
        Action="lambda:InvokeFunction",
        Principal="*",
        StatementId="backdoor",
    )
    backdoor = _technique(
        operator,
        "aws.persistence.lambda-backdoor-function",
        "AddPermission20150331v2",
        FunctionRef(account, REGION, BACKDOOR_FUNCTION),
    )
    operator.clock.advance(300)
    answer = lam.update_function_code(
        FunctionName=OVERWRITE_FUNCTION, Publish=True, ZipFile=stratus_overwrite_zip()
    )
    overwrite = _technique(
        operator,
        "aws.persistence.lambda-overwrite-code",
        "UpdateFunctionCode20150331v2",
        FunctionRef(account, REGION, OVERWRITE_FUNCTION, str(answer["Version"])),
    )
    operator.clock.advance(300)
    lam.update_function_configuration(FunctionName=arns[EXTENSION_FUNCTION], Layers=[layer])
    extension = _technique(
        operator,
        "aws.persistence.lambda-layer-extension",
        "UpdateFunctionConfiguration20150331v2",
        FunctionRef(account, REGION, EXTENSION_FUNCTION),
    )
    return [backdoor, overwrite, extension]


def _after_logs(target: Target, start: datetime, now: datetime, rng: random.Random) -> list[str]:
    clock = ScenarioClock(start)
    logs = ActorClients(target, lambda_service(target), clock).client("logs", REGION)
    window = (start, min(now, start + timedelta(hours=20)))
    written = []
    for name, runtime, timeout, extensions, line in (
        (
            OVERWRITE_FUNCTION,
            "python3.9",
            3,
            (),
            "lambda-ir stratus scenario: this function's code was overwritten",
        ),
        (
            EXTENSION_FUNCTION,
            "python3.10",
            20,
            (STRATUS_EXTENSION_NAME,),
            f"[{STRATUS_EXTENSION_NAME}] received INVOKE",
        ),
    ):
        log_target = LogTarget(name, runtime, 128, timeout, REGION, "$LATEST", None, extensions)
        profile = TrafficProfile((1.2, 40.0), (36, 48), (90.0, 260.0), (line,))
        sandboxes = plan_sandboxes(rng, window, profile, sandboxes=2, invocations=3, memory_cap=128)
        written.append(write_invocation_logs(logs, log_target, sandboxes).log_group)
    return written


def stratus(
    emulator: Target, prior: Sequence[ScenarioResult] = (), *, now: datetime | None = None
) -> ScenarioResult:
    """Seed Stratus Red Team's Lambda persistence techniques (content is ours), two days ago."""
    del prior
    now = now or datetime.now(UTC)
    rng = random.Random("stratus")  # noqa: S311 (reproducible content)
    start = (now - timedelta(days=2, hours=1)).replace(microsecond=0)
    clock = ScenarioClock(start)
    owner = ActorClients(emulator, admin(emulator), clock)
    operator = create_user_actor(
        owner.client("iam"),
        OPERATOR,
        source_ip=OPERATOR_IP,
        user_agent=_stratus_agent(rng),
        tags={"team": "red-team"},
    )
    clock.advance(600)
    terraform = Actor(OPERATOR, operator.arn, operator.credentials, OPERATOR_IP, CI_AGENT)
    arns, layer = _warm_up(ActorClients(emulator, terraform, clock), emulator.account_id)
    clock.advance(120)
    techniques = _detonate(
        ActorClients(emulator, operator, clock), arns, layer, emulator.account_id
    )
    groups = _after_logs(emulator, clock.now() + timedelta(minutes=5), now, rng)
    account = emulator.account_id
    return ScenarioResult(
        name="stratus",
        account_id=account,
        regions=(REGION,),
        functions=tuple(FunctionRef(account, REGION, name) for name, *_ in WARM_UP),
        actors=(operator,),
        attacker=operator,
        compromised=tuple(t.function for t in techniques if t.function is not None),
        clean_versions=(FunctionRef(account, REGION, OVERWRITE_FUNCTION, "1"),),
        techniques=tuple(techniques),
        layers=(layer,),
        log_groups=tuple((REGION, group) for group in groups),
        window=(start, now),
    )
