"""What a seeded scenario leaves behind, for tests to assert on: resources, actors, techniques."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lambda_ir.model import FunctionRef


@dataclass(frozen=True)
class Credentials:
    """An access key pair (and session token for role sessions); secrets never in repr."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Actor:
    """An identity that acts in a scenario, from one address with one user agent.

    `arn` is the IAM user or role ARN CloudTrail shows (for a role session, the role's
    `assumed-role/<role>/<session>` ARN); the keys exist in the emulator only.
    """

    name: str
    arn: str
    credentials: Credentials
    source_ip: str
    user_agent: str
    invoked_by: str = ""  # an AWS service principal: its calls log as `AWSService`
    via_service: str = ""  # a service acting with these credentials: logged as its `invokedBy`

    @property
    def access_key_id(self) -> str:
        """The access key id CloudTrail shows for this actor's calls."""
        return self.credentials.access_key_id


@dataclass(frozen=True)
class Technique:
    """One malicious step a scenario performed, where and when: what a detector should find.

    `event_name` is CloudTrail's spelling (with Lambda's version suffix); `attack` holds
    MITRE ATT&CK ids; `function` is qualified when the step targeted one version or alias.
    """

    id: str
    title: str
    event_name: str
    actor_arn: str
    access_key_id: str
    source_ip: str
    time: datetime
    attack: tuple[str, ...] = ()
    function: FunctionRef | None = None


@dataclass(frozen=True)
class ScenarioResult:
    """Everything a test needs about a seeded scenario.

    `compromised` lists tampered functions, qualified with the malicious version when one was
    published; `clean_versions` names, per compromised function, a version still holding the
    original code. `log_groups` holds `(region, group)` pairs; `base` is the estate an incident
    was seeded on (seeded by the incident itself when it ran alone). Times are UTC; `window` spans
    the scenario's recorded activity.
    """

    name: str
    account_id: str
    regions: tuple[str, ...]
    functions: tuple[FunctionRef, ...]
    actors: tuple[Actor, ...] = ()
    attacker: Actor | None = None
    compromised: tuple[FunctionRef, ...] = ()
    clean_versions: tuple[FunctionRef, ...] = ()
    techniques: tuple[Technique, ...] = ()
    layers: tuple[str, ...] = ()
    log_groups: tuple[tuple[str, str], ...] = ()
    trail_bucket: str | None = None
    window: tuple[datetime, datetime] | None = None
    base: ScenarioResult | None = None

    def actor(self, name: str) -> Actor:
        """The actor called `name` (`ci-deployer`, `attacker-role-session`, …)."""
        for actor in self.actors:
            if actor.name == name:
                return actor
        raise KeyError(name)

    def function(self, name: str, region: str | None = None) -> FunctionRef:
        """The unqualified reference of the function called `name` (first region if omitted)."""
        for ref in self.functions:
            if ref.name == name and (region is None or ref.region == region):
                return ref
        raise KeyError(name)
