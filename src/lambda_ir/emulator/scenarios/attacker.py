"""An attacker at a keyboard: one identity, one clock, and a record of each malicious step.

Shared by the incident scenarios; every call goes through boto3 over HTTP to the emulator,
signed with the attacker's (stolen) keys and sent from the attacker's address.
"""

from __future__ import annotations

import urllib.request
from typing import Any

from lambda_ir.emulator.scenarios.actors import ActorClients, ScenarioClock, Target
from lambda_ir.emulator.scenarios.result import Actor, Credentials, Technique
from lambda_ir.model import FunctionRef

LOOPBACK = ("http://127.0.0.1:", "http://localhost:")


class Attack:
    """The attacker's session: one clock, the stolen keys, and what was done so far."""

    def __init__(self, emulator: Target, actor: Actor, clock: ScenarioClock) -> None:
        self.emulator = emulator
        self.clients = ActorClients(emulator, actor, clock)
        self.actor = actor
        self.clock = clock
        self.done: list[Technique] = []

    def step(self, seconds: float) -> None:
        """A person at a keyboard: some seconds between commands."""
        self.clock.advance(seconds)

    def lam(self, region: str) -> Any:
        """The attacker's Lambda client in `region`."""
        return self.clients.client("lambda", region)

    def ref(self, region: str, name: str, qualifier: str | None = None) -> FunctionRef:
        """A function of the victim account."""
        return FunctionRef(self.emulator.account_id, region, name, qualifier)

    def as_keys(self, emulator: Target, keys: tuple[str, str, str]) -> Attack:
        """The same person, same address and clock, using other (temporary) keys."""
        credentials = Credentials(*keys)
        other = Actor(
            self.actor.name,
            self.actor.arn,
            credentials,
            self.actor.source_ip,
            self.actor.user_agent,
        )
        return Attack(emulator, other, self.clock)

    def download(self, url: str) -> bytes:
        """Fetch a code package from the emulator's `Code.Location` (loopback only)."""
        if not url.startswith(LOOPBACK):
            raise ValueError(f"refusing to fetch a non-emulator URL: {url!r}")
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback only)
            return bytes(response.read())

    def record(
        self,
        ident: str,
        title: str,
        event: str,
        attack: tuple[str, ...],
        function: FunctionRef | None,
    ) -> None:
        """Remember a malicious step at the current time, for the scenario's result."""
        self.done.append(
            Technique(
                ident,
                title,
                event,
                self.actor.arn,
                self.actor.access_key_id,
                self.actor.source_ip,
                self.clock.now(),
                attack,
                function,
            )
        )
