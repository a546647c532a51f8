"""Scenario `denonia`: stolen CI keys turn `image-resizer` into a cryptominer, three days ago.

The content is ours, in the style Cado Security described for Denonia (April 2022); the
uploaded package is an inert stand-in carrying the published indicators (see `standins.py`),
never malware. From an attacker address (203.0.113.66, a documentation range) with a Kali
AWS CLI user agent, the `ci-deployer` user's stolen keys: look around (GetCallerIdentity,
ListFunctions in both regions, GetFunction), replace the function's code with the miner,
raise Timeout to 900 s and MemorySize to 3,008 MB on a custom runtime, publish the version,
allow anyone to invoke it (`Principal: *`), and open an unauthenticated function URL. The
attacker then uses the function's execution-role credentials (lifted from the miner's
environment) from the same address to enumerate IAM. The logs show back-to-back invocations
running into the 900-second timeout, with XMRig's output and the DNS-over-HTTPS lookup.
Runs on top of `estate` (pass its result in `prior`) or alone (seeds a ten-function estate).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from lambda_ir.emulator.scenarios.actors import (
    ActorClients,
    ScenarioClock,
    Target,
    assume_role_actor,
    lambda_service,
)
from lambda_ir.emulator.scenarios.attacker import Attack
from lambda_ir.emulator.scenarios.deploy import role_name
from lambda_ir.emulator.scenarios.estate import ground
from lambda_ir.emulator.scenarios.logs import LogTarget, write_invocation_logs
from lambda_ir.emulator.scenarios.miner_logs import plan_miner_sandboxes
from lambda_ir.emulator.scenarios.result import Actor, ScenarioResult
from lambda_ir.emulator.scenarios.standins import denonia_zip
from lambda_ir.model import FunctionRef

TARGET_FUNCTION = "image-resizer"
TARGET_REGION = "us-east-1"
ATTACKER_IP = "203.0.113.66"
ATTACKER_AGENT = (
    "aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off"
)
SCRIPT_AGENT = (
    "Boto3/1.28.57 md/Botocore#1.31.57 ua/2.0 os/linux#6.5.0-kali3-amd64 md/arch#x86_64 "
    "lang/python#3.11.5 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.57"
)
MINER_TIMEOUT = 900
MINER_MEMORY = 3008


def _recon(attack: Attack, fn: FunctionRef) -> None:
    attack.clients.client("sts").get_caller_identity()
    for region in ("us-east-1", "eu-west-1"):
        attack.step(6)
        attack.clients.client("lambda", region).list_functions()
        if region == "us-east-1":
            attack.record(
                "denonia.recon",
                "Stolen CI keys used to list functions",
                "ListFunctions20150331",
                ("T1078.004", "T1526"),
                None,
            )
    attack.step(41)
    attack.clients.client("lambda", fn.region).get_function(FunctionName=fn.name)


def _implant(attack: Attack, fn: FunctionRef) -> str:
    lam = attack.clients.client("lambda", fn.region)
    attack.step(95)
    lam.update_function_code(FunctionName=fn.name, ZipFile=denonia_zip())
    attack.record(
        "denonia.update-code",
        "Function code replaced with a cryptominer",
        "UpdateFunctionCode20150331v2",
        ("T1648", "T1496"),
        fn,
    )
    attack.step(22)
    lam.update_function_configuration(
        FunctionName=fn.name,
        Timeout=MINER_TIMEOUT,
        MemorySize=MINER_MEMORY,
        Runtime="provided.al2023",
        Handler="bootstrap",
    )
    attack.record(
        "denonia.raise-limits",
        "Timeout and memory raised to the maximum",
        "UpdateFunctionConfiguration20150331v2",
        ("T1496",),
        fn,
    )
    attack.step(9)
    version = str(lam.publish_version(FunctionName=fn.name)["Version"])
    attack.record(
        "denonia.publish",
        "Miner published as a new version",
        "PublishVersion20150331",
        ("T1648",),
        FunctionRef(fn.account, fn.region, fn.name, version),
    )
    return version


def _expose(attack: Attack, fn: FunctionRef) -> None:
    lam = attack.clients.client("lambda", fn.region)
    attack.step(37)
    lam.add_permission(
        FunctionName=fn.name,
        StatementId="allow-all-invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
    )
    attack.record(
        "denonia.public-policy",
        "Resource policy lets anyone invoke the function",
        "AddPermission20150331v2",
        ("T1098",),
        fn,
    )
    attack.step(14)
    lam.create_function_url_config(FunctionName=fn.name, AuthType="NONE")
    attack.record(
        "denonia.public-url",
        "Unauthenticated function URL created",
        "CreateFunctionUrlConfig",
        ("T1133",),
        fn,
    )
    attack.step(3)
    lam.add_permission(
        FunctionName=fn.name,
        StatementId="FunctionURLAllowPublicAccess",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )


def _role_discovery(emulator: Target, attack: Attack, fn: FunctionRef) -> Actor:
    role = role_name(fn.name, fn.region)
    service = ActorClients(emulator, lambda_service(emulator), attack.clock)
    role_arn = f"arn:aws:iam::{fn.account}:role/lambda/{role}"
    session = assume_role_actor(
        service.client("sts"),
        role_arn,
        fn.name,
        name="stolen-role-session",
        source_ip=ATTACKER_IP,
        user_agent=SCRIPT_AGENT,
    )
    thief = Attack(emulator, session, attack.clock)
    attack.step(1500)
    thief.clients.client("sts").get_caller_identity()
    iam = thief.clients.client("iam")
    thief.step(2)
    iam.list_users()
    thief.record(
        "denonia.role-discovery",
        "Execution-role credentials used to enumerate IAM",
        "ListUsers",
        ("T1552.005", "T1087.004"),
        fn,
    )
    for call, kwargs in (
        ("list_roles", {}),
        ("list_attached_role_policies", {"RoleName": role}),
        ("list_role_policies", {"RoleName": role}),
    ):
        thief.step(2)
        getattr(iam, call)(**kwargs)
    attack.done.extend(thief.done)
    return session


def denonia(
    emulator: Target, prior: Sequence[ScenarioResult] = (), *, now: datetime | None = None
) -> ScenarioResult:
    """Seed the Denonia-style incident (content is ours; the miner is an inert stand-in)."""
    now = now or datetime.now(UTC)
    base = ground(emulator, prior, now)
    fn = base.function(TARGET_FUNCTION, TARGET_REGION)
    ci = base.actor("ci-deployer")
    attacker = Actor("attacker", ci.arn, ci.credentials, ATTACKER_IP, ATTACKER_AGENT)
    start = (now - timedelta(days=3)).replace(hour=2, minute=13, second=7, microsecond=0)
    clock = ScenarioClock(start)
    attack = Attack(emulator, attacker, clock)
    _recon(attack, fn)
    clean = _last_version(attack, fn)
    version = _implant(attack, fn)
    _expose(attack, fn)
    session = _role_discovery(emulator, attack, fn)
    group = _miner_logs(emulator, fn, start + timedelta(minutes=9), now)
    return ScenarioResult(
        name="denonia",
        account_id=emulator.account_id,
        regions=(fn.region,),
        functions=(fn,),
        actors=(attacker, session),
        attacker=attacker,
        compromised=(FunctionRef(fn.account, fn.region, fn.name, version),),
        clean_versions=(FunctionRef(fn.account, fn.region, fn.name, clean),),
        techniques=tuple(attack.done),
        log_groups=((fn.region, group),),
        trail_bucket=base.trail_bucket,
        base=base,
        window=(start, now),
    )


def _last_version(attack: Attack, fn: FunctionRef) -> str:
    lam = attack.clients.client("lambda", fn.region)
    attack.step(30)
    versions = lam.list_versions_by_function(FunctionName=fn.name)["Versions"]
    return str(max((v["Version"] for v in versions if v["Version"] != "$LATEST"), key=int))


def _miner_logs(emulator: Target, fn: FunctionRef, start: datetime, now: datetime) -> str:
    rng = random.Random(f"denonia-{fn.arn}")  # noqa: S311 (reproducible content, not secrets)
    sandboxes = plan_miner_sandboxes(
        rng, start, now, timeout_s=MINER_TIMEOUT, memory_mb=MINER_MEMORY
    )
    target = LogTarget(fn.name, "provided.al2023", MINER_MEMORY, MINER_TIMEOUT, fn.region)
    clock = ScenarioClock(start)
    service = ActorClients(emulator, lambda_service(emulator), clock)
    logs = service.client("logs", fn.region)
    for sandbox in sandboxes:
        clock.jump(max(sandbox.started, clock.now()))
        # The estate's pipeline created the group; Lambda only adds streams.
        write_invocation_logs(logs, target, [sandbox], create_group=False)
    return target.group
