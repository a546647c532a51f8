"""`lambda-ir runtime`: build the in-function collector's layer, attach it, detach it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from lambda_ir import sanitize
from lambda_ir.aws import ClientFactory, QuotaBook, build_session
from lambda_ir.aws.clock import check_clock
from lambda_ir.cli.preflight import check_access
from lambda_ir.cli.respond import function_region
from lambda_ir.cli.ui import CommandError, case_option, get_ui, open_or_new_case, writes_case
from lambda_ir.evidence import Case
from lambda_ir.redact import redact_document
from lambda_ir.respond.preserve import EvidenceError
from lambda_ir.respond.runtime_attach import RuntimeRequest, RuntimeResult, run_runtime
from lambda_ir.respond.target import PlanError
from lambda_ir.runtime.layer import WRAPPER_PATH, build_layer, layer_zip
from lambda_ir.runtime.upload import Destination


def put_object_statement(bucket_url: str) -> dict[str, object]:
    """The one IAM statement the function's role needs: s3:PutObject under the prefix only."""
    where = Destination.from_url(bucket_url, "us-east-1")
    return {
        "Sid": "LambdaIrRuntimeSnapshots",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{where.bucket}/{where.prefix}*",
    }


def _bucket(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        Destination.from_url(value, "us-east-1")
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    return value


@click.group()
def runtime() -> None:
    """The in-function runtime collector: /tmp, processes and connections of a live function.

    `build-layer` writes the collector as a Lambda layer; `attach` adds it to a function
    (plan, evidence first, undo; changes only with --apply); `detach` takes it off again;
    `collect --runtime-bucket` reads the snapshots back into a case, hashes verified.
    """


@runtime.command("build-layer")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    metavar="FILE.zip",
    help="Where to write the layer zip.",
)
@click.option(
    "--bucket",
    metavar="S3URL",
    callback=_bucket,
    help="s3://bucket[/prefix] the snapshots will go to: prints the role statement.",
)
def build_layer_command(out: Path, bucket: str | None) -> None:
    """Write the collector layer (stdlib Python, a wrapper script and an extension) to FILE.zip.

    Publish it with `aws lambda publish-layer-version --zip-file fileb://FILE.zip` or let
    `runtime attach --apply` do it. The function's role needs only the s3:PutObject
    statement printed with --bucket.
    """
    ui = get_ui()
    digest, files = build_layer(out)
    document = {
        "layer": str(out),
        "sha256": digest,
        "size": out.stat().st_size,
        "wrapper": WRAPPER_PATH,
        "files": [{"name": f.name, "mode": f"{f.mode:04o}", "sha256": f.sha256} for f in files],
        "statement": put_object_statement(bucket) if bucket else None,
    }
    lines = [f"wrote {out} ({document['size']:,} bytes, sha256 {digest})"]
    lines += [f"  {f.mode:04o} {f.name}  {f.sha256[:16]}…" for f in files]
    lines.append(f"wrapper: AWS_LAMBDA_EXEC_WRAPPER={WRAPPER_PATH}")
    if bucket:
        lines.append("the function's execution role needs exactly this statement:")
        lines.append(json.dumps(document["statement"], indent=2))
    ui.result("\n".join(lines), document)


def _attachment_options(*, bucket_required: bool, bucket_help: str) -> Callable[[Any], Any]:
    """The options `attach` and `detach` share; only --bucket differs (required or checked)."""

    def decorate(command: Any) -> Any:
        for option in reversed(
            (
                case_option(),
                click.option("--function", required=True, metavar="NAME|ARN", help="The function."),
                click.option("--region", metavar="R", help="Region of a function given by name."),
                click.option(
                    "--bucket",
                    metavar="S3URL",
                    callback=_bucket,
                    required=bucket_required,
                    help=bucket_help,
                ),
                click.option(
                    "--apply",
                    is_flag=True,
                    help="Make the change; without it only the plan is shown.",
                ),
            )
        ):
            command = option(command)
        return command

    return decorate


@runtime.command()
@_attachment_options(
    bucket_required=True, bucket_help="s3://bucket[/prefix] the snapshots go to (responder-owned)."
)
@click.option(
    "--every",
    type=click.IntRange(0, 100_000),
    default=0,
    show_default=True,
    help="Also a snapshot every N invocations (0: cold start only).",
)
@writes_case
def attach(
    case_dir: str, function: str, region: str | None, bucket: str, apply: bool, every: int
) -> None:
    """Add the collector layer and its wrapper variable to a function's $LATEST.

    Without --apply the plan is printed and saved in the case. With --apply the function's
    state is collected into the case first, the collector layer is published if this build
    is not yet (lambda:PublishLayerVersion), $LATEST is updated, and the undo plan is saved:
    `lambda-ir contain --undo PLAN --apply` or `runtime detach` takes it off again.
    """
    _run(case_dir, function, region, bucket, apply, every, detach=False)


@runtime.command()
@_attachment_options(
    bucket_required=False,
    bucket_help="Only detach a collector that uploads there: refused when the function's "
    "LAMBDA_IR_BUCKET names another s3://bucket[/prefix].",
)
@writes_case
def detach(
    case_dir: str, function: str, region: str | None, bucket: str | None, apply: bool
) -> None:
    """Remove the collector layer and its variables from a function's $LATEST.

    Only what `attach` added: a wrapper other than lambda-ir's stays. --bucket is optional;
    given, it must be the function's LAMBDA_IR_BUCKET (another bucket means another
    responder's collector, or the wrong function: refused, nothing changed). Plan without
    --apply; with it, evidence first, then the change, then the undo plan.
    """
    _run(case_dir, function, region, bucket, apply, 0, detach=True)


def _run(
    case_dir: str,
    function: str,
    region: str | None,
    bucket: str | None,
    apply: bool,
    every: int,
    *,
    detach: bool,
) -> None:
    session = build_session()
    where = function_region(function, region, session)
    check_access(session, where)  # no credentials or no network: one line saying what to fix
    check_clock(session, where)  # before the case is made
    clients = ClientFactory(session, quotas=QuotaBook())
    request = RuntimeRequest(
        function,
        where,
        bucket,
        layer_zip()[0],
        datetime.now(UTC),
        every,
        detach,
        apply,
    )
    case = open_or_new_case(case_dir, {"functions": [function]})
    try:
        result = run_runtime(case, clients, session, request)
    except (PlanError, EvidenceError) as exc:
        raise CommandError(str(exc)) from exc
    _show(case, result, bucket, detach)
    if result.applied and not result.in_place:
        raise SystemExit(1)


def _show(case: Case, result: RuntimeResult, bucket: str | None, detach: bool) -> None:
    state = "applied" if result.applied else "plan (dry run: nothing was changed)"
    if result.in_place and not result.applied:
        state = "nothing to change"
    lines = [f"{result.function_arn}: {state}"]
    if result.evidence:
        lines.append(f"  evidence: {result.evidence}")
    if not result.changes:
        lines.append("  already in place, nothing to change")
    statuses = {id(o.change): o.status.value for o in result.outcomes}
    for change in result.changes:
        mark = f"[{statuses[id(change)]}] " if id(change) in statuses else ""
        lines.append(f"  {mark}{change.summary}")
        lines.append(f"      call: {_call_text(change.call.to_json())}")
        undo = _call_text(change.undo.to_json()) if change.undo else change.undo_note
        lines.append(f"      undo: {undo}")
    lines.append(f"plan saved: {case.root / result.plan_path}")
    if result.undo_path:
        lines.append(f"undo plan: {case.root / result.undo_path}")
    if result.applied and result.unchecked:  # the changes stand; only the re-read failed
        lines.append(f"state: unknown ({sanitize.field(result.unchecked)})")
    elif result.applied:
        lines.append("state: " + ("in place" if result.in_place else "NOT in place"))
    elif result.changes:
        lines.append("run again with --apply to make these changes")
    statement = put_object_statement(bucket) if bucket else None
    if statement and not detach:
        lines.append("the function's execution role needs this statement to upload snapshots:")
        lines.append(json.dumps(statement, indent=2))
    # printed redacted, as the text is; the case's plan and undo keep the values
    document = redact_document(result.to_json()) | {"statement": statement}
    get_ui().result("\n".join(lines), document)


def _call_text(call: dict[str, Any]) -> str:
    params = json.dumps(redact_document(call["params"]), sort_keys=True, default=str)
    return f"{call['api']} {params}"
