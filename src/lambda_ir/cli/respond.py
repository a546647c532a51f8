"""`lambda-ir contain`: plan, apply and undo containment (runtime attach is cli/runtime.py)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from lambda_ir import respond, sanitize
from lambda_ir.analyze.caseview import CaseView
from lambda_ir.analyze.function_names import AmbiguousName, function_arns, one_function
from lambda_ir.aws import ClientFactory, build_session
from lambda_ir.aws.clock import check_clock
from lambda_ir.cli.preflight import check_access
from lambda_ir.cli.ui import (
    CommandError,
    Ui,
    case_option,
    get_ui,
    inert,
    open_or_new_case,
    writes_case,
)
from lambda_ir.evidence import Case, layout
from lambda_ir.heap import collector_paused
from lambda_ir.model import FunctionRef
from lambda_ir.redact import redact_document
from lambda_ir.report import build_facts
from lambda_ir.report.response import steps_for

_ACTIONS_HELP = "; ".join(
    f"{a.info.name}{'=' + a.info.value if a.info.value else ''}" for a in respond.ALL
)


@click.command()
@case_option(required=False)
@click.option(
    "--function",
    "functions",
    multiple=True,
    metavar="NAME|ARN",
    help="Function to contain (repeatable).",
)
@click.option(
    "--action",
    "actions",
    multiple=True,
    metavar="ACTION[=VALUE]",
    help=f"Repeatable: {_ACTIONS_HELP}.",
)
@click.option(
    "--incident",
    metavar="ID",
    help="Propose the actions incidents.json recommends for incident ID.",
)
@click.option(
    "--undo", "undo_plan", metavar="PLAN", help="Put back what a run changed, from its undo plan."
)
@click.option(
    "--force",
    is_flag=True,
    help="With --undo: undo even when the function changed since the run left it.",
)
@click.option(
    "--region",
    metavar="R",
    help="Region of functions given by name (default: the case's, else the session's).",
)
@click.option(
    "--allow-account",
    "allowed",
    multiple=True,
    metavar="ID",
    help="Account block-public leaves in policies (the function's own always).",
)
@click.option(
    "--allow-config-change",
    is_flag=True,
    help="Permit strip-layers and strip-env (they update $LATEST).",
)
@click.option(
    "--print-iam-policy", is_flag=True, help="Print the IAM policy contain needs, and exit."
)
@click.option(
    "--apply", is_flag=True, help="Make the changes; without it only the plan is shown and saved."
)
@writes_case
def contain(
    case_dir: str | None,
    functions: tuple[str, ...],
    actions: tuple[str, ...],
    incident: str | None,
    undo_plan: str | None,
    force: bool,
    region: str | None,
    allowed: tuple[str, ...],
    allow_config_change: bool,
    print_iam_policy: bool,
    apply: bool,
) -> None:
    """Contain a function: plan reversible changes, preserve evidence, make them with --apply.

    Without --apply the plan (every call, and the undo call of each) is printed and saved in
    the case. With --apply the function's state is collected into the case first (unless it
    is there), then each change is made and logged in the case's custody log; a failure does
    not stop the others. The undo plan is saved in the case and its path printed; `--undo
    PLAN --apply` puts things back, and refuses when the function changed since the run left
    it (the undo would overwrite that change) unless --force. Never deletes a function,
    version, layer, log group or role. Exit 0 when every action is in place (or planned), 1
    when any is not. An incident that recommends no action (an exposure) plans nothing: the
    report checklist's steps for its functions are printed instead, and the exit code is 0.
    """
    ui = get_ui()
    if print_iam_policy:
        click.echo(orjson.dumps(_iam_policy(), option=orjson.OPT_INDENT_2).decode())
        return
    if not case_dir:
        raise click.UsageError("Missing option '--case'.")
    if undo_plan and (functions or actions or incident):
        raise click.UsageError("--undo takes no --function, --action or --incident")
    if force and not undo_plan:
        raise click.UsageError("--force goes with --undo")
    if incident:
        opened = Case.open(Path(case_dir))
        proposal, recommended = _proposal(ui, opened, incident, allow_config_change)
        if not recommended and not actions:  # read from the case: no AWS call needed
            _nothing_proposed(ui, opened, proposal)
            return
        if not proposal.actions and not actions:  # each one was left out above
            raise click.UsageError(
                f"every action incident {inert(proposal.incident)} recommends changes the "
                "function's configuration: add --allow-config-change to plan them"
            )
        functions = functions or proposal.functions
        actions = tuple(dict.fromkeys((*proposal.actions, *actions)))
    functions = _case_functions(case_dir, functions, region)  # before any AWS call
    session = build_session()
    home = region or session.region_name or "us-east-1"
    check_access(session, home)  # no credentials or no network: one line saying what to fix
    clock = check_clock(session, home)  # before the case; `contain` plans on AWS's time
    clients = ClientFactory(session)  # a few calls; botocore's retries absorb a throttle
    if undo_plan:
        _undo(ui, Case.open(Path(case_dir)), clients, undo_plan, apply, force)
        return
    if not functions or not actions:
        raise click.UsageError("name --function and at least one --action (or --incident ID)")
    try:
        chosen = respond.choose(actions, allow_config_change=allow_config_change)
    except respond.ChoiceError as exc:
        raise click.BadParameter(str(exc), param_hint="--action") from exc
    case = open_or_new_case(case_dir, {"functions": list(functions)})
    now = datetime.now(UTC)
    ok = True
    for function in functions:
        request = respond.Request(
            function,
            function_region(function, region, session),
            chosen,
            now,
            apply,
            frozenset(allowed),
            skew=clock.skew if clock is not None else None,
        )
        try:
            result = respond.contain(case, clients, session, request)
        except (respond.PlanError, respond.EvidenceError) as exc:
            if len(functions) == 1:
                raise click.ClickException(str(exc)) from exc
            ui.say(f"{inert(function)}: nothing changed: {inert(exc)}")  # the others go on
            ok = False
            continue
        ok = _show(ui, case, result) and ok
    if not ok:
        raise SystemExit(1)


def _case_functions(
    case_dir: str, functions: tuple[str, ...], region: str | None
) -> tuple[str, ...]:
    """Each bare name the case holds once (in --region, when given) as that function's ARN, so
    the plan acts in the account and region the case found it in, not the session's default.

    A name the case holds in several accounts or regions is refused with their ARNs, as `diff`
    refuses it; an ARN, or a name the case does not hold, is kept as given (--region, else the
    session's region, then applies).
    """
    root = Path(case_dir)
    names = [f for f in functions if not f.startswith("arn:")]
    if not names or not (root / layout.CASE_FILE).exists():
        return functions
    view = CaseView(Case.open(root))
    chosen: dict[str, str] = {}
    for name in names:
        arns = [
            arn
            for arn in function_arns(view, name)
            if region is None or FunctionRef.from_arn(arn).region == region
        ]
        try:
            chosen[name] = one_function(name, arns) or name
        except AmbiguousName as exc:
            raise CommandError(str(exc)) from exc
    return tuple(chosen.get(f, f) for f in functions)


def function_region(function: str, region: str | None, session: Any) -> str:
    """The region a function ARN names, else --region, else the session's default region."""
    if function.startswith("arn:"):
        try:
            return FunctionRef.from_arn(function).region
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--function") from exc
    chosen = region or getattr(session, "region_name", None)
    if not chosen:
        raise click.UsageError("no region: pass --region R, a function ARN, or set AWS_REGION")
    return str(chosen)


def _proposal(
    ui: Ui, case: Case, incident: str, allow_config_change: bool
) -> tuple[respond.Proposal, int]:
    """The incident's functions and actions (explicit actions without the flag left out), and
    how many actions it recommends."""
    try:
        proposal = respond.propose(case, incident)
    except respond.IncidentError as exc:
        raise click.ClickException(str(exc)) from exc
    # Incident titles and actions come from incidents.json: evidence text, one line each.
    ui.say(f"incident {inert(proposal.incident)}: {inert(proposal.title)}")
    ui.say(f"  recommends: {inert(', '.join(proposal.actions)) or 'no action lambda-ir knows'}")
    for text in proposal.not_understood:
        ui.say(f"  not understood (left out): {inert(text)}")
    kept = []
    for text in proposal.actions:
        action = respond.BY_NAME[text.partition("=")[0]]
        if action.info.explicit and not allow_config_change:
            ui.say(f"  left out: {inert(text)} changes configuration (add --allow-config-change)")
        else:
            kept.append(text)
    return replace(proposal, actions=tuple(kept)), len(proposal.actions)


def _nothing_proposed(ui: Ui, case: Case, proposal: respond.Proposal) -> None:
    """Say that the incident recommends no action, and give the report checklist's steps for
    its functions (an exposure incident names a door left open, not someone's calls)."""
    with collector_paused():  # findings.json read back whole (`heap`)
        facts = build_facts(case, (), datetime.now(UTC).isoformat(), diffs=False)
        steps = steps_for(facts, proposal.functions)
    incident = sanitize.field(proposal.incident)
    lines = [f"nothing planned: incident {incident} recommends no containment action"]
    if steps:
        lines.append("the report's checklist gives these steps for its functions:")
    for step in steps:
        lines += [f"  {sanitize.field(step.what)}", f"    {sanitize.field(step.command)}"]
    if not steps:
        lines.append("the report's checklist has no step for its functions; to contain one, name")
        lines.append("the actions (`--action` in `lambda-ir contain --help`), for example:")
        for function in proposal.functions or ("ARN",):
            command = ("contain", "--case", case.root, "--function", function, "--action")
            lines.append(f"    {sanitize.shell_command('lambda-ir', *command, 'throttle')}")
    document = {
        "incident": proposal.incident,
        "planned": False,
        "functions": list(proposal.functions),
        "steps": [{"what": s.what, "why": s.why, "command": s.command} for s in steps],
    }
    ui.result("\n".join(lines), document)


def _call_text(call: dict[str, Any]) -> str:
    params = orjson.dumps(redact_document(call["params"]), option=orjson.OPT_SORT_KEYS).decode()
    return f"{call['api']} {params}"


def _show(ui: Ui, case: Case, result: respond.ContainResult) -> bool:
    # printed redacted, as the text is; plan.json and undo.json in the case keep the values
    # (the undo puts them back) as the collected GetFunction does
    document = redact_document(result.to_json())
    lines = [
        f"{result.plan.function_arn}: "
        + ("applied" if result.applied else "plan (dry run: nothing was changed)")
    ]
    if result.evidence:
        lines.append(f"  evidence: {result.evidence}")
    statuses = {id(o.change): o for o in result.outcomes}
    for action in result.plan.actions:
        if action.error:
            lines.append(f"  {action.chosen.label}: cannot plan: {sanitize.field(action.error)}")
        elif not action.changes:
            lines.append(f"  {action.chosen.label}: already in place, nothing to change")
        for change in action.changes:
            outcome = statuses.get(id(change))
            mark = f"[{outcome.status.value}] " if outcome else ""
            lines.append(f"  {mark}{change.action}: {sanitize.field(change.summary)}")
            lines.append(f"      call: {_call_text(change.call.to_json())}")
            if outcome and outcome.error:
                lines.append(f"      {_answer(outcome)}")
            undo = _call_text(change.undo.to_json()) if change.undo else "none"
            lines.append(
                f"      undo: {undo}" + (f" ({change.undo_note})" if change.undo_note else "")
            )
    lines.append(f"plan saved: {case.root / result.plan_path}")
    state = result.state()
    if result.applied:
        lines.append("state: " + "; ".join(f"{k} {v}" for k, v in state.items()))
        if result.undo_path and result.changed:
            undo_file = case.root / result.undo_path
            lines.append(f"undo plan: {undo_file}")
            command = ("lambda-ir", "contain", "--case", case.root, "--undo", undo_file, "--apply")
            lines.append(f"  to undo: {sanitize.shell_command(*command)}")
        elif result.undo_path:  # every action was in place: nothing was changed to undo
            lines.append("nothing was changed, so there is nothing to undo")
    elif result.plan.changes:
        lines.append("run again with --apply to make these changes")
    ui.result("\n".join(lines), document)
    return all(text in ("in place",) or text.endswith("to do") for text in state.values())


def _answer(outcome: respond.Outcome) -> str:
    label = "error" if outcome.status is respond.Status.FAILED else "AWS answered"
    return f"{label}: {sanitize.field(outcome.error)}"


def _undo(ui: Ui, case: Case, clients: ClientFactory, path: str, apply: bool, force: bool) -> None:
    run = f"respond/{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-undo-{secrets.token_hex(4)}"
    try:
        plan = respond.load_undo(case, path)
        result = respond.run_undo(case, clients, plan, apply=apply, run=run, force=force)
    except (respond.UndoError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    statuses = {id(o.change): o for o in result.outcomes}
    lines = [
        f"undo {plan.path} for {plan.function}: "
        + ("applied" if apply else "dry run: nothing was changed")
    ]
    if result.changed:  # what the undo overwrites (refused without --force)
        lines.append("  changed since the run left it (the undo overwrites it):")
        lines.extend(f"    {sanitize.field(read)}" for read in result.changed)
    if result.unchecked:  # what the undo may overwrite unseen
        lines.append("  could not be compared with the run's state after its changes:")
        lines.extend(f"    {sanitize.field(why)}" for why in result.unchecked)
    for n, step in enumerate(plan.steps):
        outcome = statuses.get(id(step))
        mark = f"[{outcome.status.value}] " if outcome else ""
        if n in result.in_place and not outcome:  # the dry run says it as --apply would
            mark = f"[{respond.Status.SETTLED.value}] "
        assert step.undo is not None
        # what the run did, said as done: the call below is what the undo does instead
        lines.append(f"  {mark}undo {step.action} (it made: {sanitize.field(step.summary)})")
        lines.append(
            f"      call: {_call_text(step.undo.to_json())}"
            + (f" ({step.undo_note})" if step.undo_note else "")
        )
        if outcome and outcome.error:
            lines.append(f"      {_answer(outcome)}")
    if result.in_place:  # what a later change already put back: no call made for it
        lines.append(
            f"  {len(result.in_place)} of {len(plan.steps)} step(s) already in place "
            "(the function has what the undo sets): no call for them"
        )
    if result.result_path:
        lines.append(f"result saved: {case.root / result.result_path}")
    elif len(result.in_place) < len(plan.steps):
        lines.append("run again with --apply to make these changes")
    ui.result("\n".join(lines), redact_document(result.to_json()))
    if any(o.status is respond.Status.FAILED for o in result.outcomes):
        raise SystemExit(1)


def _iam_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LambdaIrContain",
                "Effect": "Allow",
                "Action": list(respond.permissions()),
                "Resource": "*",
            }
        ],
    }
