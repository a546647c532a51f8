"""What an incident recommends: the `contain` actions that fit its findings and actor.

Actions are `name` or `name=value`, as `lambda-ir contain --incident ID` reads them from
incidents.json; the report's checklist asks `config_actions` for a function's findings too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from lambda_ir.model import FOREIGN_CALLER, Finding, Severity

if TYPE_CHECKING:
    from lambda_ir.analyze.incidents import IncidentActor


def contain_actions(
    kind: str,
    severity: Severity,
    actors: tuple[IncidentActor, ...],
    functions: tuple[str, ...],
    group: list[Finding],
) -> tuple[str, ...]:
    """`contain` actions (`name` or `name=value`, as `contain --incident` reads them) for the
    incident's functions: keys deactivated, execution-role sessions revoked (or, for another
    role acting with temporary keys, that role's), public access (and another account's, when
    its caller acted) and URLs removed, look-alike or unknown layers stripped. An exposure
    (no one's calls) recommends nothing, but for malicious code found in a function or seen
    running in it (`MALWARE`, `RUNNING` at HIGH or worse): stop it, and strip a bad layer."""
    if severity.rank < Severity.MEDIUM.rank:
        return ()
    if kind != "activity":
        if not any(_malicious(f) for f in group):
            return ()
        return ("throttle", *config_actions(group))
    detectors = {f.detector for f in group}
    out: list[str] = ["throttle"] if severity.rank >= Severity.HIGH.rank else []
    for actor in actors:
        out.extend(f"deactivate-key={k}" for k in actor.access_keys if k.startswith("AKIA"))
    if "LIR-CT-010" in detectors or any(
        f.detector == "LIR-CT-004" and "execution role" in f.summary for f in group
    ):
        out.append("revoke-sessions")
    else:  # a pipeline's or operator's role acting with temporary keys: its sessions, not a
        # key; `contain` acts in its functions' account, so only a role of that account
        accounts = {arn.split(":")[4] for arn in functions}
        out.extend(
            f"revoke-role-sessions={actor.principal}"
            for actor in actors
            if ":role/" in actor.principal
            and actor.principal.split(":")[4] in accounts
            and any(k.startswith("ASIA") for k in actor.access_keys)
        )
    # Another account's caller (AWSAccount) came in through a resource policy: no key or
    # session of this account to revoke, only the statements that let its account in.
    foreign = any(actor.principal.startswith(FOREIGN_CALLER) for actor in actors)
    if foreign or detectors & {"LIR-CT-001", "LIR-POL-001"}:
        out.append("block-public")
    if detectors & {"LIR-CT-002", "LIR-CFG-001"}:
        out.append("disable-url")
    out.extend(config_actions(group))
    return tuple(dict.fromkeys(out))


_LAYERS = frozenset({"LIR-CFG-003", "LIR-CT-003", "LIR-CHG-002", "LIR-CODE-003"})
# Of those, the ones that name what they found set (`layers`, `hook_variables` in details):
# a hook variable set on a function without layers is stripped with strip-env, not layers.
_NAMED = frozenset({"LIR-CT-003", "LIR-CHG-002"})
# Findings that the code itself is malicious: a YARA rule (each rule its own `yara:` id), or a
# version whose change brought one in.
MALWARE = frozenset({"LIR-CODE-001", "LIR-CHG-001"})
# Findings that the function was seen running it (the runtime collector's snapshots): a
# miner's configuration in /tmp, a program run from /tmp, deleted or named like a miner, a
# connection to a mining port or an indicator address. (An executable in /tmp alone is not:
# headless browsers unpack theirs there.)
RUNNING = frozenset({"LIR-RT-002", "LIR-RT-003", "LIR-RT-004"})


def _malicious(finding: Finding) -> bool:
    return finding.severity.rank >= Severity.HIGH.rank and (
        finding.detector in MALWARE
        or finding.detector in RUNNING
        or finding.detector.startswith("yara:")
    )


def config_actions(findings: Iterable[Finding]) -> tuple[str, ...]:
    """The configuration `contain` can undo for high findings about what a function loads:
    `strip-layers` for a bad layer, `strip-env=VAR,…` for start-up hook variables someone
    set (LIR-CT-003 and LIR-CHG-002 name either or both). Both need `--allow-config-change`."""
    layers = False
    hooks: dict[str, None] = {}
    for finding in findings:
        if finding.detector not in _LAYERS or finding.severity.rank < Severity.HIGH.rank:
            continue
        # hook variables alone leave no layer to strip (a finding of an older analysis that
        # names neither, as LIR-CHG-002's did, is taken to be about layers, as it was)
        details = finding.details
        if finding.detector in _NAMED and ("layers" in details or "hook_variables" in details):
            layers = layers or bool(details.get("layers"))
            named = details.get("hook_variables") or []
            hooks.update((v, None) for v in named if isinstance(v, str) and v)
        else:
            layers = True
    return (("strip-layers",) if layers else ()) + (
        (f"strip-env={','.join(hooks)}",) if hooks else ()
    )
