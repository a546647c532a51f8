"""`contain --undo PLAN`: put back what a containment run changed, from its saved undo plan.

The plan must be a file of this case listed in its manifest with the same SHA-256 (an edited
undo plan is refused), in the `lambda-ir-undo/1` format, and every call in it must be one of
the calls an undo makes (`UNDO_APIS`): an undo plan can never delete a function, version,
layer, log group or role. Without `apply` the calls are only shown. Before an undo is made,
what each step writes is read again and compared with the run's reads right after its
changes (`drift.drift_of`): a change made since (a rotated secret, an alias moved, a new
reservation) is not overwritten unless `force` says so. A step whose state is already what
its call sets (`undo_target`: a `runtime detach` after `runtime attach`) makes no call and
is `already-in-place`: nothing would be overwritten, so it refuses nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from lambda_ir.aws import ClientFactory
from lambda_ir.evidence import Case
from lambda_ir.evidence.custody import read_entries
from lambda_ir.evidence.layout import CUSTODY
from lambda_ir.model import FunctionRef, Kind
from lambda_ir.redact import redact_document
from lambda_ir.respond.contain import UNDO_FORMAT
from lambda_ir.respond.drift import Drift, drift_of
from lambda_ir.respond.execute import Outcome, Status, perform
from lambda_ir.respond.plan import AwsCall, Change

UNDO_APIS = frozenset(
    {
        "lambda:PutFunctionConcurrency",
        "lambda:DeleteFunctionConcurrency",
        "lambda:AddPermission",
        "lambda:CreateFunctionUrlConfig",
        "lambda:UpdateEventSourceMapping",
        "lambda:UpdateAlias",
        "lambda:UpdateFunctionConfiguration",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:UpdateAccessKey",
    }
)


class UndoError(ValueError):
    """The undo plan is missing, edited, malformed or asks for a call an undo never makes."""


class DriftError(UndoError):
    """The function changed since the run left it: the undo would overwrite that change."""


@dataclass(frozen=True)
class UndoPlan:
    """A validated undo plan: where it is, the function, and its changes (undo call set)."""

    path: str
    function: str
    region: str
    steps: tuple[Change, ...]


@dataclass(frozen=True)
class UndoResult:
    plan: UndoPlan
    applied: bool
    outcomes: tuple[Outcome, ...] = ()
    result_path: str | None = None
    changed: tuple[str, ...] = ()  # steps whose target changed since the run (and the read)
    unchecked: tuple[str, ...] = ()  # steps that could not be compared, and why
    in_place: tuple[int, ...] = ()  # steps (their place in the plan) whose state is there

    def to_json(self) -> dict[str, Any]:
        return {
            "undo_plan": self.plan.path,
            "function": self.plan.function,
            "applied": self.applied,
            "steps": [step.to_json() for step in self.plan.steps],
            "outcomes": [outcome.to_json() for outcome in self.outcomes],
            "result_path": self.result_path,
            "changed_since_run": list(self.changed),
            "unchecked": list(self.unchecked),
            "already_in_place": [self.plan.steps[n].action for n in self.in_place],
        }


def load_undo(case: Case, path: str) -> UndoPlan:
    """Read and check an undo plan of this case (a path relative to the case, or inside it)."""
    relpath = case_relative(case, path)
    entry = case.entry(relpath)
    if entry is None or entry.sha256 is None:
        raise UndoError(f"{relpath} is not an artifact of this case")
    body = case.path(relpath).read_bytes()
    if hashlib.sha256(body).hexdigest() != entry.sha256:
        raise UndoError(f"{relpath} changed since it was written (SHA-256 differs from manifest)")
    document = case.read_json(relpath)
    if not isinstance(document, dict) or document.get("format") != UNDO_FORMAT:
        raise UndoError(f"{relpath} is not a lambda-ir undo plan")
    steps = []
    for raw in document.get("steps", []):
        try:
            undo = AwsCall.from_json(raw["undo"])
        except (KeyError, TypeError, ValueError) as exc:
            raise UndoError(f"{relpath}: malformed step: {exc}") from exc
        if undo.api not in UNDO_APIS:
            raise UndoError(f"{relpath}: {undo.api} is not a call an undo makes; refused")
        do = AwsCall.from_json(raw["call"])
        steps.append(
            Change(
                str(raw.get("action", "")),
                str(raw.get("summary", "")),
                do,
                undo,
                str(raw.get("undo_note", "")),
            )
        )
    return UndoPlan(relpath, str(document["function"]), str(document["region"]), tuple(steps))


def run_undo(
    case: Case,
    clients: ClientFactory,
    plan: UndoPlan,
    *,
    apply: bool,
    run: str,
    force: bool = False,
) -> UndoResult:
    """Show the undo calls and what changed since the run left the function, or with `apply`
    make them (each logged) and save the result: DriftError when the function changed since
    (the undo would overwrite it), unless `force`. A step whose state is already what its
    call sets makes no call: it is `already-in-place` (custody `contain-undo-skipped`)."""
    found = drift(case, clients, plan) if plan.steps else Drift()
    changed, unchecked, in_place = found.changed, found.unchecked, found.in_place
    if not apply:
        case.log(
            "contain-undo-plan",
            {"undo_plan": plan.path, "steps": len(plan.steps), "changed_since_run": changed},
        )
        return UndoResult(plan, False, changed=changed, unchecked=unchecked, in_place=in_place)
    if changed and not force:
        case.log("contain-undo-refused", {"undo_plan": plan.path, "changed_since_run": changed})
        undone = undone_at(case, plan.path)
        raise DriftError(
            f"{plan.function} changed since the run that {plan.path} undoes left it ("
            + "; ".join(changed)
            + (f"; this plan's undo was applied at {undone}" if undone else "")
            + "): the undo would overwrite that. Look at the change first; --force undoes anyway"
        )
    details = {"run": run, "undo_plan": plan.path, "changed_since_run": changed, "force": force}
    case.log("contain-undo-start", details | {"calls": len(plan.steps) - len(in_place)})
    outcomes = _undo_steps(case, clients, plan, in_place, run)
    result = UndoResult(plan, True, outcomes, None, changed, unchecked, in_place)
    entry = case.put_json(f"{run}/undo-result.json", result.to_json(), kind=Kind.RESPONSE.value)
    result = UndoResult(plan, True, outcomes, entry.path, changed, unchecked, in_place)
    case.log("contain-undo-done", {"run": run, "result": entry.path})
    return result


def _undo_steps(
    case: Case, clients: ClientFactory, plan: UndoPlan, in_place: tuple[int, ...], run: str
) -> tuple[Outcome, ...]:
    """Each step's outcome, in the plan's order: the calls of the steps not in place made
    (`perform`), the others logged as skipped, with no call (custody names no call that
    CloudTrail could show, so none of the trail is taken for the undo's)."""
    to_make = [step for n, step in enumerate(plan.steps) if n not in in_place]
    made = iter(perform(case, clients, plan.region, to_make, run=run, undoing=True))
    outcomes = []
    for n, step in enumerate(plan.steps):
        if n not in in_place:
            outcomes.append(next(made))
            continue
        assert step.undo is not None  # a step in place was compared by its undo call
        case.log(
            "contain-undo-skipped",
            {
                "run": run,
                "action": step.action,
                "summary": step.summary,
                "api": step.undo.api,
                "params": redact_document(dict(step.undo.params)),
                "status": Status.SETTLED.value,
                "region": plan.region,
                "account": _account(plan.function),
            },
        )
        outcomes.append(Outcome(step, Status.SETTLED))
    return tuple(outcomes)


def _account(function: str) -> str:
    """The account of the plan's function (its ARN), as the report's checklist names a step."""
    try:
        return FunctionRef.from_arn(function).account
    except ValueError:
        return ""


def undone_at(case: Case, plan_path: str, action: str = "contain-undo-start") -> str:
    """When this plan's undo was last applied: the last custody `action` naming the plan that
    made a call and is no error and no skip (hunt's undo logs each statement's outcome), or
    "": an undo whose every step was already in place changed nothing."""
    times = [
        entry.time
        for _, _, entry in read_entries(case.root / CUSTODY)
        if entry is not None
        and entry.action == action
        and entry.details.get("undo_plan") == plan_path
        and entry.details.get("calls") != 0
        and not entry.details.get("error")
        and not entry.details.get("skipped")
    ]
    return times[-1] if times else ""


def drift(case: Case, clients: ClientFactory, plan: UndoPlan) -> Drift:
    """What each step would overwrite that changed since the run left the function (its
    `after.json` read again), the steps that cannot be compared and why (the run saved no
    after-state when its read-back failed; a read denied now), and the steps whose state is
    already what the undo sets."""
    after = (PurePosixPath(plan.path).parent / "after.json").as_posix()
    if case.entry(after) is None:
        why = f"the run saved no state after its changes ({after}): later changes unknown"
        return Drift(unchecked=(why,))
    document = case.read_json(after)
    reads = document.get("reads", []) if isinstance(document, dict) else []
    return drift_of(clients, plan.region, reads, plan.steps)


def case_relative(case: Case, path: str, error: type[ValueError] = UndoError) -> str:
    """A plan's path as the manifest names it; `error` when it lies outside the case."""
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        try:
            return candidate.resolve().relative_to(case.root.resolve()).as_posix()
        except ValueError as exc:
            raise error(f"{path} is not inside the case {case.root}") from exc
    return candidate.as_posix()
