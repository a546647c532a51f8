"""`contain`: plan, preserve evidence, apply, record the undo, and check the result.

    contain(case, clients, session, request) -> ContainResult

Without `request.apply` only the plan is made and saved (`respond/<run>/plan.json`, with the
reads it was made from in `before.json`). With it: the function is collected into the case if
it is not there yet, the function is read again and the plan made then (its time is
`revoke-sessions`' cutoff; a configuration update names that read's RevisionId), every
change is made (a failure does not stop the others), each call is
logged in custody, the undo for what was applied is saved in `respond/<run>/undo.json`, and
every action is planned again: an action with nothing left to do is in place.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from lambda_ir import sanitize
from lambda_ir.aws import ClientFactory
from lambda_ir.aws.clock import check_clock
from lambda_ir.evidence import Case
from lambda_ir.evidence.layout import path_segment
from lambda_ir.model import Kind
from lambda_ir.respond.execute import Outcome, Status, perform
from lambda_ir.respond.plan import ActionPlan, Change, Chosen, Plan
from lambda_ir.respond.preserve import EvidenceError, preserve
from lambda_ir.respond.target import PlanError, Target, resolve_target

UNDO_FORMAT = "lambda-ir-undo/1"


@dataclass(frozen=True)
class Request:
    """One function to contain, with what, and whether to change anything."""

    function: str
    region: str
    chosen: tuple[Chosen, ...]
    now: datetime
    apply: bool = False
    allowed_accounts: frozenset[str] = frozenset()
    endpoint_url: str | None = None
    quotas: bool = True
    # AWS's clock minus this machine's, as the caller measured it (`aws.clock.check_clock`);
    # None: `contain` measures it
    skew: timedelta | None = None


@dataclass(frozen=True)
class ContainResult:
    """The plan, and with --apply what each call did and which actions are now in place."""

    plan: Plan
    run: str
    plan_path: str
    applied: bool = False
    evidence: str = ""
    outcomes: tuple[Outcome, ...] = ()
    undo_path: str | None = None
    remaining: tuple[ActionPlan, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        """Whether AWS made (or may have made) any change, so its undo has a step."""
        return any(o.status in (Status.APPLIED, Status.UNKNOWN) for o in self.outcomes)

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status is Status.FAILED)

    def state(self) -> dict[str, str]:
        """Per action: `in place`, or what is still open after --apply (or to do, dry run)."""
        found = {}
        for action in self.remaining if self.applied else self.plan.actions:
            label = action.chosen.label
            if action.error:
                found[label] = f"unknown: {action.error}"
            elif not action.changes:
                found[label] = "in place"
            else:
                verb = "still open" if self.applied else "to do"
                found[label] = f"{len(action.changes)} change(s) {verb}"
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "applied": self.applied,
            "plan": self.plan.to_json(),
            "plan_path": self.plan_path,
            "evidence": self.evidence,
            "outcomes": [outcome.to_json() for outcome in self.outcomes],
            "undo_path": self.undo_path,
            "state": self.state(),
        }


def build_plan(target: Target, chosen: tuple[Chosen, ...]) -> Plan:
    """Each chosen action's changes against the live state; a failed read marks that action."""
    planned = []
    for choice in chosen:
        try:
            changes = tuple(choice.action.plan(target, choice.value))
        except PlanError as exc:
            planned.append(ActionPlan(choice, error=str(exc)))
            continue
        except (KeyError, TypeError, ValueError) as exc:  # an answer not shaped as documented
            error = f"unexpected answer from AWS: {type(exc).__name__}: {exc}"
            planned.append(ActionPlan(choice, error=error))
            continue
        planned.append(ActionPlan(choice, changes))
    return Plan(target.function.arn, target.function.region, tuple(planned))


def contain(
    case: Case, clients: ClientFactory, session: boto3.Session, request: Request
) -> ContainResult:
    """Plan (and with `request.apply`, make) the chosen changes to one function."""
    skew = _aws_skew(session, request)
    target = resolve_target(
        clients, request.function, request.region, request.now + skew, request.allowed_accounts
    )
    run = f"respond/{request.now.strftime('%Y%m%dT%H%M%SZ')}-{path_segment(target.name)}-" + (
        secrets.token_hex(4)
    )
    if not request.apply:  # nothing waits for AWS to settle: --apply plans again
        plan, plan_path = _planned(case, replace(target, dry_run=True), request, run)
        case.log("contain-plan", {"run": run, "plan": plan_path, "changes": len(plan.changes)})
        return ContainResult(plan, run, plan_path)
    try:
        evidence = preserve(
            case, session, target.function, endpoint_url=request.endpoint_url, quotas=request.quotas
        )
    except EvidenceError as exc:
        _, plan_path = _planned(case, target, request, run)
        case.log("contain-stopped", {"run": run, "plan": plan_path, "reason": str(exc)})
        raise
    except BaseException as exc:  # Ctrl-C while the evidence was saved: nothing was changed
        case.log("contain-stopped", {"run": run, "reason": type(exc).__name__})
        raise
    # Planned once the evidence is saved, which takes a while: the function is read again
    # and each action's reads are made now (a secret rotated meanwhile is what `strip-env`
    # keeps, and its update names the RevisionId of this read), and `revoke-sessions` cuts
    # off at this moment, not at the run's start (a session issued meanwhile is denied too).
    try:
        target = resolve_target(
            clients,
            request.function,
            request.region,
            datetime.now(UTC) + skew,
            request.allowed_accounts,
        )
    except PlanError as exc:  # the evidence is saved; nothing was changed
        case.log("contain-stopped", {"run": run, "reason": str(exc)})
        raise
    plan, plan_path = _planned(case, target, request, run)
    case.log("contain-start", {"run": run, "plan": plan_path, "evidence": evidence})
    outcomes, undo_path = apply_changes(case, clients, plan, plan.changes, run=run)
    try:
        remaining = _check(case, clients, run, replace(request, now=target.now))
    except BaseException as exc:  # Ctrl-C while reading back: the changes and undo stand
        exc.add_note(interrupted(case, run, undo_path, outcomes, type(exc).__name__))
        raise
    result = ContainResult(plan, run, plan_path, True, evidence, outcomes, undo_path, remaining)
    _save(case, f"{run}/result.json", result.to_json())
    case.log("contain-done", {"run": run, "undo": undo_path, "state": result.state()})
    return result


def _aws_skew(session: boto3.Session, request: Request) -> timedelta:
    """AWS's clock minus this machine's (the request's, else `aws.clock.check_clock`), and a
    second more: a plan's `now` is AWS's, as the sessions `revoke-sessions` cuts off are
    issued on AWS's clock (with AWS four minutes ahead, a session stolen a minute before
    containing was issued "after" this machine's now, and survived). The Date header is read
    to half a second: the second more errs toward denying. Without a reading (the call
    failed), this machine's clock."""
    skew = request.skew
    if skew is None:
        reading = check_clock(session, request.region, request.endpoint_url)
        if reading is None:
            return timedelta()
        skew = reading.skew
    return skew + timedelta(seconds=1)


def _planned(case: Case, target: Target, request: Request, run: str) -> tuple[Plan, str]:
    """The plan against `target`, saved (`plan.json`, and the reads in `before.json`)."""
    plan = build_plan(target, request.chosen)
    plan_path = _save(case, f"{run}/plan.json", dict(plan.to_json(), apply=request.apply))
    _save(case, f"{run}/before.json", {"reads": [read.to_json() for read in target.reads]})
    return plan, plan_path


def _check(
    case: Case, clients: ClientFactory, run: str, request: Request
) -> tuple[ActionPlan, ...]:
    """Plan every action again after the changes: what is left to do is still open."""
    try:
        after = resolve_target(
            clients, request.function, request.region, request.now, request.allowed_accounts
        )
    except PlanError as exc:  # the changes stand; their undo is saved; say what is unknown
        return tuple(ActionPlan(c, error=f"could not check: {exc}") for c in request.chosen)
    check = build_plan(after, request.chosen)
    _save(case, f"{run}/after.json", {"reads": [read.to_json() for read in after.reads]})
    return check.actions


def apply_changes(
    case: Case,
    clients: ClientFactory,
    plan: Plan,
    changes: Sequence[Change],
    *,
    run: str,
    done: tuple[Outcome, ...] = (),
) -> tuple[tuple[Outcome, ...], str]:
    """Make the changes (after those `done` already) and save the undo of every applied one,
    whatever stops the run: stopped between two calls or during one (Ctrl-C, a crash), the
    undo plan is saved all the same, with the undo of the call it stopped in (sent or not:
    its state is unknown, and its undo puts back what was read before, so it may run
    either way), logged and noted on the exception, which goes on. Returns the outcomes
    and the undo plan's path."""
    outcomes = list(done)
    calls = [change for change in changes if change.call is not None]  # as `perform` makes
    try:
        for outcome in perform(case, clients, plan.region, changes, run=run):
            outcomes.append(outcome)
    except BaseException as exc:
        made = len(outcomes) - len(done)
        if made < len(calls):  # stopped in that call: AWS may have made it
            outcomes.append(Outcome(calls[made], Status.UNKNOWN, f"stopped: {type(exc).__name__}"))
        exc.add_note(_stopped(case, run, plan, tuple(outcomes), type(exc).__name__))
        raise
    return tuple(outcomes), save_undo(case, run, plan, tuple(outcomes))


def _stopped(case: Case, run: str, plan: Plan, outcomes: tuple[Outcome, ...], reason: str) -> str:
    """Save the undo of a run that stopped midway, log it, and say what to do."""
    try:
        undo_path = save_undo(case, run, plan, outcomes)
    except Exception as error:  # the calls made are in custody all the same
        applied, _ = _counts(outcomes)
        case.log("contain-interrupted", {"run": run, "applied": applied, "reason": reason})
        made = _made(outcomes)
        return f"{made}; the undo plan could not be saved ({error}): see contain-call in custody"
    return interrupted(case, run, undo_path, outcomes, reason)


def interrupted(
    case: Case, run: str, undo_path: str, outcomes: tuple[Outcome, ...], reason: str
) -> str:
    """Log a run stopped after its undo plan was saved (`contain-interrupted`) and say how
    to put back what it changed: stopped midway, or while reading the function back."""
    applied, unknown = _counts(outcomes)
    details = {"run": run, "undo": undo_path, "applied": applied, "unknown": unknown}
    case.log("contain-interrupted", details | {"reason": reason})
    undo = sanitize.shell_command(
        "lambda-ir", "contain", "--case", case.root, "--undo", case.root / undo_path, "--apply"
    )
    return f"{_made(outcomes)}; to put them back: {undo}"


def _counts(outcomes: tuple[Outcome, ...]) -> tuple[int, int]:
    """How many changes were made, and how many AWS may have made (a call cut off)."""
    applied = sum(1 for outcome in outcomes if outcome.status is Status.APPLIED)
    return applied, sum(1 for outcome in outcomes if outcome.status is Status.UNKNOWN)


def _made(outcomes: tuple[Outcome, ...]) -> str:
    applied, unknown = _counts(outcomes)
    return f"the run stopped after {applied} change(s)" + (
        f" and during {unknown} more, which AWS may have made" if unknown else ""
    )


def save_undo(case: Case, run: str, plan: Plan, outcomes: tuple[Outcome, ...]) -> str:
    """The undo plan: the undo of every applied change (and of one a stop left unknown),
    last change first."""
    undone = (Status.APPLIED, Status.UNKNOWN)
    steps = [
        outcome.change.to_json()
        for outcome in reversed(outcomes)
        if outcome.status in undone and outcome.change.undo is not None
    ]
    document = {
        "format": UNDO_FORMAT,
        "function": plan.function_arn,
        "region": plan.region,
        "run": run,
        "steps": steps,
        "not_undoable": [
            outcome.change.to_json()
            for outcome in outcomes
            if outcome.status is Status.APPLIED and outcome.change.undo is None
        ],
    }
    return _save(case, f"{run}/undo.json", document)


def _save(case: Case, relpath: str, document: dict[str, Any]) -> str:
    # What AWS returned (before/after) is kept as returned; plans, results and undo are ours,
    # quoting the evidence (environment values...): nothing raw a terminal would run.
    composed = not relpath.endswith(("/before.json", "/after.json"))
    entry = case.put_json(relpath, document, kind=Kind.RESPONSE.value, composed=composed)
    return entry.path or relpath
