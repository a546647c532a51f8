"""Who acts in the `busy` scenario: CI, CloudFormation, CodeDeploy, developers, vendors.

Each actor signs with its own keys (role sessions from `sts:AssumeRole`, IAM user keys) and
sends its own address and user agent. CloudFormation and CodeDeploy act as CloudTrail shows
them: each assumes its service role in the account (an `AWSService` AssumeRole), then calls Lambda
with that role's session, logged with the service as `invokedBy`, source address and agent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambda_ir.emulator.scenarios.actors import (
    ADMIN_KEYS,
    ActorClients,
    ScenarioClock,
    Target,
    assume_role_actor,
    create_user_actor,
)
from lambda_ir.emulator.scenarios.deploy import LAMBDA_TRUST
from lambda_ir.emulator.scenarios.estate import CI_AGENT
from lambda_ir.emulator.scenarios.result import Actor, Credentials

CI_ROLE = "gha-terraform-deploy"
SSO_ROLE = "AWSReservedSSO_Developer_5f1d2e3a4b6c7d8e"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
CONSOLE_AGENT = "console.amazonaws.com"
OFFICE = "198.51.100.{host}"
RUNNERS = "192.0.2.{host}"
DEVELOPERS = {"alice@acme.example": 23, "bob@acme.example": 41}
DORMANT_USER = "ops-legacy"
DORMANT_AGENT = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off"
VENDOR_ROLE = "OrganizationAccountAccessRole"
# The service roles CloudFormation and CodeDeploy assume, and a session name for each (the
# names are ours: the baseline learns the role, never the session).
SERVICE_ROLES = {
    "cloudformation.amazonaws.com": ("cfn-stack-exec", "AWSCloudFormation"),
    "codedeploy.amazonaws.com": ("CodeDeployServiceRole", "AWSCodeDeploy"),
}
# Amazon Inspector's service-linked role (its path and name as AWS makes them) and the session
# its Lambda scans run under.
INSPECTOR = "inspector2.amazonaws.com"
INSPECTOR_PATH = f"/aws-service-role/{INSPECTOR}/"
INSPECTOR_ROLE = "AWSServiceRoleForAmazonInspector2"
LINKED_ROLES = {INSPECTOR: (f"{INSPECTOR_PATH[1:]}{INSPECTOR_ROLE}", "InspectorLambdaScan")}
TRUST_ANYONE_IN_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::{account}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}
DEPLOY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["lambda:*", "iam:*Role*", "iam:PassRole", "logs:*", "cloudformation:*"],
            "Resource": "*",
        }
    ],
}


@dataclass
class Cast:
    """The scenario's identities; `named` keeps every actor for the scenario's result."""

    target: Target
    owner: ActorClients
    clock: ScenarioClock
    ci_role: str
    sso_role: str
    dormant: Actor
    named: dict[str, Actor] = field(default_factory=dict)

    sessions: dict[str, ActorClients] = field(default_factory=dict)

    def _clients(self, actor: Actor) -> ActorClients:
        self.named.setdefault(actor.name, actor)
        return ActorClients(self.target, actor, self.clock, self.owner.loader)

    def _cached(self, key: str, make: Callable[[], ActorClients]) -> ActorClients:
        # One session per identity for the month: boto3 clients are slow to build.
        if key not in self.sessions:
            self.sessions[key] = make()
        return self.sessions[key]

    def ci(self, run: int, source_ip: str = "") -> ActorClients:
        """A CI run: a fresh session of the deploy role from one of the runners (or, with
        `source_ip`, from wherever its keys were taken to)."""
        actor = assume_role_actor(
            self.owner.client("sts"),
            self.ci_role,
            f"gha-run-{4100 + run}",
            name="ci",
            source_ip=source_ip or RUNNERS.format(host=10 + run % 40),
            user_agent=CI_AGENT,
        )
        return self._clients(actor)

    def developer(self, email: str) -> ActorClients:
        """A developer's SSO console session from the office."""
        return self._cached(email, lambda: self._developer(email))

    def _developer(self, email: str) -> ActorClients:
        actor = assume_role_actor(
            self.owner.client("sts"),
            self.sso_role,
            email,
            name=email.split("@")[0],
            source_ip=OFFICE.format(host=DEVELOPERS[email]),
            user_agent=CONSOLE_AGENT,
        )
        return self._clients(actor)

    def service(self, principal: str) -> ActorClients:
        """An AWS service acting for the account (CloudFormation, CodeDeploy) with a session
        of its service role, new each day, as the service assumes it for each deployment;
        Amazon Inspector with its service-linked role (made by `enable_inspector`)."""
        day = self.clock.now().date().isoformat()
        return self._cached(f"{principal} {day}", lambda: self._service(principal))

    def _service(self, principal: str) -> ActorClients:
        role, session = {**SERVICE_ROLES, **LINKED_ROLES}[principal]
        arn = f"arn:aws:iam::{self.target.account_id}:user/emulator-admin"
        itself = Actor(principal, arn, ADMIN_KEYS, principal, principal, invoked_by=principal)
        sts = ActorClients(self.target, itself, self.clock, self.owner.loader).client("sts")
        answer = sts.assume_role(
            RoleArn=f"arn:aws:iam::{self.target.account_id}:role/{role}", RoleSessionName=session
        )
        keys = answer["Credentials"]
        credentials = Credentials(
            keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]
        )
        actor = Actor(
            principal.split(".")[0],
            answer["AssumedRoleUser"]["Arn"],
            credentials,
            principal,
            principal,
            via_service=principal,
        )
        return self._clients(actor)

    def enable_inspector(self) -> None:
        """The account turns Amazon Inspector on: Inspector makes its service-linked role."""
        self.owner.client("iam").create_service_linked_role(AWSServiceName=INSPECTOR)

    def vendor(self, account: str) -> ActorClients:
        """The vendor's own account, publishing its layers."""
        return self._cached(account, lambda: self._vendor(account))

    def _vendor(self, account: str) -> ActorClients:
        answer = self.owner.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{VENDOR_ROLE}", RoleSessionName="publish"
        )
        keys = answer["Credentials"]
        credentials = Credentials(
            keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]
        )
        actor = Actor(
            f"vendor-{account}",
            answer["AssumedRoleUser"]["Arn"],
            credentials,
            "203.0.113.250",
            "aws-cli/2.17.0",
        )
        return ActorClients(self.target, actor, self.clock, self.owner.loader)

    def as_actor(self, actor: Actor) -> ActorClients:
        """Clients for an actor made elsewhere (an intruder)."""
        return self._clients(actor)


def _role(iam: Any, name: str, account: str, path: str = "/", service: str = "") -> str:
    """A role with the deploy policy, trusting the account (or only `service`)."""
    trust = json.dumps(TRUST_ANYONE_IN_ACCOUNT).replace("{account}", account)
    if service:
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
    arn = str(
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    )
    iam.put_role_policy(
        RoleName=name, PolicyName="deploy", PolicyDocument=json.dumps(DEPLOY_POLICY)
    )
    return arn


def cast_of(target: Target, owner: ActorClients, clock: ScenarioClock) -> Cast:
    """Set up the identities (administrator, 31 days ago): the CI role, the SSO role, the
    service roles of CloudFormation and CodeDeploy, and the `ops-legacy` user whose key an
    intruder will use."""
    iam = owner.client("iam")
    account = target.account_id
    ci_role = _role(iam, CI_ROLE, account)
    clock.advance(20)
    sso_role = _role(iam, SSO_ROLE, account, SSO_PATH)
    for service, (role, _) in SERVICE_ROLES.items():
        clock.advance(20)
        _role(iam, role, account, service=service)
    clock.advance(40)
    dormant = create_user_actor(
        iam,
        DORMANT_USER,
        source_ip=OFFICE.format(host=77),
        user_agent=DORMANT_AGENT,
        tags={"team": "ops", "owner": "legacy-scripts"},
    )
    iam.put_user_policy(
        UserName=DORMANT_USER, PolicyName="ops", PolicyDocument=json.dumps(DEPLOY_POLICY)
    )
    cast = Cast(target, owner, clock, ci_role, sso_role, dormant)
    cast.named[dormant.name] = dormant
    return cast


def execution_trust() -> str:
    """Lambda's trust policy for execution roles."""
    return json.dumps(LAMBDA_TRUST)
