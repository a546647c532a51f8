"""Who acts in a scenario: IAM users and role sessions with their own keys, address and clock.

Every call a scenario makes goes through boto3 over HTTP to the emulator, signed with the
actor's own access key so the emulator's CloudTrail attributes it; the source IP and the
(backdated) event time travel in the emulator's `x-lambda-ir-*` headers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from botocore.config import Config

from lambda_ir.emulator.client import session_for
from lambda_ir.emulator.scenarios.result import Actor, Credentials

# Unknown keys act as the emulator's administrator: the account owner who set things up.
ADMIN_KEYS = Credentials("AKIAEMULATORADMIN000", "emulator-admin-secret")
ADMIN_IP = "198.51.100.10"
ADMIN_AGENT = "aws-cli/2.17.20 Python/3.11.9 Darwin/23.5.0 exe/x86_64 prompt/off"
# The Lambda service's own address when it writes logs and assumes execution roles.
SERVICE_IP = "lambda.amazonaws.com"
SERVICE_AGENT = "lambda.amazonaws.com"
SERVICE_PRINCIPAL = "lambda.amazonaws.com"


class Target(Protocol):
    """The emulator a scenario seeds (`lambda_ir.emulator.server.Emulator` satisfies it)."""

    @property
    def endpoint_url(self) -> str:
        """Where boto3 sends requests (`http://127.0.0.1:<port>`)."""
        ...

    @property
    def account_id(self) -> str:
        """The account the emulator's default keys act in."""
        ...

    @property
    def model_loader(self) -> Any:
        """A botocore Loader every actor's session shares (each service model read once)."""
        ...


class ScenarioClock:
    """The scenario's notion of now: starts at a given UTC instant and only moves forward."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        """The current scenario time (what CloudTrail records as `eventTime`)."""
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move forward by `seconds` (a person typing, a pipeline step) and return the time."""
        self._now += timedelta(seconds=seconds)
        return self._now

    def jump(self, moment: datetime) -> None:
        """Move forward to `moment`; going back would reorder the story, so it is refused."""
        if moment < self._now:
            raise ValueError(f"scenario clock cannot go back from {self._now} to {moment}")
        self._now = moment


class ActorClients:
    """boto3 clients for one actor: one session (its model cache shared), one client per
    (service, region), every request stamped with the actor's address and the clock's time."""

    def __init__(
        self, target: Target, actor: Actor, clock: ScenarioClock, loader: Any = None
    ) -> None:
        self.target = target
        self.actor = actor
        self.clock = clock
        # A botocore Loader shared with other actors (`session_for`): the target's by default.
        self.loader = loader if loader is not None else target.model_loader
        self._session: Any = None
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str = "us-east-1") -> Any:
        """A client for `service` in `region`, signed with the actor's keys."""
        key = (service, region)
        if key not in self._clients:
            config = Config(retries={"max_attempts": 3, "mode": "standard"})
            self._clients[key] = self._open().client(service, region_name=region, config=config)
        return self._clients[key]

    def _open(self) -> Any:
        if self._session is None:
            credentials = self.actor.credentials
            self._session = session_for(
                self.target,
                credentials.access_key_id,
                credentials.secret_access_key,
                credentials.session_token,
                source_ip=self.actor.source_ip,
                event_time=self.clock.now,
                user_agent=self.actor.user_agent,
                invoked_by=self.actor.invoked_by or None,
                via_service=self.actor.via_service or None,
                loader=self.loader,
            )
        return self._session


def admin(target: Target) -> Actor:
    """The account's administrator (the emulator's `emulator-admin` user)."""
    arn = f"arn:aws:iam::{target.account_id}:user/emulator-admin"
    return Actor("emulator-admin", arn, ADMIN_KEYS, ADMIN_IP, ADMIN_AGENT)


def lambda_service(target: Target) -> Actor:
    """The Lambda service itself, which writes function logs and assumes execution roles.

    It signs with the admin keys, but its calls carry `invoked_by` so CloudTrail logs them
    as AWS does a service's calls (`AWSService`, `invokedBy: lambda.amazonaws.com`).
    """
    arn = f"arn:aws:iam::{target.account_id}:user/emulator-admin"
    return Actor(
        "lambda-service", arn, ADMIN_KEYS, SERVICE_IP, SERVICE_AGENT, invoked_by=SERVICE_PRINCIPAL
    )


def create_user_actor(
    iam: Any, name: str, *, source_ip: str, user_agent: str, tags: dict[str, str]
) -> Actor:
    """Create IAM user `name` and an access key for it (`iam:CreateUser`, `CreateAccessKey`)."""
    user = iam.create_user(
        UserName=name, Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    )["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    credentials = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    return Actor(name, user["Arn"], credentials, source_ip, user_agent)


def assume_role_actor(
    sts: Any, role_arn: str, session_name: str, *, name: str, source_ip: str, user_agent: str
) -> Actor:
    """A role session (`sts:AssumeRole`), as Lambda makes for a function's execution role."""
    answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)
    keys = answer["Credentials"]
    credentials = Credentials(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"])
    return Actor(name, answer["AssumedRoleUser"]["Arn"], credentials, source_ip, user_agent)
