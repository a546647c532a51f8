"""`lambda-ir runtime`: build the in-function collector's layer, attach it, detach it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lambda_ir.cli.ui import get_ui
from lambda_ir.runtime.layer import WRAPPER_PATH, build_layer
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
