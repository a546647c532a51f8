"""Scripted incident scenarios for the emulated account (content is ours).

    from lambda_ir.emulator.scenarios import seed
    estate, incident = seed(emulator, ["estate", "denonia"])

- `estate`: a benign estate of Python, Node.js and container functions in two regions.
- `denonia`: stolen CI keys turn `image-resizer` into an (inert) cryptominer.
- `stratus`: Stratus Red Team's three Lambda persistence techniques.
- `backdoors`: a leaked developer key plants quiet persistence across the estate.
- `pacu`: Pacu's backdoor_new_roles: a random-named admin function rewrites each new role's
  trust policy, run by an EventBridge rule on CreateRole.
- `busy`: thirty days of honest CI, CloudFormation, CodeDeploy, console and vendor-layer life,
  with five intrusions hidden in it (the precision benchmark).
- `organization`: an AWS Organization of member accounts to fan out over (`collect --org-role`).
- `hostile`: every string the attacker controls (user agent, a refused function name, layer
  and function descriptions, environment values, tags, code file names, log lines) carries
  terminal controls, C1 and bidi characters (#18's closing check).
- `security-lake`: Amazon Security Lake holding, as OCSF, the CloudTrail the scenarios before
  it recorded (`hunt --source security-lake`).

Each scenario performs its story through boto3 over HTTP, as its actors (each with its own
IAM access key, address and user agent, at backdated times), and returns a `ScenarioResult`
naming what a test should find. Run several with `seed`, which passes earlier results on:
`denonia` uses the stolen key of the estate's `ci-deployer` when `estate` ran before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from lambda_ir.emulator.scenarios.actors import Target
from lambda_ir.emulator.scenarios.backdoors import backdoors
from lambda_ir.emulator.scenarios.busy import busy
from lambda_ir.emulator.scenarios.denonia import denonia
from lambda_ir.emulator.scenarios.estate import estate
from lambda_ir.emulator.scenarios.hostile import hostile
from lambda_ir.emulator.scenarios.organization import organization
from lambda_ir.emulator.scenarios.pacu import pacu
from lambda_ir.emulator.scenarios.result import Actor, Credentials, ScenarioResult, Technique
from lambda_ir.emulator.scenarios.security_lake import security_lake
from lambda_ir.emulator.scenarios.stratus import stratus


class Scenario(Protocol):
    """Seeds one story into the emulator; `prior` holds results of scenarios run before it,
    `now` anchors its backdated times (default: the current time)."""

    def __call__(
        self,
        emulator: Target,
        prior: Sequence[ScenarioResult] = ...,
        *,
        now: datetime | None = ...,
    ) -> ScenarioResult: ...


SCENARIOS: dict[str, Scenario] = {
    "estate": estate,
    "denonia": denonia,
    "stratus": stratus,
    "backdoors": backdoors,
    "pacu": pacu,
    "busy": busy,
    "organization": organization,
    "security-lake": security_lake,
    "hostile": hostile,
}


class UnknownScenario(KeyError):
    """A scenario name that is not in `SCENARIOS`."""


def seed(
    emulator: Target, names: Iterable[str], *, now: datetime | None = None
) -> tuple[ScenarioResult, ...]:
    """Run the named scenarios in order, each seeing the results of those before it.

    All of them share one `now` (default: the current UTC time), so their backdated
    timelines line up; pass a fixed `now` for reproducible times. Keep it within a few days
    of the real time: CloudWatch Logs (and the emulator) refuse events older than 14 days.
    """
    wanted = list(names)
    unknown = [name for name in wanted if name not in SCENARIOS]
    if unknown:
        raise UnknownScenario(f"unknown scenario(s) {unknown}; known: {sorted(SCENARIOS)}")
    anchor = now or datetime.now(UTC)
    results: list[ScenarioResult] = []
    for name in wanted:
        results.append(SCENARIOS[name](emulator, tuple(results), now=anchor))
    return tuple(results)


__all__ = [
    "SCENARIOS",
    "Actor",
    "Credentials",
    "Scenario",
    "ScenarioResult",
    "Technique",
    "UnknownScenario",
    "seed",
]
