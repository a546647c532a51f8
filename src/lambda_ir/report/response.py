"""The report's first screen: which functions, who, from where, since when, what to do now.

Pure reading of `ReportFacts`: functions at risk (grouped by unqualified ARN, most severe
first), the principals behind the findings (principal, access key ids, sessions,
addresses), and one consolidated response checklist whose steps carry the complete
`lambda-ir` command that does them (`--case` and the function's ARN, so it works pasted).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from lambda_ir import sanitize
from lambda_ir.analyze.incident_actions import config_actions
from lambda_ir.model import FOREIGN_CALLER, Severity
from lambda_ir.report import listing
from lambda_ir.report.applied import UNMARKED
from lambda_ir.report.facts import ReportFacts
from lambda_ir.report.functions import FunctionFacts
from lambda_ir.report.incidents import Incident
from lambda_ir.report.indicators import Indicator
from lambda_ir.report.risk import AtRisk, function_arn

_URL_FINDINGS = ("LIR-CFG-001", "LIR-CT-002")
# The standing statement is exposure (LOW, not among an at-risk function's findings); the act
# that granted it, judged by who did it, is what puts "remove it" on the first screen.
_POLICY_FINDINGS = ("LIR-POL-001", "LIR-CT-001")
_ROLE_OUTSIDE = "LIR-CT-010"


@dataclass(frozen=True)
class Suspect:
    """A principal behind findings: its keys, sessions and the addresses it came from."""

    principal: str
    access_keys: tuple[str, ...]
    sessions: tuple[str, ...]
    addresses: tuple[str, ...]
    first: str


@dataclass(frozen=True)
class Step:
    """One thing to do now, why, and the command that does it ("" when none of ours does);
    `kind` is what it acts on: the evidence, a credential, a function or the indicators."""

    what: str
    why: str
    command: str
    kind: str = "function"  # evidence | credential | function | indicators
    function: str = ""  # the unqualified ARN a `contain` step acts on
    action: str = ""  # the `contain --action` of its command ("" for no contain step)


def at_risk(facts: ReportFacts) -> list[AtRisk]:
    """Functions with medium or worse findings, the most severe (then most findings) first
    (`ReportFacts.at_risk`, computed once per report)."""
    return list(facts.at_risk)


def ranked_functions(facts: ReportFacts, risky: dict[str, AtRisk]) -> list[FunctionFacts]:
    """The case's functions, most at risk first (`risky`: `at_risk` by ARN): most severe,
    then most findings; functions without findings after them, by ARN."""

    def order(function: FunctionFacts) -> tuple[int, int, str]:
        risk = risky.get(function.arn)
        if risk is None:
            return (1, 0, function.arn)
        return (-risk.severity.rank, -len(risk.findings), function.arn)

    return sorted(facts.functions, key=order)


def suspects(facts: ReportFacts) -> list[Suspect]:
    """The principals of medium-or-worse findings and of incidents, earliest first."""
    keys: dict[str, dict[str, set[str]]] = {}
    first: dict[str, str] = {}

    def add(principal: str, field: str, values: Iterable[str]) -> None:
        keys.setdefault(principal, {"k": set(), "s": set(), "a": set()})[field].update(
            v for v in values if v
        )

    for finding in facts.findings:
        actor = finding.actor
        if actor is None or finding.severity.rank < Severity.MEDIUM.rank:
            continue
        # the ARN, or for another account's caller (no ARN) its account and principal id
        name = actor.key
        if not name:
            continue
        add(name, "k", [actor.access_key_id])
        add(name, "a", [actor.source_ip])
        add(name, "s", [_session(name) or actor.session_issuer])
        if finding.time and (name not in first or finding.time < first[name]):
            first[name] = finding.time
    by_key = {key: p for p, v in keys.items() for key in v["k"]}
    for incident in serious_incidents(facts):
        for who in incident.actors:
            # The principal findings already name for the same key (an incident may name
            # the role where findings name the session) keeps one line per actor.
            principal = next((by_key[k] for k in who.access_keys if k in by_key), who.principal)
            if principal:
                add(principal, "k", who.access_keys)
                add(principal, "a", who.addresses)
                add(principal, "s", [_session(principal)])
                # the earliest of its findings' and incidents' (an untimed one has none)
                if incident.first and (principal not in first or incident.first < first[principal]):
                    first[principal] = incident.first
    return sorted(
        (
            Suspect(
                principal=p,
                access_keys=tuple(sorted(v["k"])),
                sessions=tuple(sorted(v["s"])),
                addresses=tuple(sorted(v["a"])),
                first=first.get(p, ""),
            )
            for p, v in keys.items()
        ),
        key=lambda s: (s.first or "~", s.principal),
    )


def checklist(facts: ReportFacts) -> list[Step]:
    """What to do now, in order: preserve, cut the attacker's access, close doors, block."""
    risky = at_risk(facts)
    if not risky:
        return []
    case = sanitize.shell_command("lambda-ir", "verify", "--case", facts.case_dir)
    steps = [Step("Check the evidence is intact before changing anything", "", case, "evidence")]
    functions: dict[str, FunctionFacts] = {}  # by ARN, the first of each: looked up once
    for fn in facts.functions:
        functions.setdefault(fn.arn, fn)
    steps += _credential_steps(facts, risky, functions)
    for function in risky:
        steps += _function_steps(facts, function, functions.get(function.arn))
    indicators = case_indicators(facts)
    if indicators:
        steps.append(
            Step(
                f"Block and hunt for {len(indicators)} indicators (addresses, domains, hashes, "
                "keys) at egress, DNS and in other accounts",
                "indicators.txt and indicators.stix.json in the case",
                _search_command(facts.case_dir),
                "indicators",
            )
        )
    return [_marked(facts, step) for step in _once(steps)]


def _marked(facts: ReportFacts, step: Step) -> Step:
    """The step, saying when custody shows `contain --apply` already made it (and no undo
    since): a case collected again after containing still holds the acts that called for it."""
    if not facts.applied or not step.command or not step.action:
        return step
    base, _, value = step.action.partition("=")
    parts = step.function.split(":")
    if base in UNMARKED:
        return step
    if base == "deactivate-key":
        key = (base, value, "", "")
    elif len(parts) > 6:
        key = (base, parts[6], parts[3], parts[4])
    else:
        return step
    when = facts.applied.get(key)
    if when is None:
        return step
    done = f"lambda-ir contain applied this at {when} (custody); collect again to confirm it holds"
    return replace(step, why=f"{step.why}; {done}" if step.why else done)


def nothing_to_contain(facts: ReportFacts) -> str:
    """What an empty checklist means: no serious finding, or no analysis to have found one."""
    if facts.analysis and not facts.findings:
        return "Nothing to contain yet: no analysis has looked at this evidence (above)."
    return "Nothing to contain: no finding of medium severity or worse."


def steps_left_out(facts: ReportFacts) -> str:
    """Where the checklist's steps that a page leaves out are (plain text)."""
    where = "the principals and functions not listed here"
    if facts.incidents:
        where += "; lambda-ir contain --incident ID plans an incident's containment"
    return where


def steps_for(facts: ReportFacts, functions: Iterable[str]) -> list[Step]:
    """The checklist's `contain` steps that act on these functions (unqualified ARNs, or
    names as a hand-written incidents.json may give them), in the checklist's order."""
    wanted = {function_arn(f) or f for f in functions}  # a qualified ARN: its function
    return [
        step
        for step in checklist(facts)
        if step.function and (step.function in wanted or step.function.rsplit(":", 1)[-1] in wanted)
    ]


def listed_steps(steps: list[Step]) -> tuple[list[Step], int]:
    """The checklist as a page lists it: the evidence and indicator steps always, the first
    `listing.CREDENTIAL_STEPS` credential steps and `listing.FUNCTION_STEPS` function steps
    (most at risk first), in order; and how many steps are left out."""
    caps = {"credential": listing.CREDENTIAL_STEPS, "function": listing.FUNCTION_STEPS}
    taken: dict[str, int] = {}
    shown = []
    for step in steps:
        taken[step.kind] = taken.get(step.kind, 0) + 1
        if taken[step.kind] <= caps.get(step.kind, len(steps)):
            shown.append(step)
    return shown, len(steps) - len(shown)


def _once(steps: list[Step]) -> list[Step]:
    """Each command once (the first reason given for it wins)."""
    seen: set[str] = set()
    out = []
    for step in steps:
        if step.command and step.command in seen:
            continue
        seen.add(step.command)
        out.append(step)
    return out


def case_indicators(facts: ReportFacts) -> list[Indicator]:
    """The indicators of the findings and serious incidents, the collector's own left out
    (`ReportFacts.indicators`, gathered once)."""
    return list(facts.indicators)


def serious_incidents(facts: ReportFacts) -> tuple[Incident, ...]:
    """Incidents of medium severity or worse, without the collector's own identity
    (`ReportFacts.serious_incidents`)."""
    return facts.serious_incidents


def _search_command(case_dir: str) -> str:
    indicators = case_dir.rstrip("/") + "/indicators.txt"
    return sanitize.shell_command("lambda-ir", "search", "--case", case_dir, "--ioc", indicators)


def contain_command(
    facts: ReportFacts, function_arn: str, action: str, *, config_change: bool = False
) -> str:
    """The complete `lambda-ir contain` command for one action on one function (a plan;
    `--apply` makes the change); `config_change` for an action that edits the function's
    configuration (`--allow-config-change`)."""
    command = sanitize.shell_command(
        "lambda-ir", "contain", "--case", facts.case_dir, "--function", function_arn, "--action",
        action,
    )  # fmt: skip
    return command + (" --allow-config-change" if config_change else "")


def _foreign_steps(facts: ReportFacts, suspect: Suspect, risky: list[AtRisk]) -> list[Step]:
    """Another account's caller has no key or session here to revoke: what lets that
    account in is a resource-policy statement on each function it acted on."""
    caller = suspect.principal.removeprefix(FOREIGN_CALLER)
    account = caller.split("/")[0]
    return [
        Step(
            f"Remove account {account}'s access to {function.label}",
            f"{suspect.principal}, a caller from another account, acted on it; block-public "
            "removes the resource-policy statements open to anyone or to other accounts",
            contain_command(facts, function.arn, "block-public"),
            "credential",
            function=function.arn,
            action="block-public",
        )
        for function in risky
        if any(f.actor is not None and f.actor.caller == caller for f in function.findings)
    ]


def _used_on(risky: list[AtRisk], key: str) -> str:
    """The most at-risk function a finding shows access key `key` acting on ("" for none):
    the contain command for the key runs from that function (its account and evidence),
    not from another the key never touched."""
    for function in risky:
        for finding in function.findings:
            actor, details = finding.actor, finding.details
            if (actor is not None and actor.access_key_id == key) or key in (
                details.get("access_keys") or ()
            ):
                return function.arn
    return ""


def _credential_steps(
    facts: ReportFacts, risky: list[AtRisk], functions: dict[str, FunctionFacts]
) -> list[Step]:
    steps = []
    target = risky[0].arn
    # the first (most at risk) function running as each execution role, by the role's name:
    # looked up once, not per suspect and function (93M lookups at 1M events)
    owners: dict[str, AtRisk] = {}
    for function in risky:
        fn = functions.get(function.arn)
        if fn is not None and (role := fn.role.rsplit("/", 1)[-1]):
            owners.setdefault(role, function)
    for suspect in suspects(facts):
        if suspect.principal.startswith(FOREIGN_CALLER):
            steps += _foreign_steps(facts, suspect, risky)
            continue
        account = suspect.principal.split(":")[4] if suspect.principal.count(":") >= 4 else ""
        # else a function in the suspect's account: the key is deactivated in that account
        home = next((f.arn for f in risky if f.arn.split(":")[4] == account), target)
        for key in suspect.access_keys:
            if key.startswith("AKIA"):
                used_on = _used_on(risky, key) or home
                steps.append(
                    Step(
                        f"Deactivate access key {key}",
                        f"used by {suspect.principal}",
                        contain_command(facts, used_on, f"deactivate-key={key}"),
                        "credential",
                        function=used_on,
                        action=f"deactivate-key={key}",
                    )
                )
        role = _role_of_session(suspect.principal)
        if not role:
            continue
        owner = owners.get(role)
        if owner is not None:
            steps.append(
                Step(
                    f"Revoke the sessions of execution role {role}",
                    f"its credentials were used by {suspect.principal}",
                    contain_command(facts, owner.arn, "revoke-sessions"),
                    "credential",
                    function=owner.arn,
                    action="revoke-sessions",
                )
            )
        else:  # a pipeline's or operator's role: revoked by ARN, from a function in its account
            account = suspect.principal.split(":")[4]
            partition = suspect.principal.split(":")[1]
            arn = f"arn:{partition}:iam::{account}:role/{role}"
            here = next((f.arn for f in risky if f.arn.split(":")[4] == account), "")
            steps.append(
                Step(
                    f"Revoke the active sessions of role {role}",
                    f"{suspect.principal} acted with it"
                    + (
                        ""
                        if here
                        else "; from that account's credentials (IAM console: Roles → "
                        f"{role} → Revoke active sessions)"
                    ),
                    contain_command(facts, here, f"revoke-role-sessions={arn}") if here else "",
                    "credential",
                    function=here,
                    action=f"revoke-role-sessions={arn}",
                )
            )
    return steps


def _function_steps(
    facts: ReportFacts, function: AtRisk, facts_of: FunctionFacts | None
) -> list[Step]:
    steps = []
    detectors = {f.detector for f in function.findings}
    sids = sorted({str(f.details["sid"]) for f in function.findings if f.details.get("sid")})
    if detectors & set(_POLICY_FINDINGS):
        named = f"statements {', '.join(sids)}" if sids else "the open statements"
        steps.append(
            Step(
                f"Remove resource-policy {named} of {function.label}",
                "they let anyone (or another account) invoke it",
                contain_command(facts, function.arn, "block-public"),
                function=function.arn,
                action="block-public",
            )
        )
    urls = [u for u in (facts_of.urls if facts_of else ()) if "auth NONE" in u]
    if urls and detectors & set(_URL_FINDINGS):
        steps.append(
            Step(
                f"Delete the unauthenticated function URL of {function.label}",
                "; ".join(urls),
                contain_command(facts, function.arn, "disable-url"),
                function=function.arn,
                action="disable-url",
            )
        )
    good = _known_good(function)
    if good and facts_of is not None and _routes_past(facts_of.routed, good):
        steps.append(
            Step(
                f"Roll back every alias of {function.label} to version {good}",
                f"the last version before the change; aliases now: {'; '.join(facts_of.aliases)}",
                contain_command(facts, function.arn, f"pin-alias={good}"),
                function=function.arn,
                action=f"pin-alias={good}",
            )
        )
    if function.state == "compromised" and function.severity.rank >= Severity.HIGH.rank:
        why = (
            "its code or behaviour is malicious"
            if function.severity == Severity.CRITICAL
            else "what was done to it points to a compromise"
        )
        steps.append(
            Step(
                f"Stop {function.label} from running (reserved concurrency 0)",
                f"{why}; undo restores the concurrency",
                contain_command(facts, function.arn, "throttle"),
                function=function.arn,
                action="throttle",
            )
        )
    for action in config_actions(function.findings):
        what = (
            f"Detach the layers of {function.label}"
            if action == "strip-layers"
            else f"Remove the start-up hook variables {action.split('=', 1)[1]} of {function.label}"
        )
        steps.append(
            Step(
                f"{what} ($LATEST; published versions keep theirs)",
                "what it loads at start-up is a look-alike, foreign or an unknown hook; undo "
                "puts it back",
                contain_command(facts, function.arn, action, config_change=True),
                function=function.arn,
                action=action,
            )
        )
    if _ROLE_OUTSIDE in detectors:
        steps.append(
            Step(
                f"Revoke the sessions of {function.label}'s execution role",
                "its credentials were used outside Lambda",
                contain_command(facts, function.arn, "revoke-sessions"),
                function=function.arn,
                action="revoke-sessions",
            )
        )
    return steps


def _routes_past(routed: tuple[str, ...], good: str) -> bool:
    """Whether an alias sends traffic to a version after `good` (or to $LATEST): pinning the
    aliases to `good` changes nothing for the changed code when none does, and moves the
    traffic of aliases routed to older versions (a canary) onto `good`."""
    return any(not v.isdigit() or not good.isdigit() or int(v) > int(good) for v in routed)


def _known_good(function: AtRisk) -> str:
    """The version before the earliest threatening code or configuration change
    (LIR-CHG-001 or -002 `from`)."""
    changes = [
        f
        for f in function.findings
        if f.detector in ("LIR-CHG-001", "LIR-CHG-002") and f.details.get("from")
    ]
    changes.sort(key=lambda f: f.time or "")
    return str(changes[0].details["from"]) if changes else ""


def _session(arn: str) -> str:
    """`ROLE/SESSION` of an assumed-role ARN, "" for anything else."""
    _, sep, rest = arn.partition(":assumed-role/")
    return rest if sep else ""


def _role_of_session(arn: str) -> str:
    session = _session(arn)
    return session.split("/", 1)[0] if session else ""
